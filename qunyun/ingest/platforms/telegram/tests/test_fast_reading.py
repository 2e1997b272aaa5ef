"""A big single-chat export in tdesktop's layout is split into batches that orjson parses.

The operator must get exactly the records and errors that streaming the file with ijson
gives: the fast reader may only be faster. Chunk sizes here are tiny, so that joints,
escapes and the end of the array are cut at every place a real read could cut them.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from django.utils import translation

from qunyun.ingest.errors import ImportFormatError
from qunyun.ingest.platforms import indented_json
from qunyun.ingest.platforms.telegram import loading, streaming
from qunyun.ingest.platforms.telegram.parser import parse
from qunyun.ingest.platforms.telegram.tests.test_streaming import message, with_escapes, write

FIXTURES = Path(__file__).parent / "fixtures"
SUPERGROUP = FIXTURES / "supergroup.json"


@pytest.fixture(autouse=True)
def _english() -> Any:
    with translation.override("en"):
        yield


def read(path: Path, *, way: str, chunk: int = 1 << 22) -> list[Any]:
    """Records of ``path`` read ``whole``, ``streamed`` by ijson only, or ``fast``."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(loading, "STREAM_THRESHOLD", 1 << 62 if way == "whole" else -1)
        patch.setattr(indented_json, "CHUNK", chunk)
        patch.setattr(indented_json, "HEAD", min(chunk, 1 << 16))
        if way == "streamed":
            patch.setattr(indented_json, "read_head", lambda *_args: None)
        return list(parse(path))


def failure(path: Path, *, way: str) -> ImportFormatError:
    with pytest.raises(ImportFormatError) as caught:
        read(path, way=way)
    return caught.value


@pytest.fixture
def no_fallback(monkeypatch: pytest.MonkeyPatch) -> None:
    """Fail the test if the fast reader hands over to ijson."""

    def refuse(*_args: Any) -> Any:
        raise AssertionError("tdesktop's own layout should not need the streaming reader")

    monkeypatch.setattr(streaming, "_single_messages", refuse)
    monkeypatch.setattr(streaming._Export, "chats", refuse)


def chat(messages: list[dict[str, Any]]) -> dict[str, Any]:
    return {"name": "大群 Big", "type": "public_supergroup", "id": 42, "messages": messages}


@pytest.mark.usefixtures("no_fallback")
@pytest.mark.parametrize("chunk", [1, 7, 64, 333, 4096, 1 << 22])
def test_tdesktops_layout_is_read_fast_with_the_records_of_the_whole_file(
    tmp_path: Path, chunk: int
) -> None:
    windows = write(tmp_path, SUPERGROUP.read_bytes().replace(b"\n", b"\r\n"))

    assert read(SUPERGROUP, way="fast", chunk=chunk) == read(SUPERGROUP, way="whole")
    assert read(windows, way="fast", chunk=chunk) == read(SUPERGROUP, way="whole")


@pytest.mark.usefixtures("no_fallback")
def test_control_character_escapes_are_repaired_message_by_message(tmp_path: Path) -> None:
    path = write(tmp_path, with_escapes())

    assert read(path, way="fast", chunk=333) == read(path, way="whole")


@pytest.mark.parametrize("chunk", [64, 4096])
def test_a_message_too_big_to_split_hands_over_to_ijson_without_repeating(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, chunk: int
) -> None:
    messages = [message(i) for i in range(1, 40)]
    messages[30]["text"] = "长" * 3000
    path = write(tmp_path, chat(messages))
    monkeypatch.setattr(indented_json, "MAX_PIECE", 2000)

    records = read(path, way="fast", chunk=chunk)

    assert records == read(path, way="whole")
    assert len(records) == 40  # the chat and each message once


@pytest.mark.parametrize(
    "data",
    [
        pytest.param(lambda: chat([message(1), message(2)]), id="ordinary"),
        pytest.param(lambda: chat([]), id="no-messages"),
        pytest.param(lambda: {**chat([message(1)]), "chats": {"list": []}}, id="also-chats"),
        pytest.param(
            lambda: (
                json.dumps(chat([message(1), message(2)]), indent=1)[:-2]
                + ', "about": {"x": [1, 2]}}'
            ),
            id="members-after-messages",
        ),
        pytest.param(
            lambda: (
                json.dumps(chat([message(1)]), indent=1)[:-2]
                + ', "messages": [{"id": 9, "type": "message"}]}'
            ),
            id="second-messages",
        ),
        pytest.param(lambda: json.dumps(chat([message(1), message(2)]))[:-2] + "]}", id="minified"),
    ],
)
def test_fast_and_streamed_reading_agree(tmp_path: Path, data: Any) -> None:
    value = data()
    path = write(tmp_path, value.encode() if isinstance(value, str) else value)

    assert outcome(path, "fast") == outcome(path, "streamed")


def test_a_number_beyond_64_bits_is_read_as_reading_the_whole_file_does(tmp_path: Path) -> None:
    # yajl refuses the whole file ("integer overflow"); orjson, reading the whole file
    # or a batch, reads the number (so the id reads as a float and the chat is refused).
    huge = '"id": 18446744073709551616,'
    text = json.dumps(chat([message(1)]), indent=1).replace('"id": 1,', huge)
    path = write(tmp_path, text.encode())

    assert outcome(path, "fast") == outcome(path, "whole") == (None, None, 1, "id")


def outcome(path: Path, way: str) -> Any:
    try:
        return read(path, way=way, chunk=64)
    except ImportFormatError as error:
        return (error.line, error.offset, error.record, error.field)


@pytest.mark.parametrize("cut", [0.3, 0.6, 0.95, 0.999])
def test_a_broken_export_fails_at_the_same_place_read_fast_or_streamed(
    tmp_path: Path, cut: float
) -> None:
    text = json.dumps(chat([message(i) for i in range(1, 200)]), ensure_ascii=False, indent=1)
    data = text.encode()
    at = int(len(data) * cut)
    truncated = write(tmp_path, data[:at])
    fast, streamed = failure(truncated, way="fast"), failure(truncated, way="streamed")
    assert (fast.line, fast.offset, str(fast)) == (streamed.line, streamed.offset, str(streamed))

    flipped = write(tmp_path, data[:at] + b"\xff" + data[at + 1 :])
    fast, streamed = failure(flipped, way="fast"), failure(flipped, way="streamed")
    assert (fast.line, fast.offset, str(fast)) == (streamed.line, streamed.offset, str(streamed))


def test_a_bad_message_is_named_by_its_index_read_fast_or_streamed(tmp_path: Path) -> None:
    messages = [message(i) for i in range(1, 50)]
    messages[41]["date_unixtime"] = "yesterday"
    path = write(tmp_path, chat(messages))

    fast, streamed = failure(path, way="fast"), failure(path, way="streamed")

    assert (fast.record, fast.field) == (streamed.record, streamed.field) == (42, "date_unixtime")
