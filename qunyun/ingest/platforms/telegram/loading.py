"""Read a Telegram Desktop ``result.json`` into Python objects, or say where it is broken.

The exporter's JSON writer (``SerializeString`` in tdesktop
``Telegram/SourceFiles/export/output/export_output_json.cpp``) writes control characters
as ``\\x01``, which is not JSON; real exports that contain them fail in every strict
parser (tdesktop issue #27571, mlomb/chat-analytics#100). We repair exactly that escape
and nothing else.
"""

from __future__ import annotations

import codecs
import gc
import re
from bisect import bisect_left
from collections.abc import Callable
from pathlib import Path
from typing import Any

import orjson
from django.utils.translation import gettext as _

from qunyun.ingest.errors import ImportFormatError

UTF8_BOM = codecs.BOM_UTF8

# ``\x`` + two hex digits, preceded by an even number of backslashes (an odd number
# would mean the backslash itself was escaped and the ``x`` is ordinary text).
_BAD_ESCAPE = re.compile(rb"(?<!\\)((?:\\\\)*)\\x([0-9A-Fa-f]{2})")
_CHUNK = 1 << 20


def load_export(path: Path) -> Any:
    """Return the parsed JSON document of ``path``.

    Accepts a leading UTF-8 byte-order mark. Raises :class:`ImportFormatError` naming
    the line, column and byte offset for empty, truncated or invalid JSON, and the byte
    offset of the first byte that is not UTF-8.
    """
    data = path.read_bytes()
    skipped = len(UTF8_BOM) if data.startswith(UTF8_BOM) else 0
    if skipped:
        data = data[skipped:]
    if not data or data.isspace():  # (strip() would copy a file of gigabytes)
        raise ImportFormatError(_("The file is empty."), path=str(path))
    try:
        return _loads(data)
    except orjson.JSONDecodeError as error:
        failure = error
    bad_byte = first_invalid_utf8(data)
    if bad_byte is not None:
        raise ImportFormatError(
            _("The file is not UTF-8 text (byte %(byte)s).") % {"byte": hex(data[bad_byte])},
            path=str(path),
            line=data.count(b"\n", 0, bad_byte) + 1,
            offset=bad_byte + skipped,
        )
    buffer: bytes = data
    shift: Callable[[int], int] = _no_shift
    if b"\\x" in data:
        buffer, shift = _repair_escapes(data)
        try:
            return _loads(buffer)
        except orjson.JSONDecodeError as error:
            failure = error
    offset = shift(_byte_offset(buffer, failure.lineno, failure.colno))
    line_start = data.rfind(b"\n", 0, offset) + 1
    column = len(data[line_start:offset].decode("utf-8", errors="replace")) + 1
    raise ImportFormatError(
        _("Invalid JSON at column %(column)d: %(reason)s")
        % {"column": column, "reason": failure.msg},
        path=str(path),
        line=data.count(b"\n", 0, offset) + 1,
        offset=offset + skipped,
    )


def first_invalid_utf8(data: bytes) -> int | None:
    """Return the offset of the first byte that is not valid UTF-8, or ``None``.

    Decodes in chunks so that a large file is never held twice in memory.
    """
    view = memoryview(data)
    position = 0
    while position < len(data):
        # At least 4 bytes, so that a window always holds one whole character.
        end = position + max(_CHUNK, 4)
        try:
            # Not final: a character cut by the window's end is left for the next one.
            _text, consumed = codecs.utf_8_decode(view[position:end], "strict", end >= len(data))
        except UnicodeDecodeError as error:
            return position + error.start
        position += consumed
    return None


def _loads(data: bytes) -> Any:
    # The cyclic garbage collector rescans every container while millions of dicts are
    # being created; pausing it makes loading a large export about three times faster.
    enabled = gc.isenabled()
    gc.disable()
    try:
        return orjson.loads(data)
    finally:
        if enabled:
            gc.enable()


def _no_shift(offset: int) -> int:
    return offset


def _repair_escapes(data: bytes) -> tuple[bytes, Callable[[int], int]]:
    """Rewrite ``\\xNN`` as ``\\u00NN``; return the text and a map back to old offsets."""
    # Each repair inserts two bytes; ``starts`` holds where the k-th repair begins in the
    # repaired text, so an offset there maps back by subtracting 2 per earlier repair.
    starts: list[int] = []

    def repair(match: re.Match[bytes]) -> bytes:
        starts.append(match.start(2) - 2 + 2 * len(starts))
        return match.group(1) + b"\\u00" + match.group(2)

    repaired = _BAD_ESCAPE.sub(repair, data)

    def shift(offset: int) -> int:
        return offset - 2 * bisect_left(starts, offset)

    return repaired, shift


def _byte_offset(data: bytes, lineno: int, colno: int) -> int:
    """Turn orjson's line and character column into a byte offset in ``data``."""
    start = 0
    for _line in range(lineno - 1):
        found = data.find(b"\n", start)
        if found < 0:
            break
        start = found + 1
    end = data.find(b"\n", start)
    line = data[start : end if end >= 0 else len(data)]
    prefix = line.decode("utf-8", errors="replace")[: max(colno - 1, 0)]
    return min(start + len(prefix.encode("utf-8")), len(data))
