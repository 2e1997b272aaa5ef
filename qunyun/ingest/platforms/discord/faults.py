"""Where a JSON file is broken: the exact byte, its line, and why.

The fast reader (:mod:`.reading`) and the streaming fallback only learn *that* something
is wrong. When they do, the file is read once more by yajl (ijson's C backend) in push
mode, block by block; the block that fails is fed again one byte at a time, so the error
lands on the byte yajl could not accept. This costs one or two extra passes over the file
and only ever runs when the import is going to fail anyway.
"""

from __future__ import annotations

import codecs
from pathlib import Path
from typing import Any

import ijson
from django.utils.translation import gettext as _

from qunyun.ingest.errors import ImportFormatError

_BLOCK = 1 << 16


class _Discard:
    """An ijson event target that keeps nothing: only the parse errors matter here."""

    def send(self, _event: Any) -> None:
        return None


def find_fault(path: Path, start: int) -> ImportFormatError | None:
    """Return the error at the first byte of ``path`` that is not valid JSON, or ``None``.

    ``start`` is where the JSON text begins (3 after a UTF-8 byte-order mark); offsets in
    the error count from the beginning of the file.
    """
    with path.open("rb") as handle:
        handle.seek(start)
        parser = ijson.basic_parse_coro(_Discard(), use_float=True)
        offset = start
        while block := handle.read(_BLOCK):
            try:
                parser.send(block)
            except ijson.JSONError:
                return _pinpoint(path, start, offset, block)
            except UnicodeDecodeError:  # yajl let through what Python cannot decode
                return utf8_fault(path, start)
            offset += len(block)
        try:
            parser.close()
        except UnicodeDecodeError:
            return utf8_fault(path, start)
        except ijson.JSONError as error:
            if offset == start:
                return ImportFormatError(_("The file is empty."), path=str(path))
            return _fault(path, offset, _reason(error), _lines_before(path, offset))
    return None


def _pinpoint(path: Path, start: int, block_start: int, block: bytes) -> ImportFormatError:
    """Feed the file again up to ``block`` and then ``block`` byte by byte."""
    parser = ijson.basic_parse_coro(_Discard(), use_float=True)
    newlines = 0
    with path.open("rb") as handle:
        handle.seek(start)
        remaining = block_start - start
        while remaining > 0:
            piece = handle.read(min(_BLOCK, remaining))
            parser.send(piece)  # accepted the first time, accepted again
            newlines += piece.count(b"\n")
            remaining -= len(piece)
    for index in range(len(block)):
        try:
            parser.send(block[index : index + 1])
        except UnicodeDecodeError:
            return utf8_fault(path, start) or _fault(
                path, block_start + index, _("invalid text"), newlines + 1
            )
        except ijson.JSONError as error:
            bad = _first_invalid_utf8(block, max(index - 4, 0), index + 4)
            line = newlines + block.count(b"\n", 0, index) + 1
            if bad is not None:
                return ImportFormatError(
                    _("The file is not UTF-8 text (byte %(byte)s).") % {"byte": hex(block[bad])},
                    path=str(path),
                    line=newlines + block.count(b"\n", 0, bad) + 1,
                    offset=block_start + bad,
                )
            return _fault(path, block_start + index, _reason(error), line)
    # yajl failed on the whole block but not byte by byte: blame the block's end.
    return _fault(
        path, block_start + len(block), _("unexpected end"), newlines + block.count(b"\n") + 1
    )


def utf8_fault(path: Path, start: int) -> ImportFormatError | None:
    """Return the error at the first byte of ``path`` that is not UTF-8, or ``None``."""
    decoder = codecs.getincrementaldecoder("utf-8")("strict")
    offset = start
    newlines = 0
    with path.open("rb") as handle:
        handle.seek(start)
        while True:
            block = handle.read(_BLOCK)
            try:
                decoder.decode(block, not block)
            except UnicodeDecodeError as error:
                # The decoder may hold up to 3 bytes of the previous block.
                held = len(error.object) - len(block)
                bad = offset - held + error.start
                data = error.object
                return ImportFormatError(
                    _("The file is not UTF-8 text (byte %(byte)s).")
                    % {"byte": hex(data[error.start])},
                    path=str(path),
                    line=newlines + data.count(b"\n", held, max(error.start, held)) + 1,
                    offset=bad,
                )
            if not block:
                return None
            newlines += block.count(b"\n")
            offset += len(block)


def _first_invalid_utf8(data: bytes, start: int, end: int) -> int | None:
    """Return the offset of the first byte in ``data[start:end]`` that is not UTF-8."""
    # Back up to the first byte of the character that ``start`` may fall inside.
    while start > 0 and 0x80 <= data[start] < 0xC0:
        start -= 1
    window = data[start : min(end, len(data))]
    try:
        codecs.utf_8_decode(window, "strict", end >= len(data))
    except UnicodeDecodeError as error:
        return start + error.start
    return None


def _fault(path: Path, offset: int, reason: str, line: int) -> ImportFormatError:
    return ImportFormatError(
        _("Invalid JSON: %(reason)s") % {"reason": reason},
        path=str(path),
        line=line,
        offset=offset,
    )


def _reason(error: Exception) -> str:
    """The first line of yajl's message ("parse error: premature EOF")."""
    text = error.args[0] if error.args else ""
    if isinstance(text, bytes):
        text = text.decode("utf-8", errors="replace")
    return str(text).strip().splitlines()[0] if str(text).strip() else _("unknown error")


def _lines_before(path: Path, offset: int) -> int:
    """Return the line number of byte ``offset`` (counting newlines before it)."""
    newlines = 0
    with path.open("rb") as handle:
        remaining = offset
        while remaining > 0 and (piece := handle.read(min(1 << 20, remaining))):
            newlines += piece.count(b"\n")
            remaining -= len(piece)
    return newlines + 1
