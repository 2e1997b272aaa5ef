"""Broken DiscordChatExporter files are refused, saying where.

A broken file names its file, line and byte offset; a malformed message its index
("record 3", from 1) and field. Random corruption yields valid records or such an error,
never another exception.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import orjson
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from qunyun.ingest.errors import ImportFormatError
from qunyun.ingest.platforms.discord.parser import parse
from qunyun.ingest.records import ActivityRecord, ChannelRecord

FIXTURES = Path(__file__).parent / "fixtures"
GENERAL = FIXTURES / "general_2024.json"
CHILL = FIXTURES / "chill_talk_2023.json"
EXPECTED = list(parse(GENERAL))


def write(tmp_path: Path, data: bytes | str, name: str = "export.json") -> Path:
    path = tmp_path / name
    path.write_bytes(data if isinstance(data, bytes) else data.encode("utf-8"))
    return path


def document() -> dict[str, Any]:
    loaded: dict[str, Any] = json.loads(GENERAL.read_text(encoding="utf-8"))
    return loaded


def errors_of(path: Path) -> ImportFormatError:
    with pytest.raises(ImportFormatError) as caught:
        list(parse(path))
    return caught.value


def test_invalid_json_between_messages_is_located_exactly(tmp_path: Path) -> None:
    data = GENERAL.read_bytes()
    broken_at = data.index(b'"id": "1286956300000000000"') - 1
    path = write(tmp_path, data[:broken_at] + b"," + data[broken_at:])

    error = errors_of(path)

    assert (error.offset, error.line) == (broken_at, data[:broken_at].count(b"\n") + 1)
    assert f"line {error.line}" in str(error) and f"byte offset {broken_at}" in str(error)
    assert "Invalid JSON" in str(error) and str(path) in str(error)


def test_invalid_json_in_a_minified_file_is_located_exactly(tmp_path: Path) -> None:
    data = orjson.dumps(document())
    broken_at = data.index(b'"type":"Reply"') + 7
    path = write(tmp_path, data[:broken_at] + b"x" + data[broken_at:])

    error = errors_of(path)

    assert (error.offset, error.line) == (broken_at, 1)


def test_a_truncated_export_is_refused_at_its_end(tmp_path: Path) -> None:
    data = GENERAL.read_bytes()
    cut = data[: len(data) * 2 // 3]

    error = errors_of(write(tmp_path, cut))

    assert (error.offset, error.line) == (len(cut), cut.count(b"\n") + 1)
    assert "premature EOF" in str(error)


def test_bytes_that_are_not_utf8_are_located(tmp_path: Path) -> None:
    data = GENERAL.read_bytes()
    bad_at = data.index("成员".encode())
    path = write(tmp_path, data[:bad_at] + b"\xff" + data[bad_at + 1 :])

    error = errors_of(path)

    assert error.offset == bad_at
    assert f"byte offset {bad_at}" in str(error) and "not UTF-8" in str(error)


def test_a_gbk_encoded_export_is_refused_as_not_utf8(tmp_path: Path) -> None:
    text = GENERAL.read_text(encoding="utf-8")
    data = text.encode("gbk", errors="replace")

    error = errors_of(write(tmp_path, data))

    assert "not UTF-8" in str(error)
    # "群" is C8 BA in GBK, which happens to be valid UTF-8 (Ⱥ); "运" (D4 CB) is not.
    assert error.offset == data.index("群运".encode("gbk")) + 2


@pytest.mark.parametrize(
    ("content", "expected", "field"),
    [
        (b"", "empty", None),
        (b" \r\n ", "empty", None),
        (b'[{"messages": []}]', "not a JSON object", None),
        (b'{"guild": {}, "channel": {"id": "1"}}', "no “messages”", "messages"),
        (b'{"channel": {"id": "1"}, "messages": {}}', "not a list", "messages"),
        (b'{"guild": {}, "messages": []}', "no “channel”", "channel"),
        (b'{"channel": {"name": "x"}, "messages": []}', "not a Discord id", "channel.id"),
        (b'{"messages": [], "channel": {"id": "1"}}', "no “channel”", "channel"),
    ],
)
def test_files_that_are_not_channel_exports_are_refused(
    tmp_path: Path, content: bytes, expected: str, field: str | None
) -> None:
    error = errors_of(write(tmp_path, content))

    assert expected in str(error)
    assert error.field == field


def test_a_folder_without_exports_and_a_missing_file_are_refused(tmp_path: Path) -> None:
    assert "no .json files" in str(errors_of(tmp_path))
    assert "cannot be read" in str(errors_of(tmp_path / "missing.json"))


def test_an_error_in_a_folder_names_the_broken_file(tmp_path: Path) -> None:
    write(tmp_path, GENERAL.read_bytes(), "a.json")
    broken = write(tmp_path, CHILL.read_bytes()[:-40], "b.json")

    error = errors_of(tmp_path)

    assert error.path == str(broken)


def with_message(tmp_path: Path, change: Any) -> Path:
    doc = document()
    change(doc["messages"][2])  # the third message: the reply of 王芳
    return write(tmp_path, json.dumps(doc, ensure_ascii=False, indent=2))


def setter(key: str, value: Any) -> Any:
    def change(message: dict[str, Any]) -> None:
        target = message
        *parents, last = key.split(".")
        for part in parents:
            target = target[int(part)] if isinstance(target, list) else target[part]
        if value is DELETE:
            del target[last]
        else:
            target[last] = value

    return change


DELETE = object()


@pytest.mark.parametrize(
    ("key", "value", "field", "fragment"),
    [
        ("id", DELETE, "id", "no “id”"),
        ("id", ["1"], "id", "not a Discord id"),
        ("type", DELETE, "type", "no “type”"),
        ("type", True, "type", "not a message kind"),
        ("timestamp", "21/09/2024 20:48", "timestamp", "'21/09/2024 20:48'"),
        ("timestamp", "2024-09-21T20:48:25", "timestamp", "no UTC offset"),
        ("timestamp", DELETE, "timestamp", "not an ISO 8601 time"),
        ("timestampEdited", "soon", "timestampEdited", "not an ISO 8601 time"),
        ("author", DELETE, "author", "is missing"),
        ("author", "王芳", "author", "not a JSON object"),
        ("author.id", DELETE, "author.id", "not a Discord id"),
        ("author.isBot", "no", "author.isBot", "not true or false"),
        ("author.nickname", 7, "author.nickname", "not text"),
        ("content", {"text": "hi"}, "content", "not text"),
        ("attachments", "screenshot.png", "attachments", "not a list"),
        ("mentions.0.id", None, "mentions[0].id", "not a Discord id"),
        ("reference", ["1"], "reference", "not a JSON object"),
        ("reference.messageId", 1.5, "reference.messageId", "not a Discord id"),
        ("reactions", {"🎉": 1}, "reactions", "not a list"),
        ("interaction", "stats", "interaction", "not a JSON object"),
    ],
)
def test_a_malformed_message_is_named_by_its_index_and_field(
    tmp_path: Path, key: str, value: Any, field: str, fragment: str
) -> None:
    error = errors_of(with_message(tmp_path, setter(key, value)))

    assert (error.record, error.field) == (3, field)
    assert "record 3" in str(error) and f"field “{field}”" in str(error)
    assert fragment in str(error)


@pytest.mark.parametrize(
    ("reaction", "field"),
    [
        ({"count": 1}, "reactions[0].emoji"),
        ({"emoji": {"id": None, "name": ""}, "count": 1}, "reactions[0].emoji.name"),
        ({"emoji": {"id": "", "name": "🎉"}, "count": -1}, "reactions[0].count"),
        ({"emoji": {"id": "", "name": "🎉"}, "count": 1, "users": {}}, "reactions[0].users"),
        ({"emoji": {"id": "", "name": "🎉"}, "count": 1, "users": [7]}, "reactions[0].users[0]"),
    ],
)
def test_a_malformed_reaction_is_named_by_its_place(
    tmp_path: Path, reaction: dict[str, Any], field: str
) -> None:
    error = errors_of(with_message(tmp_path, setter("reactions", [reaction])))

    assert (error.record, error.field) == (3, field)


def test_nothing_of_a_malformed_message_is_yielded(tmp_path: Path) -> None:
    path = with_message(tmp_path, setter("reactions", [{"emoji": {"name": "👍"}, "count": "x"}]))
    seen: list[Any] = []

    with pytest.raises(ImportFormatError):
        seen.extend(parse(path))

    assert [r.external_id for r in seen if isinstance(r, ActivityRecord)] == [
        "1286955281210540032",
        "1286955428577210378",
        *(f"1286955428577210378:reaction:{e}" for e in _welcome_reactions()),
    ]


def _welcome_reactions() -> list[str]:
    return [
        r.external_id.split(":reaction:", 1)[1]
        for r in EXPECTED
        if isinstance(r, ActivityRecord) and r.external_id.startswith("1286955428577210378:")
    ]


def _valid(record: Any) -> None:
    """What the pipeline relies on, for any record the parser lets through."""
    if isinstance(record, ChannelRecord):
        assert record.source == "discord" and record.external_id
        return
    assert isinstance(record, ActivityRecord)
    assert record.source == "discord" and record.channel and record.external_id
    assert (
        record.occurred_at.tzinfo is not None
        and record.occurred_at.utcoffset().total_seconds() == 0
    )
    assert isinstance(record.author.external_id, str) and record.author.external_id
    assert isinstance(record.text, str)
    record.text.encode("utf-8")
    orjson.dumps(record.attrs)


def _drop_a_key(data: bytes, where: int) -> bytes:
    doc = json.loads(data)
    messages = doc["messages"]
    message = messages[where % len(messages)]
    keys = sorted(message)
    del message[keys[where % len(keys)]]
    return json.dumps(doc, ensure_ascii=False, indent=2).encode()


ORIGINAL = GENERAL.read_bytes()


@settings(
    max_examples=100, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    how=st.sampled_from(["truncate", "flip", "insert", "drop"]),
    where=st.integers(min_value=0, max_value=len(ORIGINAL) - 1),
    junk=st.binary(min_size=1, max_size=8),
)
def test_random_corruption_yields_valid_records_or_a_format_error(
    tmp_path: Path, how: str, where: int, junk: bytes
) -> None:
    if how == "truncate":
        data = ORIGINAL[:where]
    elif how == "flip":
        data = ORIGINAL[:where] + bytes([ORIGINAL[where] ^ junk[0]]) + ORIGINAL[where + 1 :]
    elif how == "insert":
        data = ORIGINAL[:where] + junk + ORIGINAL[where:]
    else:
        data = _drop_a_key(ORIGINAL, where)
    path = write(tmp_path, data, "corrupt.json")

    try:
        for record in parse(path):
            _valid(record)
    except ImportFormatError as error:
        assert error.path == str(path)
