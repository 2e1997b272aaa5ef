"""Read a Telegram Desktop ``result.json`` into Python objects, or say where it is broken.

A file up to :data:`STREAM_THRESHOLD` bytes is parsed whole with orjson, the fastest way;
a larger one is streamed (:mod:`.streaming`) so that memory stays bounded. Both repair
tdesktop's ``\\x01`` escapes (:mod:`.escapes`) and yield the same chats.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import Any

from django.utils.translation import gettext as _

from qunyun.ingest.errors import ImportFormatError
from qunyun.ingest.platforms import json_export
from qunyun.ingest.platforms.telegram.escapes import repair_escapes

#: Files larger than this are streamed. Parsed whole, an export takes about 7.4 times its
#: size in memory (2.4 GB for a file of 317 MiB); streamed, about 50 MB whatever its
#: size, at nearly the same speed. So only files that cost under 500 MB are parsed whole.
STREAM_THRESHOLD = 64 << 20

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
    return json_export.load_file(path, repair=_repair_escapes)


def _repair_escapes(data: bytes) -> tuple[bytes, Callable[[int], int]] | None:
    return repair_escapes(data) if b"\\x" in data else None
