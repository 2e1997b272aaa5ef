"""Say where a streamed export is broken: byte offset, line and column.

ijson (yajl) reports what is wrong but not where. When a stream fails we read the file
once more: checking that it is UTF-8, and handing the chunk in which the failing reader
stopped to a fresh parser one byte at a time, so that the byte at which it fails is
known exactly. This costs one more pass over the file, paid only on failure.
"""

from __future__ import annotations

import codecs
from collections import deque
from pathlib import Path

import ijson

from qunyun.ingest.errors import ImportFormatError
from qunyun.ingest.platforms import json_export
from qunyun.ingest.platforms.json_export import yajl_reason
from qunyun.ingest.platforms.telegram.escapes import RepairingReader, repair_escapes

#: What a stream raises for bytes that are not JSON or not UTF-8.
PARSE_ERRORS = (ijson.JSONError, UnicodeDecodeError)
_CHUNK = 1 << 16
# UTF-8 continuation bytes: deleting them leaves one byte per character.
_CONTINUATION = bytes(range(0x80, 0xC0))


def stream_error(path: Path, failed: RepairingReader, error: Exception) -> ImportFormatError:
    """Return the error naming where ``path`` is broken; ``failed`` read it when it failed."""
    window = (failed.chunk_start, failed.consumed)
    for _attempt in range(2):
        located = _Locator(path, window).run()
        if isinstance(located, ImportFormatError):
            return located
        if located is None:
            break
        window = located  # it failed in another chunk: look there byte by byte
    # The failure could not be reproduced: name where the stream was reading.
    return json_export.invalid_json(path, yajl_reason(error), offset=failed.chunk_start)


class _Locator:
    """One pass over the file that stops at its first fault."""

    def __init__(self, path: Path, window: tuple[int, int]) -> None:
        self.path = path
        self.window = window  # the original bytes to feed one at a time
        self.lines = 0  # newlines before the current chunk
        self.column = 0  # characters between the last newline and the current chunk
        self.content = False  # whether anything but whitespace came before
        self.undecoded = b""  # a UTF-8 character cut by the previous chunk's end

    def run(self) -> ImportFormatError | tuple[int, int] | None:
        """Return the error, the window of a chunk to look at more closely, or ``None``."""
        with self.path.open("rb") as raw:
            feeder = _Feeder(self, RepairingReader(raw, _CHUNK))
            try:
                deque(ijson.basic_parse(feeder, use_float=True, buf_size=_CHUNK), maxlen=0)
            except _NotUtf8 as found:
                return found.error
            except PARSE_ERRORS as error:
                if not feeder.chunk:  # at the end of the file
                    return self.invalid(feeder.start, b"", 0, error)
                if not feeder.bytewise:
                    return feeder.start, feeder.start + len(feeder.original)
                _repaired, shift = repair_escapes(feeder.original)
                return self.invalid(feeder.start, feeder.original, shift(feeder.fed - 1), error)
        return None

    def first_invalid_utf8(
        self, start: int, original: bytes, *, final: bool
    ) -> ImportFormatError | None:
        """Return the error for the first byte of ``original`` that is not UTF-8."""
        data = self.undecoded + original
        try:
            _text, consumed = codecs.utf_8_decode(data, "strict", final)
        except UnicodeDecodeError as error:
            at = error.start - len(self.undecoded)
            # Before the chunk: in a character that the previous chunk began (no newline).
            line = self.lines + 1 if at < 0 else self.place(original, at)[0]
            return json_export.not_utf8(self.path, data[error.start], line=line, offset=start + at)
        self.undecoded = data[consumed:]
        return None

    def advance(self, original: bytes) -> None:
        newline = original.rfind(b"\n")
        self.lines += original.count(b"\n")
        tail = original[newline + 1 :]
        self.column = _characters(tail) + (0 if newline >= 0 else self.column)
        self.content = self.content or not (original.isspace() or not original)

    def place(self, original: bytes, at: int) -> tuple[int, int]:
        """Return the line and column of ``original[at]``, counting from 1."""
        newline = original.rfind(b"\n", 0, at)
        column = _characters(original[newline + 1 : at]) + (0 if newline >= 0 else self.column)
        return self.lines + original.count(b"\n", 0, at) + 1, column + 1

    def invalid(self, start: int, original: bytes, at: int, error: Exception) -> ImportFormatError:
        if not self.content and not original[:at].strip():
            return json_export.empty_file(self.path)
        line, column = self.place(original, at)
        return json_export.invalid_json(
            self.path, yajl_reason(error), line=line, column=column, offset=start + at
        )


class _NotUtf8(Exception):  # noqa: N818 (it carries the error, it is not one)
    def __init__(self, error: ImportFormatError) -> None:
        super().__init__(error)
        self.error = error


class _Feeder:
    """What the locating parser reads: whole chunks, and those of the window byte by byte."""

    def __init__(self, locator: _Locator, reader: RepairingReader) -> None:
        self.locator = locator
        self.reader = reader
        self.chunk = b"-"  # the current chunk, repaired; empty at the end of the file
        self.original = b""  # the same as it is in the file
        self.start = 0  # where it begins in the file
        self.fed = 0  # how many of its bytes the parser has read
        self.bytewise = False

    def read(self, size: int = -1) -> bytes:
        if size == 0:
            return b""
        if self.fed < len(self.chunk) and self.bytewise:
            self.fed += 1
            return self.chunk[self.fed - 1 : self.fed]
        self.locator.advance(self.original)
        reader, window = self.reader, self.locator.window
        self.chunk = reader.read(_CHUNK)
        self.original, self.start = reader.last_original, reader.chunk_start
        bad = self.locator.first_invalid_utf8(self.start, self.original, final=not self.chunk)
        if bad is not None:
            raise _NotUtf8(bad)
        self.bytewise = self.start < window[1] and self.start + len(self.original) > window[0]
        self.fed = 1 if self.bytewise else len(self.chunk)
        return self.chunk[: self.fed]


def _characters(data: bytes) -> int:
    return len(data.translate(None, _CONTINUATION))
