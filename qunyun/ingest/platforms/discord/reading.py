"""Stream one DiscordChatExporter JSON file: its preamble, then one message at a time.

DiscordChatExporter writes with .NET's ``Utf8JsonWriter`` (``Indented = true``, see
``JsonMessageWriter.cs``): the preamble (``guild``, ``channel``, ``dateRange``,
``exportedAt``) first, then ``"messages": [`` with every message opening on a new line at
one indentation, and ``messageCount`` last. Exports reach gigabytes, so the file is never
loaded whole.

The fast path (:mod:`..indented_json`) reads big chunks, cuts them at the joint between
two messages (``},`` + newline + indentation + ``{``, with the newline the exporter used)
and parses the messages before the cut with one orjson call. A raw newline cannot occur
inside a JSON string, and a batch is accepted only if it parses as a whole array, so an
accepted cut is the file's own structure; a message orjson refuses (a lone surrogate
escape) is read by yajl alone. Anything else — minified or re-indented JSON, a broken
file — switches to ijson's streaming parser from the start,
skipping the messages already delivered; a broken file is then located byte-exactly by
:func:`.faults.find_fault`.
"""

from __future__ import annotations

import io
from collections.abc import Iterator
from pathlib import Path
from typing import IO, Any

import ijson
from django.utils.translation import gettext as _
from ijson.common import ObjectBuilder

from qunyun.ingest.errors import ImportFormatError
from qunyun.ingest.platforms import indented_json, json_export
from qunyun.ingest.platforms.discord.faults import find_fault
from qunyun.ingest.platforms.indented_json import NotThisLayout

CHUNK = 1 << 16  # the first read (the preamble); messages are read in indented_json.CHUNK
_OPEN = frozenset({"start_map", "start_array"})
_CLOSE = frozenset({"end_map", "end_array"})

Events = Iterator[tuple[str, Any]]


class ExportReader:
    """Reads the preamble and the messages of one exported channel."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.start = 0  # where the JSON text begins (3 after a UTF-8 byte-order mark)

    def error(self, problem: str, field: str | None = None) -> ImportFormatError:
        return ImportFormatError(problem, path=str(self.path), field=field)

    def open(self) -> tuple[dict[str, Any], Iterator[Any]]:
        """Return the top-level members before ``messages`` and an iterator of messages.

        Raises :class:`ImportFormatError` for an unreadable, empty or broken file — from
        this call or, for faults further in, while iterating.
        """
        handle = json_export.open_json(self.path)
        self.start = handle.tell()
        try:
            head = handle.read(CHUNK)
        except OSError as error:
            handle.close()
            raise json_export.unreadable_file(self.path, error) from None
        if len(head) < CHUNK and json_export.is_blank(head):
            handle.close()
            raise json_export.empty_file(self.path)
        found = indented_json.find_array(head, 0, b"messages")
        while found is None and len(head) < indented_json.MAX_PREAMBLE:
            more = handle.read(CHUNK)
            if not more:
                break
            head += more
            found = indented_json.find_array(head, 0, b"messages")
        if found is None:
            handle.close()
            return self._streamed()
        header, after = found
        return header, self._fast(handle, head[after:])

    # The fast path ------------------------------------------------------------------

    def _fast(self, handle: IO[bytes], rest: bytes) -> Iterator[Any]:
        """Yield the messages of the array whose text (after ``[``) begins with ``rest``."""
        delivered = 0
        try:
            for batch, _members_after in indented_json.elements(handle, rest, _parse_slowly):
                yield from batch
                delivered += len(batch)
        except NotThisLayout:
            # Not the exporter's layout (or broken): the streaming parser takes over from
            # the start, skipping what was delivered, and locates the fault of a broken file.
            handle.close()
            yield from self._streamed_messages(skip=delivered)
        finally:
            handle.close()

    # The streaming fallback ---------------------------------------------------------

    def _streamed(self) -> tuple[dict[str, Any], Iterator[Any]]:
        handle, events = self._events()
        try:
            header = self._header(events)
        except (ijson.JSONError, UnicodeDecodeError):
            handle.close()
            raise self._located() from None
        except BaseException:
            handle.close()
            raise
        return header, self._items(handle, events, skip=0)

    def _streamed_messages(self, skip: int) -> Iterator[Any]:
        handle, events = self._events()
        try:
            self._header(events)
        except (ijson.JSONError, UnicodeDecodeError):
            handle.close()
            raise self._located() from None
        except BaseException:
            handle.close()
            raise
        yield from self._items(handle, events, skip)

    def _events(self) -> tuple[IO[bytes], Events]:
        handle = self.path.open("rb")
        handle.seek(self.start)
        return handle, iter(ijson.basic_parse(handle, use_float=True))

    def _header(self, events: Events) -> dict[str, Any]:
        event, _value = next(events, ("", None))
        if event != "start_map":
            raise self.error(_("The file is not a JSON object."))
        header: dict[str, Any] = {}
        for event, key in events:
            if event == "end_map":
                break
            event, value = next(events, ("", None))
            if key == "messages":
                if event != "start_array":
                    raise self.error(_("“messages” is not a list."), field="messages")
                return header
            header[key] = _build(event, value, events)
        raise self.error(_("The export has no “messages”."), field="messages")

    def _items(self, handle: IO[bytes], events: Events, skip: int) -> Iterator[Any]:
        try:
            for index, (event, value) in enumerate(events, start=1):
                if event == "end_array":
                    break
                item = _build(event, value, events)
                if index > skip:
                    yield item
            for _event in events:  # what follows the messages must be valid JSON too
                pass
        except (ijson.JSONError, UnicodeDecodeError):
            raise self._located() from None
        finally:
            handle.close()

    def _located(self) -> ImportFormatError:
        fault = find_fault(self.path, self.start)
        return fault or json_export.not_json(self.path)


def _parse_slowly(data: bytes) -> Any:
    """Parse one message that orjson refused; yajl accepts lone surrogate escapes."""
    try:
        values = list(ijson.items(io.BytesIO(data), "", use_float=True))
    except (ijson.JSONError, ValueError):
        raise NotThisLayout from None
    if len(values) != 1:
        raise NotThisLayout
    return values[0]


def _build(event: str, value: Any, events: Events) -> Any:
    """Return the value that starts with ``(event, value)``, reading the rest of it."""
    if event not in _OPEN:
        return value
    builder = ObjectBuilder()
    builder.event(event, value)
    depth = 1
    for event, value in events:
        builder.event(event, value)
        if event in _OPEN:
            depth += 1
        elif event in _CLOSE:
            depth -= 1
            if not depth:
                break
    return builder.value
