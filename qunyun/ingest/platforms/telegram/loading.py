"""Read a Telegram Desktop ``result.json`` into Python objects, or say where it is broken.

A file up to :data:`STREAM_THRESHOLD` bytes is parsed whole with orjson, the fastest way;
a larger one is streamed (:mod:`.streaming`) so that memory stays bounded. Both repair
tdesktop's ``\\x01`` escapes (:mod:`.escapes`) and yield the same chats.
"""

from __future__ import annotations

import codecs
import gc
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import Any

import orjson
from django.utils.translation import gettext as _

from qunyun.ingest.errors import ImportFormatError
from qunyun.ingest.platforms.telegram.escapes import UTF8_BOM, repair_escapes

#: Files larger than this are streamed. Parsed whole, an export takes about 7.4 times its
#: size in memory (2.4 GB for a file of 317 MiB); streamed, about 50 MB whatever its
#: size, at nearly the same speed. So only files that cost under 500 MB are parsed whole.
STREAM_THRESHOLD = 64 << 20
_CHUNK = 1 << 20

#: ``(chat, where, messages)``: the chat's object (only its name, type and id are read),
#: where it is in a full export ("" for a single-chat export), and its messages, or
#: ``None`` when ``messages`` is missing or not a list.
Chat = tuple[Any, str, Iterable[Any] | None]


def should_stream(path: Path) -> bool:
    """Whether ``path`` is too big to be parsed whole."""
    return path.stat().st_size > STREAM_THRESHOLD


def chats_of(document: Any, path: Path) -> Iterator[Chat]:
    """Yield every chat of a parsed export; raise if it is not a Telegram export."""
    if not isinstance(document, dict):
        raise ImportFormatError(_("The file is not a JSON object."), path=str(path))
    if "messages" in document:
        yield document, "", _messages(document)
        return
    if "chats" not in document and "left_chats" not in document:
        raise ImportFormatError(
            _("This is not a Telegram export: it has neither “messages” nor “chats”."),
            path=str(path),
        )
    for section in [key for key in document if key in ("chats", "left_chats")]:
        listing = document[section]  # in the file's order, as a stream meets them
        chats = listing.get("list") if isinstance(listing, dict) else None
        if not isinstance(chats, list):
            raise ImportFormatError(
                _("“%(field)s” is not a list.") % {"field": f"{section}.list"},
                path=str(path),
                field=f"{section}.list",
            )
        for index, chat in enumerate(chats):
            yield chat, f"{section}.list[{index}]", _messages(chat)


def _messages(chat: Any) -> list[Any] | None:
    messages = chat.get("messages") if isinstance(chat, dict) else None
    return messages if isinstance(messages, list) else None


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
        buffer, shift = repair_escapes(data)
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
