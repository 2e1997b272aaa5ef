"""Stream a Telegram export too big to be parsed whole, in bounded memory.

A single-chat export (``{name, type, id, messages}``) as tdesktop lays it out (``name``,
``type`` and ``id`` first, then each message on a new line) is split into batches of
messages that orjson parses (:mod:`..indented_json`). Any other single-chat export, or
one that this fast reader turns down part-way, is streamed: its header is read with
``ijson.parse`` up to ``messages``, then ``ijson.items(file, "messages.item")`` builds one
message at a time, in C (skipping the messages the fast reader delivered already).

A full-account export (``chats.list`` and ``left_chats.list``): two readers go through
the file in step. One keeps only the events that tell where a chat begins, its ``name``,
``type`` and ``id``, and where each of its messages begins; the other (``ijson.items``
at ``chats.list.item.messages.item``, reading ``left_chats`` as ``chats``) builds the
messages. So a chat of millions of messages is never held at once.

Keys in another order than tdesktop's: a single chat whose ``id`` follows its messages
is read by scanning on for it first; in a full export, such a chat's messages are held
until its end. ``name`` and ``type`` after ``messages`` are not read.
"""

from __future__ import annotations

import io
from collections import deque
from collections.abc import Iterator
from contextlib import ExitStack
from itertools import islice
from pathlib import Path
from typing import IO, Any

import ijson
from django.utils.translation import gettext as _

from qunyun.ingest.errors import ImportFormatError
from qunyun.ingest.platforms import indented_json, json_export
from qunyun.ingest.platforms.indented_json import NotThisLayout
from qunyun.ingest.platforms.telegram.escapes import RepairingReader, repair_escapes
from qunyun.ingest.platforms.telegram.faults import PARSE_ERRORS, stream_error
from qunyun.ingest.platforms.telegram.loading import Chat

_BUFFER = 1 << 16
_SECTIONS = ("chats", "left_chats")
_HEADER_KEYS = ("name", "type", "id")
_SCALARS = frozenset({"string", "number", "boolean", "null"})
_VALUE_STARTS = _SCALARS | {"start_map", "start_array"}
_EVENTS = _VALUE_STARTS | {"map_key", "end_map", "end_array"}
#: Top-level keys that, before ``messages``, make a file more than one tdesktop chat.
_NOT_SINGLE = frozenset({"messages", *_SECTIONS})
#: Stands for a header value that is an object or a list: never a name, type or id.
_CONTAINER: Any = ("an object or a list",)


def _watched() -> dict[str, frozenset[str]]:
    """The events, by prefix, that say where chats and their messages are."""
    prefixes = ["", "messages", *_HEADER_KEYS]
    for section in _SECTIONS:
        chat = f"{section}.list.item"
        prefixes += [section, f"{section}.list", chat, f"{chat}.messages"]
        prefixes += [f"{chat}.{key}" for key in _HEADER_KEYS]
    watched = dict.fromkeys(prefixes, _EVENTS)
    for section in _SECTIONS:
        watched[f"{section}.list.item.messages.item"] = _VALUE_STARTS  # a message begins
    return watched


_WATCHED = _watched()


def _structure(events: Iterator[tuple[str, str, Any]]) -> Iterator[tuple[str, str, Any]]:
    """Keep the events that tell where chats and messages are (a few per message)."""
    watched = _WATCHED.get
    for item in events:
        wanted = watched(item[0])
        if wanted is not None and item[1] in wanted:
            yield item


def stream_chats(path: Path) -> Iterator[Chat]:
    """Yield every chat of the export at ``path`` as its messages are read.

    Each chat's messages must be consumed before the next chat is asked for.
    """
    with ExitStack() as files:
        single = _fast_single(path, files)
        if single is not None:
            yield single
        else:
            yield from _Export(path, files).chats()


def _fast_single(path: Path, files: ExitStack) -> Chat | None:
    """The chat of a single-chat export in tdesktop's layout, read by the fast reader.

    ``None`` when the file does not begin like one (the caller streams it).
    """
    handle = files.enter_context(json_export.open_json(path))
    found = indented_json.read_head(handle, 0, b"messages")
    if found is None:
        handle.close()
        return None
    header, rest = found
    if "id" not in header or not _NOT_SINGLE.isdisjoint(header):
        handle.close()
        return None
    return header, "", _fast_messages(path, files, handle, rest)


def _fast_messages(path: Path, files: ExitStack, handle: IO[bytes], rest: bytes) -> Iterator[Any]:
    delivered = 0
    try:
        for batch, trailing in indented_json.elements(handle, rest, _parse_slowly):
            if "messages" in trailing:
                raise NotThisLayout  # a second "messages": the streaming reader reads both
            yield from batch
            delivered += len(batch)
    except NotThisLayout:
        handle.close()
        yield from islice(_single_messages(path, files), delivered, None)
    finally:
        handle.close()


def _single_messages(path: Path, files: ExitStack) -> Iterator[Any]:
    reader = _Reader(path, files)
    items = ijson.items(reader.file, "messages.item", use_float=True, buf_size=_BUFFER)
    try:
        yield from items
    except PARSE_ERRORS as error:
        raise reader.fail(error) from None


class _Reader:
    """The file opened once more, with tdesktop's escapes repaired."""

    def __init__(self, path: Path, files: ExitStack, *, rename_left_chats: bool = False) -> None:
        self.path = path
        raw = files.enter_context(path.open("rb", buffering=0))
        self.file = RepairingReader(raw, _BUFFER, rename_left_chats=rename_left_chats)

    def fail(self, error: Exception) -> ImportFormatError:
        return stream_error(self.path, self.file, error)


class _Export:
    def __init__(self, path: Path, files: ExitStack) -> None:
        self.path = path
        self.files = files
        self.structure = _Reader(path, files)
        events = ijson.parse(self.structure.file, use_float=True, buf_size=_BUFFER)
        self._events = _structure(events)
        self._readers: dict[str, tuple[_Reader, Iterator[Any]]] = {}
        self._taken = dict.fromkeys(_SECTIONS, 0)
        #: Whether one reader builds the messages of both sections (see next_message).
        self._shared: bool | None = None

    def next_event(self) -> tuple[str, str, Any]:
        try:
            return next(self._events)
        except PARSE_ERRORS as error:
            raise self.structure.fail(error) from None
        except StopIteration:  # only after the end of the document, which we never pass
            raise self.error(_("The file changed while it was being read.")) from None

    def error(self, problem: str, field: str | None = None) -> ImportFormatError:
        return ImportFormatError(problem, path=str(self.path), field=field)

    def chats(self) -> Iterator[Chat]:
        _prefix, event, _value = self.next_event()
        if event != "start_map":
            raise self.error(_("The file is not a JSON object."))
        header: dict[str, Any] = {}
        full = False
        while True:
            prefix, event, value = self.next_event()
            if prefix == "":
                if event == "end_map":
                    break
                if value == "messages":
                    if full:
                        raise self.error(
                            _("The file holds both one chat (“messages”) and a full export."),
                            field="messages",
                        )
                    yield from self.single(header)
                    return
                if value in _SECTIONS:
                    full = True
                    if self._shared is None:
                        self._shared = value == "chats"
                    yield from self.section(value)
            elif prefix in _HEADER_KEYS and event in _VALUE_STARTS:
                header[prefix] = value if event in _SCALARS else _CONTAINER
        if not full:
            raise self.error(
                _("This is not a Telegram export: it has neither “messages” nor “chats”.")
            )
        self.finish()

    def finish(self) -> None:
        """Read to the end of the file, so that what follows the document is checked."""
        try:
            next(self._events)
        except PARSE_ERRORS as error:
            raise self.structure.fail(error) from None
        except StopIteration:
            return

    def single(self, header: dict[str, Any]) -> Iterator[Chat]:
        _prefix, event, _value = self.next_event()
        is_list = event == "start_array"
        if "id" not in header or not is_list:
            self.scan_header(header)
        yield header, "", self.single_messages() if is_list else None

    def scan_header(self, header: dict[str, Any]) -> None:
        """Read on to the end of the document for the chat keys that follow its messages."""
        while True:
            prefix, event, value = self.next_event()
            if prefix == "" and event == "end_map":
                self.finish()
                return
            if prefix in _HEADER_KEYS and event in _VALUE_STARTS:
                header[prefix] = value if event in _SCALARS else _CONTAINER

    def single_messages(self) -> Iterator[Any]:
        return _single_messages(self.path, self.files)

    def section(self, name: str) -> Iterator[Chat]:
        field = f"{name}.list"
        not_a_list = self.error(_("“%(field)s” is not a list.") % {"field": field}, field=field)
        _prefix, event, _value = self.next_event()
        if event != "start_map":
            raise not_a_list
        listed = False
        while True:
            prefix, event, value = self.next_event()
            if prefix != name:
                continue
            if event == "end_map":
                break
            if event == "map_key" and value == "list":
                if listed:
                    raise self.error(_("“%(field)s” appears twice.") % {"field": field}, field)
                _prefix, event, _value = self.next_event()
                if event != "start_array":
                    raise not_a_list
                listed = True
                yield from self.chat_list(name)
        if not listed:
            raise not_a_list

    def chat_list(self, name: str) -> Iterator[Chat]:
        listing, item = f"{name}.list", f"{name}.list.item"
        index = 0
        while True:
            prefix, event, value = self.next_event()
            if prefix == listing and event == "end_array":
                return
            if prefix == item and event in _VALUE_STARTS:
                where = f"{name}.list[{index}]"
                index += 1
                if event == "start_map":
                    yield from self.chat(name, where)
                else:
                    yield (value if event in _SCALARS else _CONTAINER), where, None

    def chat(self, name: str, where: str) -> Iterator[Chat]:
        chat = f"{name}.list.item"
        field = f"{chat}.messages"
        header: dict[str, Any] = {}
        seen = streamed = False
        held: list[Any] | None = None
        while True:
            prefix, event, value = self.next_event()
            if prefix == chat:
                if event == "end_map":
                    break
            elif event not in _VALUE_STARTS:
                continue  # the end of a value, or a key inside a value that is not a list
            elif prefix == field:
                if seen:
                    raise self.error(
                        _("“%(field)s” appears twice.") % {"field": f"{where}.messages"},
                        f"{where}.messages",
                    )
                seen = True
                if event != "start_array":
                    continue
                messages = self.chat_messages(name)
                if "id" in header:
                    streamed = True
                    yield header, where, messages
                    deque(messages, maxlen=0)  # the reader stopped early: stay in step
                else:
                    held = list(messages)
            else:
                header[prefix.rpartition(".")[2]] = value if event in _SCALARS else _CONTAINER
        if not streamed:
            yield header, where, held

    def chat_messages(self, name: str) -> Iterator[Any]:
        end = f"{name}.list.item.messages"
        while True:
            prefix, _event, _value = self.next_event()
            if prefix == end:
                return
            yield self.next_message(name)

    def next_message(self, section: str) -> Any:
        """Return the next message of ``section`` from a reader that builds messages.

        When ``chats`` comes first, as tdesktop writes it, one reader serves both
        sections: it reads the ``left_chats`` key as ``chats``, so the messages of left
        chats follow the others under the same prefix. Otherwise, or if that key is
        written in another way, each section has a reader of its own.
        """
        shared = self._shared is True
        key = "shared" if shared else section
        if key not in self._readers:
            prefix = "chats" if shared else section
            self._readers[key] = self.message_reader(prefix, rename_left_chats=shared)
        reader, items = self._readers[key]
        try:
            message = next(items)
        except PARSE_ERRORS as error:
            raise reader.fail(error) from None
        except StopIteration:
            if not shared or section == "chats":
                raise self.error(_("The file changed while it was being read.")) from None
            self._shared = False
            self._readers[section] = reader, items = self.message_reader(section)
            for _taken in range(self._taken[section]):
                next(items, None)
            return self.next_message(section)
        self._taken[section] += 1
        return message

    def message_reader(
        self, section: str, *, rename_left_chats: bool = False
    ) -> tuple[_Reader, Iterator[Any]]:
        reader = _Reader(self.path, self.files, rename_left_chats=rename_left_chats)
        prefix = f"{section}.list.item.messages.item"
        return reader, ijson.items(reader.file, prefix, use_float=True, buf_size=_BUFFER)


def _parse_slowly(data: bytes) -> Any:
    """Parse one message orjson refused: repair tdesktop's escapes; yajl takes the rest."""
    repaired, _shift = repair_escapes(data)
    try:
        values = list(ijson.items(io.BytesIO(repaired), "", use_float=True))
    except (*PARSE_ERRORS, ValueError):
        raise NotThisLayout from None
    if len(values) != 1:
        raise NotThisLayout
    return values[0]
