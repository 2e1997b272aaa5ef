"""The JSON reader Slack, Telegram, Discord and Discourse share: what it accepts, and how
it names the place of a fault."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from django.utils import translation

from qunyun.ingest.errors import ImportFormatError
from qunyun.ingest.platforms import json_export


@pytest.fixture(autouse=True)
def _english() -> Iterator[None]:
    with translation.override("en"):
        yield


def error_of(data: bytes) -> ImportFormatError:
    with pytest.raises(ImportFormatError) as caught:
        json_export.load(data, "export/day.json")
    return caught.value


def test_a_byte_order_mark_is_read_past() -> None:
    assert json_export.load(b'\xef\xbb\xbf{"a": [1]}', "x.json") == {"a": [1]}


@pytest.mark.parametrize("data", [b"", b"\xef\xbb\xbf", b" \r\n\t "])
def test_a_file_with_nothing_in_it_is_called_empty(data: bytes) -> None:
    error = error_of(data)

    assert error.problem == "The file is empty." and error.path == "export/day.json"


def test_broken_json_is_named_by_line_column_and_byte_offset() -> None:
    data = '\ufeff[\n  "群运",\n  tru\n]'.encode()

    error = error_of(data)

    assert error.line == 3 and error.offset == data.index(b"tru")
    assert "line 3" in str(error) and "column 3" in str(error)
    assert "export/day.json" in str(error)


def test_a_byte_that_is_not_utf8_is_named_before_the_json_is_judged() -> None:
    data = '[\n"群运",\n"'.encode() + b"\xff" + b'"]'

    error = error_of(data)

    assert "not UTF-8" in str(error) and "0xff" in str(error)
    assert error.line == 3 and error.offset == data.index(b"\xff")


def test_a_repair_step_is_tried_and_faults_are_named_in_the_original_bytes() -> None:
    def repair(data: bytes) -> tuple[bytes, Callable[[int], int]] | None:
        # "\\x01" becomes "\\u0001": two bytes more after the escape's start (offset 2).
        return data.replace(b"\\x", b"\\u00"), lambda at: at - 2 if at > 2 else at

    assert json_export.load(b'["\\x01"]', "x.json", repair=repair) == ["\x01"]
    data = b'["\\x01", tru]'
    with pytest.raises(ImportFormatError) as caught:
        json_export.load(data, "x.json", repair=repair)
    assert caught.value.offset == data.index(b"tru") and "column 10" in str(caught.value)


def test_the_utf8_scan_reads_a_window_without_judging_a_character_cut_by_its_end(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(json_export, "_CHUNK", 5)  # windows that split 3-byte characters
    data = "群运社区".encode() + b"\xc0" + "群".encode()

    assert json_export.first_invalid_utf8(data) == 12
    assert json_export.first_invalid_utf8(data, 4, 11) is None  # starts inside "运"
    assert json_export.first_invalid_utf8(data, 0, 13) == 12


def test_a_file_that_cannot_be_opened_says_so(tmp_path: Path) -> None:
    with pytest.raises(ImportFormatError) as caught:
        json_export.load_file(tmp_path / "missing.json")

    assert "cannot be read" in str(caught.value)
