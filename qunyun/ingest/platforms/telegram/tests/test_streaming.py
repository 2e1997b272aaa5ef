"""A Telegram export too big to load whole is streamed, with the same outcome.

An operator who imports a 2 GB export must get exactly the records a small export of
the same chats would give, the same errors naming the same places, and a process that
stays small. The reads here are a few dozen bytes long, so that escapes, characters and
tokens are cut at every place a real 64 KiB read could cut them.
"""

from __future__ import annotations

import io
import json
import tracemalloc
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from django.utils import translation
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from qunyun.ingest.errors import ImportFormatError
from qunyun.ingest.platforms.telegram import faults, loading, parser, streaming
from qunyun.ingest.platforms.telegram.clock import ReactionClock
from qunyun.ingest.platforms.telegram.escapes import BAD_ESCAPE, RepairingReader
from qunyun.ingest.platforms.telegram.parser import parse
from qunyun.ingest.platforms.telegram.threads import ThreadIndex
from qunyun.ingest.records import ActivityKind, ActivityRecord, ChannelRecord, PersonRef

FIXTURES = Path(__file__).parent / "fixtures"
SUPERGROUP = FIXTURES / "supergroup.json"
FULL_ACCOUNT = FIXTURES / "full_account.json"


@pytest.fixture(autouse=True)
def _english() -> Any:
    with translation.override("en"):
        yield


def read(path: Path, *, streamed: bool, buffer: int = 61) -> list[Any]:
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(loading, "STREAM_THRESHOLD", -1 if streamed else 1 << 62)
        patch.setattr(streaming, "_BUFFER", buffer)
        patch.setattr(faults, "_CHUNK", 53)
        return list(parse(path))


def failure(path: Path, *, streamed: bool) -> ImportFormatError:
    with pytest.raises(ImportFormatError) as caught:
        read(path, streamed=streamed)
    return caught.value


def write(tmp_path: Path, data: bytes | Any) -> Path:
    path = tmp_path / "result.json"
    if not isinstance(data, bytes):
        data = json.dumps(data, ensure_ascii=False, indent=1).encode()
    path.write_bytes(data)
    return path


def message(msg_id: int, **fields: Any) -> dict[str, Any]:
    seconds = 1_726_922_850 + 60 * msg_id
    return {
        "id": msg_id,
        "type": "message",
        "date": datetime.fromtimestamp(seconds + 8 * 3600, UTC).strftime("%Y-%m-%dT%H:%M:%S"),
        "date_unixtime": str(seconds),
        "from": "李伟 Li Wei",
        "from_id": "user5365934951",
        "text": f"第 {msg_id} 条 message {msg_id}",
        **fields,
    }


def with_escapes() -> bytes:
    """The supergroup export with control characters written the tdesktop way."""
    document = json.loads(SUPERGROUP.read_text(encoding="utf-8"))
    seventh = next(m for m in document["messages"] if m["id"] == 7)
    seventh["text"] = "a\u0001b\\x01c\\\\\u001f"
    text = json.dumps(document, ensure_ascii=False, indent=1)
    return text.replace("\\u0001", "\\x01").replace("\\u001f", "\\x1F").encode()


def id_after_messages(full: bool) -> Any:
    if not full:
        document = json.loads(SUPERGROUP.read_text(encoding="utf-8"))
        document["id"] = document.pop("id")  # now the last key, after "messages"
        return document
    document = json.loads(FULL_ACCOUNT.read_text(encoding="utf-8"))
    chat = document["chats"]["list"][1]
    chat["id"] = chat.pop("id")
    return document


def left_chats_lookalikes() -> Any:
    """A full export whose messages hold ``left_chats`` as text, as a key and escaped."""
    document = json.loads(FULL_ACCOUNT.read_text(encoding="utf-8"))
    messages = document["chats"]["list"][0]["messages"]
    messages[0]["text"] = 'left_chats "left_chats": \\"left_chats": {'
    messages[1]["left_chats"] = {"list": [{"messages": [{"id": 1}]}]}
    return document


def left_chats_first() -> Any:
    document = json.loads(FULL_ACCOUNT.read_text(encoding="utf-8"))
    left = document.pop("left_chats")
    return {"left_chats": left, **document}


@pytest.mark.parametrize(
    "data",
    [
        pytest.param(lambda: SUPERGROUP.read_bytes(), id="supergroup"),
        pytest.param(lambda: FULL_ACCOUNT.read_bytes(), id="full-account"),
        pytest.param(lambda: b"\xef\xbb\xbf" + FULL_ACCOUNT.read_bytes(), id="bom"),
        pytest.param(with_escapes, id="x-escapes"),
        pytest.param(lambda: id_after_messages(full=False), id="single-id-last"),
        pytest.param(lambda: id_after_messages(full=True), id="full-id-last"),
        pytest.param(left_chats_lookalikes, id="left-chats-lookalikes"),
        pytest.param(
            lambda: FULL_ACCOUNT.read_bytes().replace(b'"left_chats":', b'"left_chats"\n:'),
            id="left-chats-key-spaced",
        ),
        pytest.param(left_chats_first, id="left-chats-first"),
        pytest.param(lambda: {"type": "saved_messages", "id": 9, "messages": []}, id="no-name"),
    ],
)
@pytest.mark.parametrize("buffer", [1, 7, 61, 1 << 16])
def test_streaming_yields_exactly_the_records_of_reading_the_whole_file(
    tmp_path: Path, data: Any, buffer: int
) -> None:
    path = write(tmp_path, data())

    whole = read(path, streamed=False)

    assert whole and read(path, streamed=True, buffer=buffer) == whole


def test_only_files_larger_than_the_threshold_are_streamed(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = write(tmp_path, SUPERGROUP.read_bytes())
    streamed: list[Path] = []

    def spy(path: Path) -> Iterator[Any]:
        streamed.append(path)
        return streaming.stream_chats(path)

    monkeypatch.setattr(parser, "stream_chats", spy)
    monkeypatch.setattr(loading, "STREAM_THRESHOLD", path.stat().st_size)
    whole = list(parse(path))
    monkeypatch.setattr(loading, "STREAM_THRESHOLD", path.stat().st_size - 1)

    assert list(parse(path)) == whole and streamed == [path]


def test_control_characters_are_repaired_however_the_reads_cut_them(tmp_path: Path) -> None:
    path = write(tmp_path, with_escapes())

    for buffer in range(1, 24):
        records = read(path, streamed=True, buffer=buffer)
        texts = {r.external_id: r.text for r in records if isinstance(r, ActivityRecord)}
        assert texts["7"] == "a\x01b\\x01c\\\\\x1f"


@pytest.mark.parametrize(
    "data",
    [
        b'"\\x01"',
        b'"\\\\x01"',
        b'"\\\\\\x0a"',
        b'"a\\x4"',
        b"\\x0",
        b'"\\\\\\\\\\\\\\\\x41 \\xfF"',
        b'"\xe7\xbe\xa4\\x7f\xe8\xbf\x90"',
    ],
)
def test_an_escape_split_across_reads_is_repaired_as_if_read_at_once(data: bytes) -> None:
    expected = BAD_ESCAPE.sub(rb"\1\\u00\2", data)
    for size in range(1, len(data) + 2):
        reader = RepairingReader(io.BytesIO(data))

        assert b"".join(iter(lambda: reader.read(size), b"")) == expected  # noqa: B023


@given(
    st.lists(st.sampled_from([b"\\", b"x", b"0", b"F", b"g", b'"', "群".encode()]), max_size=40),
    st.integers(min_value=1, max_value=9),
)
@settings(max_examples=200, deadline=None)
def test_any_text_is_repaired_the_same_whatever_the_read_size(
    parts: list[bytes], size: int
) -> None:
    data = b"".join(parts)
    reader = RepairingReader(io.BytesIO(data))

    out = b"".join(iter(lambda: reader.read(size), b""))

    assert out == BAD_ESCAPE.sub(rb"\1\\u00\2", data)
    assert reader.consumed == len(data)


@pytest.mark.parametrize("streamed", [False, True], ids=["whole", "streamed"])
def test_a_reaction_before_any_message_with_both_clocks_waits_for_the_next_one(
    tmp_path: Path, streamed: bool
) -> None:
    first = message(1, reactions=[{"type": "emoji", "count": 1, "emoji": "👍"}])
    del first["date_unixtime"]  # its offset is unknown
    first["reactions"][0]["recent"] = [
        {"from": "王芳", "from_id": "user2", "date": "2024-09-21T20:48:00"}
    ]
    chat = {"name": "群", "type": "private_group", "id": 5, "messages": [first, message(2)]}

    records = read(write(tmp_path, chat), streamed=streamed)

    reaction = next(r for r in records if r.external_id == "1:reaction:👍:user2")
    # Message 2, at 20:49:30 on the PC and 12:49:30 UTC, tells the offset.
    assert reaction.occurred_at == datetime(2024, 9, 21, 12, 48, tzinfo=UTC)
    assert records.index(reaction) > records.index(next(r for r in records if r.external_id == "2"))


def test_waiting_reactions_are_bounded_and_take_the_latest_offset() -> None:
    clock = ReactionClock(limit=2)
    noon = datetime(2024, 3, 30, 12, 0, tzinfo=UTC)
    clock.note({"date": "2024-03-30T13:00:00"}, noon)  # Berlin, UTC+1
    waiting = [reaction(noon) for _ in range(3)]

    placed = [
        clock.place(record, datetime(2024, 4, day, 9, 0))
        for record, day in zip(waiting, (3, 2, 1), strict=True)
    ]

    assert placed == [False, False, False]
    # The earliest of three waiting ones had to go, with the offset known then.
    assert clock.take_ready() == [waiting[2]]
    assert waiting[2].occurred_at == datetime(2024, 4, 1, 8, 0, tzinfo=UTC)
    clock.note({"date": "2024-04-05T14:00:00"}, datetime(2024, 4, 5, 12, 0, tzinfo=UTC))  # UTC+2
    assert clock.take_ready() == [waiting[1], waiting[0]]
    assert waiting[0].occurred_at == datetime(2024, 4, 3, 7, 0, tzinfo=UTC)


def reaction(at: datetime) -> ActivityRecord:
    return ActivityRecord("telegram", "1", "r", ActivityKind.REACTION, at, PersonRef("user1"))


def test_the_thread_index_finds_topics_in_or_out_of_order() -> None:
    index = ThreadIndex()
    for msg_id, topic in ((5, "3"), (9, "3"), (7, "4"), (2**70, "5"), (11, "-6")):
        index.add(msg_id, topic)

    assert [index.get(i) for i in (5, 7, 9, 11, 2**70, 6)] == ["3", "4", "3", "-6", "5", None]


@pytest.mark.parametrize(
    ("data", "line", "fragment"),
    [
        (b'{"name": "x", "id": 1, "messages": [\n]} ,', 2, "trailing garbage"),
        (b'{"about": "x",\n "chats": {"list": []}} {}', 2, "trailing garbage"),
        (b'{"about": "x", "chats": {"list": [{"id": 1, "messages": [\n{"id": 1', 2, "EOF"),
    ],
)
def test_a_broken_end_is_an_error_however_it_is_read(
    tmp_path: Path, data: bytes, line: int, fragment: str
) -> None:
    for streamed in (False, True):
        error = failure(write(tmp_path, data), streamed=streamed)

        assert error.line == line and error.offset is not None
    assert fragment in str(error)


def test_bad_bytes_in_a_chat_header_of_a_full_export_are_located(tmp_path: Path) -> None:
    data = FULL_ACCOUNT.read_bytes()
    bad_at = data.index("王芳".encode())
    path = write(tmp_path, data[:bad_at] + b"\xa0" + data[bad_at + 1 :])

    error = failure(path, streamed=True)

    assert (error.offset, error.line) == (bad_at, data[:bad_at].count(b"\n") + 1)
    assert "not UTF-8" in str(error)


def test_a_file_with_one_chat_after_a_full_export_is_refused(tmp_path: Path) -> None:
    document = {**json.loads(FULL_ACCOUNT.read_text(encoding="utf-8")), "messages": []}

    error = failure(write(tmp_path, document), streamed=True)

    assert error.field == "messages"


def big_export(path: Path, messages: int) -> None:
    with path.open("w", encoding="utf-8") as out:
        out.write('{"name": "大群 Big", "type": "public_supergroup", "id": 42, "messages": [')
        for msg_id in range(1, messages + 1):
            out.write(("," if msg_id > 1 else "") + json.dumps(message(msg_id), ensure_ascii=False))
        out.write("]}")


def peak_memory(path: Path, *, streamed: bool) -> int:
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(loading, "STREAM_THRESHOLD", -1 if streamed else 1 << 62)
        tracemalloc.start()
        try:
            count = sum(1 for _record in parse(path))
            peak = tracemalloc.get_traced_memory()[1]
        finally:
            tracemalloc.stop()
    assert count == 20_001
    return peak


def test_streaming_memory_does_not_grow_with_the_export(tmp_path: Path) -> None:
    path = tmp_path / "big.json"
    big_export(path, 20_000)

    streamed = peak_memory(path, streamed=True)

    assert streamed < 2 << 20 < path.stat().st_size < peak_memory(path, streamed=False)


def corruptions() -> st.SearchStrategy[tuple[Path, str, int, bytes]]:
    return st.tuples(
        st.sampled_from([SUPERGROUP, FULL_ACCOUNT]),
        st.sampled_from(["truncate", "flip", "insert", "drop-key"]),
        st.integers(min_value=0, max_value=1 << 20),
        st.binary(min_size=1, max_size=4),
    )


def corrupt(path: Path, how: str, where: int, noise: bytes) -> bytes:
    data = path.read_bytes()
    at = where % len(data)
    if how == "truncate":
        return data[:at]
    if how == "flip":
        return data[:at] + bytes([data[at] ^ noise[0]]) + data[at + 1 :]
    if how == "insert":
        return data[:at] + noise + data[at:]
    objects = list(_objects(json.loads(data)))
    target = objects[at % len(objects)]
    del target[sorted(target)[where % len(target)]]
    return json.dumps(objects[0], ensure_ascii=False, indent=1).encode()


def _objects(value: Any) -> Iterator[dict[str, Any]]:
    if isinstance(value, dict):
        if value:
            yield value
        for item in value.values():
            yield from _objects(item)
    elif isinstance(value, list):
        for item in value:
            yield from _objects(item)


def outcome(path: Path, *, streamed: bool) -> list[Any] | None:
    try:
        records = read(path, streamed=streamed)
    except ImportFormatError as error:
        assert str(path) in str(error)
        return None
    channel = None
    for record in records:
        if isinstance(record, ChannelRecord):
            channel = record.external_id
            continue
        assert record.channel == channel and record.source == "telegram"
        assert record.occurred_at.tzinfo is UTC and record.external_id
    return records


@given(corruptions())
@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
def test_a_corrupted_export_is_read_alike_or_refused(
    tmp_path_factory: pytest.TempPathFactory, corruption: tuple[Path, str, int, bytes]
) -> None:
    path = write(tmp_path_factory.mktemp("corrupt"), corrupt(*corruption))

    whole, streamed = outcome(path, streamed=False), outcome(path, streamed=True)

    if whole is not None and streamed is not None:
        assert streamed == whole
