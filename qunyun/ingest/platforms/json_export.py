"""Read one JSON file of an export, or say exactly where it is broken.

Slack, Telegram, Discord and Discourse exports are JSON, and each of their readers needs
the same things: a leading UTF-8 byte-order mark accepted, an empty file told apart from
a broken one, and a fault named by file, line, column and byte offset, in the same words
whichever platform the file came from. Those words live here, once.

:func:`load` parses a whole document with orjson, the fastest way. orjson also refuses
nesting deeper than 1024 levels, where an incremental parser that builds item paths would
spend memory quadratic in the depth of a hostile ``[[[[…`` file. Files too large to be
held in memory are streamed by their platform's reader (:mod:`.indented_json`, ijson);
those readers locate their own faults, byte by byte, and report them with the messages
of this module.
"""

from __future__ import annotations

import codecs
import gc
import re
from collections.abc import Callable
from pathlib import Path
from typing import IO, Any

import orjson
from django.utils.translation import gettext as _

from qunyun.ingest.errors import ImportFormatError

UTF8_BOM = codecs.BOM_UTF8
WHITESPACE = b" \t\r\n"  # JSON whitespace (bytes.strip() would also take \v and \f)
_CONTENT = re.compile(rb"[^ \t\r\n]")
#: How much is decoded at a time when looking for the first byte that is not UTF-8.
_CHUNK = 1 << 20

#: Rewrites what a platform's exporter gets wrong (tdesktop's ``\x01`` escapes) so that
#: orjson can read it: the repaired bytes and a map from their offsets back to the
#: original's, or ``None`` when nothing needs repair.
Repair = Callable[[bytes], tuple[bytes, Callable[[int], int]] | None]


# Reading ---------------------------------------------------------------------------


def bom_length(data: bytes) -> int:
    """How many bytes of a UTF-8 byte-order mark ``data`` begins with (0 or 3)."""
    return len(UTF8_BOM) if data.startswith(UTF8_BOM) else 0


def open_json(path: Path) -> IO[bytes]:
    """Open ``path`` for reading, positioned after its byte-order mark if it has one."""
    try:
        handle = path.open("rb")
        if handle.read(len(UTF8_BOM)) != UTF8_BOM:
            handle.seek(0)
    except OSError as error:
        raise unreadable_file(path, error) from None
    return handle


def is_blank(data: bytes) -> bool:
    """Whether ``data`` holds nothing but JSON whitespace (without copying it)."""
    return _CONTENT.search(data) is None


def loads(data: bytes) -> Any:
    """Parse ``data`` with orjson; raises :class:`orjson.JSONDecodeError`."""
    # The cyclic garbage collector rescans every container while millions of dicts are
    # being created; pausing it makes loading a large export about three times faster.
    enabled = gc.isenabled()
    gc.disable()
    try:
        return orjson.loads(data)
    finally:
        if enabled:
            gc.enable()


def load_file(path: Path, *, repair: Repair | None = None) -> Any:
    """Return the JSON document of the file ``path``; see :func:`load`."""
    try:
        data = path.read_bytes()
    except OSError as error:
        raise unreadable_file(path, error) from None
    return load(data, path, repair=repair)


def load(data: bytes, where: str | Path, *, repair: Repair | None = None) -> Any:
    """Return the JSON document ``data`` read from the file ``where``.

    Accepts a leading UTF-8 byte-order mark. Raises :class:`ImportFormatError` for an
    empty file, naming the line and byte offset of the first byte that is not UTF-8, or
    the line, column and byte offset at which the JSON is broken. ``repair``, if given,
    is tried on a file orjson refuses before it is called broken.
    """
    skipped = bom_length(data)
    if skipped:
        data = data[skipped:]
    if is_blank(data):
        raise empty_file(where)
    try:
        return loads(data)
    except orjson.JSONDecodeError as error:
        failure = error
    bad = first_invalid_utf8(data)
    if bad is not None:
        line = data.count(b"\n", 0, bad) + 1
        raise not_utf8(where, data[bad], line=line, offset=bad + skipped)
    text = data
    original_offset: Callable[[int], int] = _unshifted
    repaired = repair(data) if repair is not None else None
    if repaired is not None:
        text, original_offset = repaired
        try:
            return loads(text)
        except orjson.JSONDecodeError as error:
            failure = error
    offset = original_offset(_byte_offset(text, failure.lineno, failure.colno))
    line_start = data.rfind(b"\n", 0, offset) + 1
    column = len(data[line_start:offset].decode("utf-8", errors="replace")) + 1
    line = data.count(b"\n", 0, offset) + 1
    raise invalid_json(where, failure.msg, line=line, column=column, offset=offset + skipped)


def first_invalid_utf8(data: bytes, start: int = 0, stop: int | None = None) -> int | None:
    """Return the offset of the first byte of ``data[start:stop]`` that is not UTF-8.

    ``None`` when there is none. A character that ``start`` falls inside is read whole;
    one cut by ``stop`` (before the end of ``data``) is not judged. Decodes in chunks, so
    that a large file is never held twice in memory.
    """
    stop = len(data) if stop is None else min(stop, len(data))
    while 0 < start < len(data) and 0x80 <= data[start] < 0xC0:
        start -= 1  # back to the first byte of the character
    view = memoryview(data)
    position = start
    while position < stop:
        # At least 4 bytes, so that a window always holds one whole character.
        end = min(position + max(_CHUNK, 4), stop)
        try:
            # Not final: a character cut by the window's end is left for the next one.
            _text, consumed = codecs.utf_8_decode(view[position:end], "strict", end >= len(data))
        except UnicodeDecodeError as error:
            return position + error.start
        if not consumed:
            break  # only a character that ``stop`` cuts is left
        position += consumed
    return None


def _unshifted(offset: int) -> int:
    return offset


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


# What is wrong with a file ---------------------------------------------------------


def unreadable_file(where: str | Path, error: OSError) -> ImportFormatError:
    return ImportFormatError(
        _("The file cannot be read: %(reason)s") % {"reason": error.strerror or error},
        path=str(where),
    )


def empty_file(where: str | Path) -> ImportFormatError:
    return ImportFormatError(_("The file is empty."), path=str(where))


def not_utf8(where: str | Path, byte: int, *, line: int, offset: int) -> ImportFormatError:
    """The file's byte ``byte``, at ``offset``, is not UTF-8."""
    return ImportFormatError(
        _("The file is not UTF-8 text (byte %(byte)s).") % {"byte": hex(byte)},
        path=str(where),
        line=line,
        offset=offset,
    )


def invalid_json(
    where: str | Path,
    reason: str,
    *,
    line: int | None = None,
    column: int | None = None,
    offset: int | None = None,
) -> ImportFormatError:
    """The JSON is broken at the place given, for ``reason`` (the parser's words)."""
    if column is None:
        problem = _("Invalid JSON: %(reason)s") % {"reason": reason}
    else:
        problem = _("Invalid JSON at column %(column)d: %(reason)s") % {
            "column": column,
            "reason": reason,
        }
    return ImportFormatError(problem, path=str(where), line=line, offset=offset)


def not_json(where: str | Path) -> ImportFormatError:
    """The file is broken, but no parser said where."""
    return ImportFormatError(_("The file is not valid JSON."), path=str(where))


def yajl_reason(error: Exception) -> str:
    """Return the first line of what ijson (yajl) said ("parse error: premature EOF")."""
    if isinstance(error, UnicodeDecodeError):
        return _("the text is not UTF-8")
    message = error.args[0] if error.args else ""
    if isinstance(message, bytes):
        message = message.decode("utf-8", errors="replace")
    text = str(message).strip()
    return text.split("\n", 1)[0] if text else _("unknown error")
