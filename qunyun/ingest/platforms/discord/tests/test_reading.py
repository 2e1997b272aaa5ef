"""Reading a DiscordChatExporter file whatever its layout.

The reader splits the exporter's own indented layout quickly and streams anything else
with ijson; both must give the same records.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import orjson
import pytest

from qunyun.ingest.platforms import indented_json
from qunyun.ingest.platforms.discord import reading
from qunyun.ingest.platforms.discord.parser import parse

FIXTURES = Path(__file__).parent / "fixtures"
GENERAL = FIXTURES / "general_2024.json"
CHILL = FIXTURES / "chill_talk_2023.json"
EXPECTED = list(parse(GENERAL))
EXPECTED_CHILL = list(parse(CHILL))


def write(tmp_path: Path, data: bytes | str, name: str = "export.json") -> Path:
    path = tmp_path / name
    path.write_bytes(data if isinstance(data, bytes) else data.encode("utf-8"))
    return path


def document() -> dict[str, Any]:
    loaded: dict[str, Any] = json.loads(GENERAL.read_text(encoding="utf-8"))
    return loaded


@pytest.mark.parametrize(
    "layout",
    [
        pytest.param(lambda d: orjson.dumps(d), id="minified"),
        pytest.param(lambda d: json.dumps(d, ensure_ascii=False, indent=4), id="four-spaces"),
        pytest.param(lambda d: json.dumps(d, indent=2), id="ascii-escapes"),
        pytest.param(
            lambda d: json.dumps(d, ensure_ascii=False, indent=2).replace("\n", "\r\n"),
            id="windows-newlines",
        ),
        pytest.param(lambda d: json.dumps(d, ensure_ascii=False, indent="\t"), id="tabs"),
    ],
)
def test_every_layout_of_the_same_export_gives_the_same_records(
    tmp_path: Path, layout: Any
) -> None:
    assert list(parse(write(tmp_path, layout(document())))) == EXPECTED


@pytest.fixture
def fast_only(monkeypatch: pytest.MonkeyPatch) -> None:
    """Fail the test if the streaming fallback is used."""

    def refuse(*_args: Any, **_kwargs: Any) -> Any:
        raise AssertionError("the exporter's own layout should not need the fallback")

    monkeypatch.setattr(reading.ExportReader, "_streamed", refuse)
    monkeypatch.setattr(reading.ExportReader, "_streamed_messages", refuse)


@pytest.mark.usefixtures("fast_only")
def test_the_exporters_layout_is_split_without_the_streaming_parser(tmp_path: Path) -> None:
    windows = GENERAL.read_bytes().replace(b"\n", b"\r\n")

    assert list(parse(GENERAL)) == EXPECTED
    assert list(parse(CHILL)) == EXPECTED_CHILL
    assert list(parse(write(tmp_path, windows))) == EXPECTED


@pytest.mark.usefixtures("fast_only")
def test_chunk_boundaries_anywhere_give_the_same_records(monkeypatch: pytest.MonkeyPatch) -> None:
    for size in (1, 7, 64, 333, 4096):
        monkeypatch.setattr(reading, "CHUNK", size)
        monkeypatch.setattr(indented_json, "CHUNK", size)
        assert list(parse(GENERAL)) == EXPECTED
        assert list(parse(CHILL)) == EXPECTED_CHILL


def test_a_message_too_large_for_the_fast_path_is_streamed(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(reading, "CHUNK", 256)
    monkeypatch.setattr(indented_json, "CHUNK", 256)
    monkeypatch.setattr(indented_json, "MAX_PIECE", 512)

    assert list(parse(GENERAL)) == EXPECTED


@pytest.mark.parametrize(("chunk", "fallback"), [(64, [3]), (1 << 22, [])])
def test_a_joint_inside_a_message_hands_over_to_the_streaming_parser(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, chunk: int, fallback: list[int]
) -> None:
    text = json.dumps(document(), ensure_ascii=False, indent=2)
    # Anna's second attachment, dedented to where messages start: the split on
    # "},\n    {" now falls inside her message, and orjson rejects both halves.
    inner = '},\n        {\n          "id": "1286956000998877185"'
    assert inner in text
    text = text.replace(inner, '},\n    {\n          "id": "1286956000998877185"')
    skipped: list[int] = []
    streamed = reading.ExportReader._streamed_messages

    def spy(self: reading.ExportReader, skip: int) -> Any:
        skipped.append(skip)
        return streamed(self, skip)

    monkeypatch.setattr(reading.ExportReader, "_streamed_messages", spy)
    monkeypatch.setattr(reading, "CHUNK", chunk)
    monkeypatch.setattr(indented_json, "CHUNK", chunk)

    assert list(parse(write(tmp_path, text))) == EXPECTED
    # Cut there, the batch cannot be read: the three messages before Anna's came from
    # the fast path, the rest from the streaming parser. Read in one batch, the whole
    # array parses and the misleading joint never matters.
    assert skipped == fallback


@pytest.mark.usefixtures("fast_only")
def test_a_utf8_byte_order_mark_is_accepted(tmp_path: Path) -> None:
    assert list(parse(write(tmp_path, b"\xef\xbb\xbf" + GENERAL.read_bytes()))) == EXPECTED


@pytest.mark.usefixtures("fast_only")
def test_an_empty_channel_yields_the_channel_only(tmp_path: Path) -> None:
    empty = document()
    empty["messages"] = []
    for text in (json.dumps(empty, indent=2), json.dumps(empty)):
        assert list(parse(write(tmp_path, text))) == EXPECTED[:1]


@pytest.mark.usefixtures("fast_only")
def test_a_lone_surrogate_escape_is_read_like_any_other_text(tmp_path: Path) -> None:
    data = GENERAL.read_text(encoding="utf-8").replace(
        "Welcome aboard 🎉", "Welcome aboard \\ud83c"
    )

    records = list(parse(write(tmp_path, data)))

    text = next(r.text for r in records if r.external_id == "1286955428577210378")
    assert text.startswith("欢迎 @王芳 加入群运！Welcome aboard ")
    text.encode("utf-8")  # no surrogate reaches the database
    assert len(records) == len(EXPECTED)


@pytest.mark.usefixtures("fast_only")
def test_unknown_members_after_the_messages_are_ignored(tmp_path: Path) -> None:
    data = GENERAL.read_text(encoding="utf-8").rstrip()[:-1] + ',\n  "extra": {"a": [1]}\n}\n'

    assert list(parse(write(tmp_path, data))) == EXPECTED
