"""The generic JSONL importer reads one object per line and names the bad line and field."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from django.utils import translation

from qunyun.ingest.errors import ImportFormatError
from qunyun.ingest.platforms import get_parser
from qunyun.ingest.platforms.generic.jsonl_parser import parse
from qunyun.ingest.records import ActivityKind, ActivityRecord, ChannelRecord, PersonRef

SAMPLE = Path(__file__).parent / "fixtures" / "sample.jsonl"
GOOD = {"external_id": "m1", "kind": "message", "occurred_at": 1726922850, "member_id": "u1"}


@pytest.fixture(autouse=True)
def _english() -> Any:
    with translation.override("en"):
        yield


def write(tmp_path: Path, *lines: Any) -> Path:
    path = tmp_path / "activities.jsonl"
    text = [
        line if isinstance(line, str) else json.dumps(line, ensure_ascii=False) for line in lines
    ]
    path.write_text("\n".join(text) + "\n", encoding="utf-8")
    return path


def failure(path: Path) -> ImportFormatError:
    with pytest.raises(ImportFormatError) as caught:
        list(parse(path))
    return caught.value


def test_the_registry_finds_the_jsonl_parser() -> None:
    assert get_parser("jsonl") is parse


def test_the_sample_yields_typed_values_and_nested_attrs() -> None:
    records = list(parse(SAMPLE))

    assert records[0] == ChannelRecord(
        source="discourse", external_id="general", name="综合讨论 General"
    )
    found = {r.external_id: r for r in records if isinstance(r, ActivityRecord)}
    assert [r.external_id for r in records] == ["general", "d-1", "d-2", "d-3", "default", "s-1"]
    post = found["d-1"]
    assert (post.kind, post.text, post.thread) == (ActivityKind.POST, "群运 0.1 发布了 🎉", "t-77")
    assert post.occurred_at == datetime(2024, 9, 21, 12, 47, 30, tzinfo=UTC)
    comment = found["d-2"]
    assert comment.author == PersonRef("1002", "Anna Schmidt")  # a numeric id is kept as text
    assert comment.occurred_at == datetime(2024, 9, 21, 12, 50, tzinfo=UTC)
    assert comment.attrs == {"likes": 3, "tags": ["release", "发布"]}
    assert found["d-3"].occurred_at == datetime(2024, 9, 21, 12, 55, tzinfo=UTC)
    assert found["d-3"].author.is_bot is False
    anonymous = found["s-1"]
    assert (anonymous.source, anonymous.channel) == ("custom", "default")
    assert anonymous.author == PersonRef(None, "匿名用户 Anonymous")


def test_a_bom_and_attrs_given_as_a_json_string_are_accepted(tmp_path: Path) -> None:
    path = tmp_path / "bom.jsonl"
    line = json.dumps({**GOOD, "attrs": '{"a": 1}', "is_bot": "true"})
    path.write_bytes(b"\xef\xbb\xbf" + line.encode() + b"\n")

    activity = list(parse(path))[1]

    assert (activity.attrs, activity.author.is_bot) == ({"a": 1}, True)


@pytest.mark.parametrize(
    ("changes", "field", "fragment"),
    [
        ({"kind": "like"}, "kind", "event_registered, event_attended"),
        ({"occurred_at": "2024-09-21T12:47:30"}, "occurred_at", "no UTC offset"),
        ({"occurred_at": 1726922850.5}, "occurred_at", "1726922850.5"),
        ({"kind": None}, "kind", "empty"),
        ({"attrs": [1, 2]}, "attrs", "not a JSON object"),
        ({"attrs": "{bad"}, "attrs", "not valid JSON"),
        ({"is_bot": "sometimes"}, "is_bot", "'sometimes'"),
        ({"member_id": None}, "member_id", "member_name"),
        ({"text": ["a"]}, "text", "must be text"),
        ({"colour": "red"}, "colour", "Unknown field"),
    ],
)
def test_a_bad_line_is_named_by_its_number_and_field(
    tmp_path: Path, changes: dict[str, Any], field: str, fragment: str
) -> None:
    bad = {**GOOD, "external_id": "m2", **changes}
    path = write(tmp_path, GOOD, "", {key: v for key, v in bad.items() if v is not None})

    error = failure(path)

    assert (error.line, error.field) == (3, field)
    assert "line 3" in str(error) and f"field “{field}”" in str(error)
    assert fragment in str(error)


@pytest.mark.parametrize(
    ("line", "fragment"),
    [
        ('{"external_id": "m2", "kind": ', "Invalid JSON"),
        ("[1, 2, 3]", "not a JSON object"),
        ('"just text"', "not a JSON object"),
    ],
)
def test_a_line_that_is_not_an_object_is_named(tmp_path: Path, line: str, fragment: str) -> None:
    error = failure(write(tmp_path, GOOD, line))

    assert error.line == 2
    assert "line 2" in str(error) and fragment in str(error)


def test_non_utf8_bytes_are_located(tmp_path: Path) -> None:
    first = json.dumps(GOOD).encode() + b"\n"
    path = tmp_path / "latin1.jsonl"
    path.write_bytes(first + json.dumps({**GOOD, "external_id": "m2"}).encode()[:-1] + b'\xe9"}\n')

    error = failure(path)

    assert error.line == 2 and error.offset is not None and error.offset > len(first)
    assert "UTF-8" in str(error)
