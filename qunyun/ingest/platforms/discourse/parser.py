"""Saved Discourse API responses (JSON) → canonical records.

Spec: the Discourse API (https://docs.discourse.org), its rswag schemas in
discourse/discourse ``spec/requests/api/schemas/json/``, and the captured responses in
discourse/discourse_api ``spec/fixtures``; summary and choices in
``docs/import-formats.md`` ("Discourse (files and live sync)").

``path`` is one saved response or a folder of them (every ``*.json`` in it, sorted by
name): ``/posts.json`` pages, ``/t/{id}.json`` topics, and optionally ``/site.json`` or
``/categories.json`` for category names. User lists (``/directory_items.json``,
``/admin/users/list/*.json``) are accepted and yield nothing: a parser cannot create
members, and every post already names its author.

Reads twice: the first pass learns what posts do not say about themselves (category
names, topic titles, post number → id for reply links, wherever they appear in the
folder), the second maps each post with :mod:`~qunyun.ingest.platforms.discourse.mapping`,
the same code the live client uses. Broken JSON is therefore reported before any record.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

from django.utils.translation import gettext as _

from qunyun.ingest.errors import ImportFormatError
from qunyun.ingest.platforms.discourse import loading
from qunyun.ingest.platforms.discourse.forum_index import ForumIndex, as_int
from qunyun.ingest.platforms.discourse.loading import Shape
from qunyun.ingest.platforms.discourse.mapping import PostMapper
from qunyun.ingest.records import ActivityRecord, ChannelRecord

Record = ChannelRecord | ActivityRecord


def parse(path: Path) -> Iterator[Record]:
    """Yield each category and then the activities of the saved response(s) at ``path``.

    Raises :class:`ImportFormatError` naming the file and the place (line and byte
    offset for broken JSON, the post's position and field for a malformed post).
    """
    files = _files(path)
    shapes = [loading.sniff(file) for file in files]
    index = ForumIndex()
    for file, shape in zip(files, shapes, strict=True):
        _learn(index, file, shape)
    mapper = PostMapper(index)
    for file, shape in zip(files, shapes, strict=True):
        if shape is Shape.POSTS:
            for position, post in loading.stream_posts(file):
                yield from mapper.records(post, path=str(file), record=position)
        elif shape is Shape.TOPIC:
            document = loading.load_whole(file)
            topic_id = as_int(document.get("id")) if isinstance(document, dict) else None
            for position, post in enumerate(loading.topic_posts(file, document), 1):
                yield from mapper.records(post, path=str(file), record=position, topic_id=topic_id)


def _files(path: Path) -> list[Path]:
    if not path.is_dir():
        return [path]
    files = sorted(p for p in path.glob("*.json") if p.is_file())
    if not files:
        raise ImportFormatError(_("The folder holds no .json files."), path=str(path))
    return files


def _learn(index: ForumIndex, file: Path, shape: Shape) -> None:
    """First pass over one file: validate its JSON and learn what later posts need."""
    if shape is Shape.POSTS:
        for _position, post in loading.stream_posts(file):
            index.learn_post(post)
        return
    document = loading.load_whole(file)  # also proves the file is whole
    if shape is Shape.TOPIC:
        loading.topic_posts(file, document)
        index.learn_topic_document(document)
    elif shape in (Shape.SITE, Shape.CATEGORIES):
        for category in loading.categories(file, document, shape):
            index.learn_category(category)
    elif shape is Shape.USER_LIST and not isinstance(document, list):
        raise ImportFormatError(_("The file is not a list of users."), path=str(file))
