"""The generic CSV importer reads our documented columns and names the bad line and field."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from django.utils import translation

from qunyun.ingest.errors import ImportFormatError
from qunyun.ingest.platforms import get_parser
from qunyun.ingest.platforms.generic.csv_parser import parse
from qunyun.ingest.records import ActivityKind, ActivityRecord, ChannelRecord, PersonRef

SAMPLE = Path(__file__).parent / "fixtures" / "sample.csv"
HEADER = "external_id,kind,occurred_at,member_id,member_name,text"


@pytest.fixture(autouse=True)
def _english() -> Any:
    with translation.override("en"):
        yield


def write(tmp_path: Path, content: str | bytes) -> Path:
    path = tmp_path / "activities.csv"
    path.write_bytes(content.encode() if isinstance(content, str) else content)
    return path


def failure(path: Path) -> ImportFormatError:
    with pytest.raises(ImportFormatError) as caught:
        list(parse(path))
    return caught.value


def test_the_registry_finds_the_csv_parser() -> None:
    assert get_parser("csv") is parse


def test_the_sample_yields_each_channel_once_before_its_rows() -> None:
    records = list(parse(SAMPLE))

    assert [type(r).__name__ for r in records] == [
        "ChannelRecord",
        *["ActivityRecord"] * 4,
        "ChannelRecord",
        *["ActivityRecord"] * 2,
    ]
    assert records[0] == ChannelRecord(source="wechat", external_id="qunyun-1", name="群运用户群 1")
    assert records[5] == ChannelRecord(
        source="meetup", external_id="shanghai-2024-10", name="上海线下聚会 10 月"
    )


def test_rows_become_activities_with_utc_times() -> None:
    found = {r.external_id: r for r in parse(SAMPLE) if isinstance(r, ActivityRecord)}

    first = found["wx-1001"]
    assert (first.kind, first.channel, first.text) == (
        ActivityKind.MESSAGE,
        "qunyun-1",
        "大家好，欢迎加入群运用户群！",
    )
    assert first.occurred_at == datetime(2024, 9, 21, 12, 47, 30, tzinfo=UTC)
    assert first.author == PersonRef("wxid_li01", "李伟", "liwei", False)
    reply = found["wx-1002"]
    assert (reply.kind, reply.reply_to, reply.attrs) == (
        ActivityKind.REPLY,
        "wx-1001",
        {"quoted": True},
    )
    assert reply.text == "Thanks, 李伟!\r\nHappy to be here."  # a quoted field spans lines
    join = found["wx-1003"]
    assert join.occurred_at == datetime(2024, 9, 21, 13, 0, tzinfo=UTC)  # epoch seconds
    assert join.author == PersonRef(None, "王芳")
    assert join.attrs == {"via": "qr_code", "inviter": "李伟"}
    assert found["wx-1004"].author.is_bot is True
    assert found["ev-2"].kind == ActivityKind.EVENT_ATTENDED


def test_defaults_fill_source_and_channel(tmp_path: Path) -> None:
    path = write(tmp_path, f"{HEADER}\nm1,Message,2024-09-21T12:47:30Z,u1,,你好\n")

    channel, activity = list(parse(path))

    assert channel == ChannelRecord(source="custom", external_id="default")
    assert (activity.source, activity.channel, activity.kind) == (
        "custom",
        "default",
        ActivityKind.MESSAGE,
    )


def test_blank_lines_and_unnamed_trailing_columns_are_ignored(tmp_path: Path) -> None:
    path = write(tmp_path, f"{HEADER},\n\nm1,message,1726922850,u1,,hi,\n\n")

    assert [r.external_id for r in parse(path)] == ["default", "m1"]


@pytest.mark.parametrize(
    ("row", "field", "fragment"),
    [
        ("m2,shout,2024-09-21T12:47:30Z,u1,,x", "kind", "message, reply, reaction"),
        ("m2,message,2024-09-21 12:47:30,u1,,x", "occurred_at", "no UTC offset"),
        ("m2,message,yesterday,u1,,x", "occurred_at", "'yesterday'"),
        ("m2,message,,u1,,x", "occurred_at", "empty"),
        (",message,2024-09-21T12:47:30Z,u1,,x", "external_id", "empty"),
        ("m2,message,2024-09-21T12:47:30Z,,,x", "member_id", "member_name"),
        ("m1,message,2024-09-21T12:47:30Z,u1,,again", "external_id", "line 2"),
    ],
)
def test_a_bad_row_is_named_by_its_line_and_field(
    tmp_path: Path, row: str, field: str, fragment: str
) -> None:
    path = write(tmp_path, f"{HEADER}\nm1,message,2024-09-21T12:47:30Z,u1,,ok\n{row}\n")

    error = failure(path)

    assert (error.line, error.field) == (3, field)
    assert "line 3" in str(error) and f"field “{field}”" in str(error)
    assert fragment in str(error)


def test_bad_attrs_and_is_bot_are_named(tmp_path: Path) -> None:
    header = "external_id,kind,occurred_at,member_id,attrs,is_bot"
    bad_json = write(tmp_path, f'{header}\nm1,message,1726922850,u1,"{{not json}}",\n')
    assert failure(bad_json).field == "attrs"
    not_object = write(tmp_path, f"{header}\nm1,message,1726922850,u1,[1],\n")
    assert "not a JSON object" in str(failure(not_object))
    not_bool = write(tmp_path, f"{header}\nm1,message,1726922850,u1,,maybe\n")
    assert failure(not_bool).field == "is_bot"


def test_the_line_of_a_row_after_a_multiline_field_is_its_physical_line(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        f'{HEADER}\nm1,message,1726922850,u1,,"two\nlines"\nm2,nope,1726922850,u1,,x\n',
    )

    assert failure(path).line == 4


@pytest.mark.parametrize(
    ("header", "field"),
    [
        ("external_id,kind,member_id", "occurred_at"),
        ("external_id,kind,occurred_at", "member_id"),
        ("external_id,kind,occurred_at,member_id,colour", "colour"),
        ("external_id,kind,occurred_at,member_id,kind", "kind"),
    ],
)
def test_a_bad_header_is_reported_on_line_one(tmp_path: Path, header: str, field: str) -> None:
    error = failure(write(tmp_path, f"{header}\n"))

    assert (error.line, error.field) == (1, field)
    assert "line 1" in str(error)


def test_an_empty_file_needs_a_header(tmp_path: Path) -> None:
    assert "header" in str(failure(write(tmp_path, b"")))


def test_non_utf8_bytes_are_located(tmp_path: Path) -> None:
    body = f"{HEADER}\nm1,message,1726922850,u1,,ok\n".encode()
    path = write(tmp_path, body + "m2,message,1726922850,u1,,坏".encode("gb18030") + b"\n")

    error = failure(path)

    assert error.line == 3
    assert error.offset == len(body) + len(b"m2,message,1726922850,u1,,")
    assert "UTF-8" in str(error)


def test_too_many_fields_and_broken_quoting_are_reported(tmp_path: Path) -> None:
    assert failure(write(tmp_path, f"{HEADER}\nm1,message,1,u1,,a,b,c\n")).line == 2
    assert failure(write(tmp_path, f'{HEADER}\nm1,message,1,u1,,"a"b\n')).line == 2
