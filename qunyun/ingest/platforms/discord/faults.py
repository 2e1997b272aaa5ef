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
from qunyun.ingest.platforms import json_export
from qunyun.ingest.platforms.json_export import yajl_reason

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
                return json_export.empty_file(path)
            line = _lines_before(path, offset)
            return json_export.invalid_json(path, yajl_reason(error), line=line, offset=offset)
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
            return utf8_fault(path, start) or json_export.invalid_json(
                path, _("invalid text"), line=newlines + 1, offset=block_start + index
            )
        except ijson.JSONError as error:
            bad = json_export.first_invalid_utf8(block, max(index - 4, 0), index + 4)
            if bad is not None:
                line = newlines + block.count(b"\n", 0, bad) + 1
                return json_export.not_utf8(path, block[bad], line=line, offset=block_start + bad)
            line = newlines + block.count(b"\n", 0, index) + 1
            return json_export.invalid_json(
                path, yajl_reason(error), line=line, offset=block_start + index
            )
    # yajl failed on the whole block but not byte by byte: blame the block's end.
    return json_export.invalid_json(
        path,
        _("unexpected end"),
        line=newlines + block.count(b"\n") + 1,
        offset=block_start + len(block),
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
                line = newlines + data.count(b"\n", held, max(error.start, held)) + 1
                return json_export.not_utf8(path, data[error.start], line=line, offset=bad)
            if not block:
                return None
            newlines += block.count(b"\n")
            offset += len(block)


def _lines_before(path: Path, offset: int) -> int:
    """Return the line number of byte ``offset`` (counting newlines before it)."""
    newlines = 0
    with path.open("rb") as handle:
        remaining = offset
        while remaining > 0 and (piece := handle.read(min(1 << 20, remaining))):
            newlines += piece.count(b"\n")
            remaining -= len(piece)
    return newlines + 1
