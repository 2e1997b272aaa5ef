"""A WhatsApp file that is not a readable chat is refused, naming the place of the fault.

Besides hand-made broken inputs, a property test throws random corruption at every
fixture: the parser must then yield well-formed records or raise ImportFormatError.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import orjson
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from qunyun.ingest.errors import ImportFormatError
from qunyun.ingest.platforms.whatsapp.parser import parse
from qunyun.ingest.platforms.whatsapp.tests.test_parser import write, write_zip
from qunyun.ingest.records import ActivityKind, ActivityRecord, ChannelRecord, PersonRef

FIXTURES = Path(__file__).parent / "fixtures"
ANDROID = FIXTURES / "WhatsApp Chat with 群运 Qunyun 社区.txt"
IOS_ZIP = FIXTURES / "WhatsApp Chat - 读书会 Book Club.zip"
ALL = sorted(FIXTURES.iterdir())


def errors_of(path: Path) -> ImportFormatError:
    with pytest.raises(ImportFormatError) as caught:
        list(parse(path))
    return caught.value


def test_a_file_that_proves_both_orders_is_refused(tmp_path: Path) -> None:
    path = write(tmp_path, "13/1/21, 10:00 - Ana: hi\nhello\n1/14/21, 10:00 - Ben: ho\n")

    error = errors_of(path)

    assert (error.line, error.field) == (3, "date")
    assert "line 1" in error.problem and "line 3" in error.problem


@pytest.mark.parametrize(
    ("content", "line", "fragment"),
    [
        ("", None, "empty"),
        ("\n\n", None, "no WhatsApp message lines"),
        ("Hello there\n12/9/20, 23:55 - Bob: hi\n", 1, "not a WhatsApp chat"),
        ("13/1/21, 10:00 - Ana: hi\n31/2/21, 10:00 - Ana: no such day\n", 2, "not valid"),
        ("13/1/21, 25:00 - Ana: hi\n", 1, "not valid"),
        ("13/1/21, 11:00 PM - Ana: hi\n13/1/21, 13:00 PM - Ana: hi\n", 2, "not valid"),
        ("13/1/021, 10:00 - Ana: hi\n", 1, "not valid"),
    ],
)
def test_malformed_chats_are_refused_at_their_line(
    tmp_path: Path, content: str, line: int | None, fragment: str
) -> None:
    error = errors_of(write(tmp_path, content))

    assert error.line == line
    assert fragment in str(error)
    if line is not None:
        assert f"line {line}" in str(error)


def test_bytes_that_are_not_utf8_are_located(tmp_path: Path) -> None:
    good = ANDROID.read_bytes()
    bad_at = good.index("欢迎".encode())
    path = write(tmp_path, good[:bad_at] + b"\xc3\x28" + good[bad_at + 2 :])

    error = errors_of(path)

    assert (error.offset, error.line) == (bad_at, 4)
    assert f"byte offset {bad_at}" in str(error) and "UTF-8" in str(error)


@pytest.mark.parametrize(
    ("members", "fragment"),
    [
        ({"IMG-1.jpg": b"\xff"}, "no chat text"),
        ({"a.txt": b"x", "b.txt": b"y"}, "several chat texts"),
    ],
)
def test_archives_without_one_chat_are_refused(
    tmp_path: Path, members: dict[str, bytes], fragment: str
) -> None:
    assert fragment in str(errors_of(write_zip(tmp_path, members)))


def test_a_damaged_archive_is_refused(tmp_path: Path) -> None:
    data = IOS_ZIP.read_bytes()

    assert "ZIP" in str(errors_of(write(tmp_path, data[: len(data) // 2], "chat.zip")))
    corrupt = bytearray(data)
    start = data.index(b"_chat.txt") + len(b"_chat.txt") + 10  # inside the compressed text
    corrupt[start : start + 4] = b"\x00\xff\x00\xff"
    error = errors_of(write(tmp_path, bytes(corrupt), "bad.zip"))
    assert "_chat.txt" in str(error)


def check_records(records: list[Any]) -> None:
    """Well-formed records: one channel first, UTC times, unique ids, JSON attrs."""
    assert records and isinstance(records[0], ChannelRecord)
    channel = records[0].external_id
    seen: set[str] = set()
    for record in records[1:]:
        assert isinstance(record, ActivityRecord)
        assert (record.source, record.channel) == ("whatsapp", channel)
        assert record.external_id and record.external_id not in seen
        seen.add(record.external_id)
        assert isinstance(record.kind, ActivityKind)
        offset = record.occurred_at.utcoffset()
        assert offset is not None and offset.total_seconds() == 0
        assert isinstance(record.author, PersonRef) and record.author.external_id
        orjson.dumps(record.attrs)


@settings(
    max_examples=100, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(data=st.data())
def test_random_corruption_yields_valid_records_or_a_format_error(
    tmp_path: Path, data: st.DataObject
) -> None:
    source = data.draw(st.sampled_from(ALL))
    original = source.read_bytes()
    action = data.draw(st.sampled_from(["truncate", "flip", "insert", "drop_line"]))
    at = data.draw(st.integers(0, len(original) - 1))
    if action == "truncate":
        corrupted = original[:at]
    elif action == "flip":
        corrupted = original[:at] + bytes([data.draw(st.integers(0, 255))]) + original[at + 1 :]
    elif action == "insert":
        corrupted = original[:at] + data.draw(st.binary(min_size=1, max_size=8)) + original[at:]
    else:
        lines = original.split(b"\n")
        del lines[at % len(lines)]
        corrupted = b"\n".join(lines)
    path = write(tmp_path, corrupted, "corrupt" + source.suffix)

    try:
        records = list(parse(path))
    except ImportFormatError:
        return
    check_records(records)


def test_a_zip_claiming_an_unknown_version_is_a_format_error(tmp_path: Path) -> None:
    """Found by the random corruption above: one byte of the central directory made
    zipfile raise NotImplementedError ("zip file version 6.4") instead of BadZipFile."""
    source = next(p for p in ALL if p.suffix == ".zip")
    original = source.read_bytes()
    corrupted = original[:576] + bytes([64]) + original[577:]
    with pytest.raises(ImportFormatError, match="ZIP"):
        list(parse(write(tmp_path, corrupted, "corrupt.zip")))
