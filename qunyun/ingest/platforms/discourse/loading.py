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

from collections.abc import Iterator
from enum import StrEnum
from pathlib import Path
from typing import Any

import ijson
from django.utils.translation import gettext as _

from qunyun.ingest.errors import ImportFormatError
from qunyun.ingest.platforms import json_export

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


def sniff(path: Path) -> Shape:
    """Return which Discourse response ``path`` holds, reading only as far as needed."""
    with json_export.open_json(path) as handle:
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
    with json_export.open_json(path) as handle:
        try:
            yield from enumerate(ijson.items(handle, "latest_posts.item", use_float=True), 1)
        except (ijson.JSONError, UnicodeDecodeError):
            raise locate_error(path) from None


def load_whole(path: Path) -> Any:
    """Return the parsed JSON document of ``path`` (a UTF-8 BOM is accepted)."""
    return json_export.load_file(path)


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
        return json_export.not_json(path)
    try:
        json_export.load_file(path)
    except ImportFormatError as error:
        return error
    # Only the streaming reader objected (e.g. a number too large for a double).
    return json_export.not_json(path)
