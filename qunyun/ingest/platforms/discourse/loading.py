"""Read saved Discourse API responses, or say exactly where one is broken.

Which response a file holds is told by its top-level key: ``latest_posts``
(``/posts.json``), ``post_stream`` (``/t/{id}.json``, ``/t/{id}/posts.json``),
``directory_items`` (``/directory_items.json``), ``categories`` (``/site.json``),
``category_list`` (``/categories.json``), or a top-level array of users
(``/admin/users/list/{query}.json``).

``/posts.json`` is streamed post by post (a merged dump can be large); the other
responses are one page each — a topic holds at most a page of posts — and are read whole.
"""

from __future__ import annotations

import codecs
from collections.abc import Iterator
from enum import StrEnum
from pathlib import Path
from typing import IO, Any

import ijson
import orjson
from django.utils.translation import gettext as _

from qunyun.ingest.errors import ImportFormatError

UTF8_BOM = codecs.BOM_UTF8
#: Beyond this size a broken file is not read whole just to find the broken byte.
LOCATE_LIMIT = 512 * 1024 * 1024


class Shape(StrEnum):
    POSTS = "latest_posts"
    TOPIC = "post_stream"
    DIRECTORY = "directory_items"
    SITE = "categories"
    CATEGORIES = "category_list"
    USER_LIST = "[]"


_KEYS = {shape.value: shape for shape in Shape if shape is not Shape.USER_LIST}


def _open(path: Path) -> IO[bytes]:
    try:
        handle = path.open("rb")
    except OSError as error:
        raise ImportFormatError(
            _("The file cannot be read: %(reason)s") % {"reason": error.strerror or error},
            path=str(path),
        ) from None
    if handle.read(len(UTF8_BOM)) != UTF8_BOM:
        handle.seek(0)
    return handle


def sniff(path: Path) -> Shape:
    """Return which Discourse response ``path`` holds, reading only as far as needed."""
    with _open(path) as handle:
        try:
            events = ijson.parse(handle, use_float=True)
            for prefix, event, value in events:
                if prefix != "":
                    continue
                if event == "start_array":
                    return Shape.USER_LIST
                if event == "map_key" and value in _KEYS:
                    shape = _KEYS[value]
                    if shape is Shape.POSTS and next(events, ("", "", None))[1] != "start_array":
                        raise ImportFormatError(
                            _("“%(field)s” is not a list.") % {"field": value},
                            path=str(path),
                            field=value,
                        )
                    return shape
                if event not in ("start_map", "map_key", "end_map"):
                    break  # a bare number or string
        except (ijson.JSONError, UnicodeDecodeError):
            raise locate_error(path) from None
    raise ImportFormatError(
        _(
            "This is not a saved Discourse response: it has none of “latest_posts”, "
            "“post_stream”, “directory_items”, “categories”, “category_list”."
        ),
        path=str(path),
    )


def stream_posts(path: Path) -> Iterator[tuple[int, Any]]:
    """Yield ``(position, post)`` for each entry of ``latest_posts``, 1-based."""
    with _open(path) as handle:
        try:
            yield from enumerate(ijson.items(handle, "latest_posts.item", use_float=True), 1)
        except (ijson.JSONError, UnicodeDecodeError):
            raise locate_error(path) from None


def load_whole(path: Path) -> Any:
    """Return the parsed JSON document of ``path`` (a UTF-8 BOM is accepted)."""
    with _open(path) as handle:
        data = handle.read()
    if not data or data.isspace():
        raise ImportFormatError(_("The file is empty."), path=str(path))
    try:
        return orjson.loads(data)
    except orjson.JSONDecodeError:
        raise locate_error(path) from None


def topic_posts(path: Path, document: Any) -> list[Any]:
    """The ``post_stream.posts`` list of a topic response."""
    stream = document.get("post_stream") if isinstance(document, dict) else None
    posts = stream.get("posts") if isinstance(stream, dict) else None
    if not isinstance(posts, list):
        raise ImportFormatError(
            _("“%(field)s” is not a list.") % {"field": "post_stream.posts"},
            path=str(path),
            field="post_stream.posts",
        )
    return posts


def categories(path: Path, document: Any, shape: Shape) -> list[Any]:
    """The category list of a ``/site.json`` or ``/categories.json`` response."""
    holder = document
    field = "categories"
    if shape is Shape.CATEGORIES:
        holder = document.get("category_list") if isinstance(document, dict) else None
        field = "category_list.categories"
    found = holder.get("categories") if isinstance(holder, dict) else None
    if not isinstance(found, list):
        raise ImportFormatError(
            _("“%(field)s” is not a list.") % {"field": field}, path=str(path), field=field
        )
    return found


def locate_error(path: Path) -> ImportFormatError:
    """Describe why ``path`` is not valid UTF-8 JSON, with its line and byte offset."""
    try:
        size = path.stat().st_size
    except OSError:
        size = LOCATE_LIMIT + 1
    if size > LOCATE_LIMIT:
        return ImportFormatError(_("The file is not valid JSON."), path=str(path))
    data = path.read_bytes()
    skipped = len(UTF8_BOM) if data.startswith(UTF8_BOM) else 0
    data = data[skipped:]
    if not data or data.isspace():
        return ImportFormatError(_("The file is empty."), path=str(path))
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as error:
        return ImportFormatError(
            _("The file is not UTF-8 text (byte %(byte)s).") % {"byte": hex(data[error.start])},
            path=str(path),
            line=data.count(b"\n", 0, error.start) + 1,
            offset=error.start + skipped,
        )
    try:
        orjson.loads(data)
    except orjson.JSONDecodeError as error:
        offset = len(text[: error.pos].encode("utf-8"))
        return ImportFormatError(
            _("Invalid JSON at column %(column)d: %(reason)s")
            % {"column": error.colno, "reason": error.msg},
            path=str(path),
            line=error.lineno,
            offset=offset + skipped,
        )
    # Only the streaming reader objected (e.g. a number too large for a double).
    return ImportFormatError(_("The file is not valid JSON."), path=str(path))
