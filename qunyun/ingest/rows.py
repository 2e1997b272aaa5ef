"""Canonical records → the rows the writer inserts, built where the records are parsed.

:func:`compact` runs in the parser process when there is one (:mod:`.read_ahead`), so
that the writer — the import's bottleneck, SQLite's one writer — only maps numbers to
database ids and inserts. It also counts, per person, what the member figures need
(first and last time, activities, messages), so that the figures of people new to the
workspace are known without reading their rows back.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from datetime import datetime
from typing import Any

import orjson
from django.utils.translation import gettext as _

from qunyun.ingest.errors import ImportFormatError
from qunyun.ingest.identity import name_only_external_id, person_tuple
from qunyun.ingest.records import MESSAGE_KINDS, ActivityKind, ActivityRecord, ChannelRecord

BATCH = 5000
#: The longest text one activity may carry (characters). Real messages are far shorter
#: (Slack cuts at 40,000, Discourse posts default to 32,000); beyond this the file is
#: damaged or crafted, and the database would refuse or choke on the row.
MAX_TEXT_CHARS = 1_000_000
#: People's figures are sent this many at a time after the last rows.
FIGURES_BATCH = 50_000

#: What the writer needs of one batch of records: ``(channels, people, rows, figures)``.
#: ``channels`` lists channels as ``(number, source, external_id, name, kind)``;
#: ``people`` lists the people met for the first time as ``(number, source, identity
#: external id, person)``, person as :func:`~qunyun.ingest.identity.person_tuple` gives
#: it; each row is ``(channel number, external_id, person number, kind, occurred_at,
#: text, reply_to, thread, attrs_json)`` with ``occurred_at`` in the database's
#: parameter form. A person's details cross the queue once per import, not with each of
#: their messages. ``figures`` is ``None`` but in the batches after the last rows:
#: ``(first person number, [[first, last, activities, messages], …])`` for people in
#: order, their first and last ``occurred_at`` in the same parameter form.
Batch = tuple[
    list[tuple[Any, ...]],
    list[tuple[Any, ...]],
    list[tuple[Any, ...]],
    tuple[int, list[list[Any]]] | None,
]

_KIND_TEXT = {kind: kind.value for kind in ActivityKind}
_MESSAGE_TEXT = frozenset(kind.value for kind in MESSAGE_KINDS)


class _Numbering:
    """The numbers of the channels and people met so far, and what is new since the
    last batch: the rare steps of :func:`compact`, taken when the channel or the author
    changes rather than on every record."""

    def __init__(self) -> None:
        self.channel_numbers: dict[tuple[str, str], int] = {}
        self.person_numbers: dict[tuple[str, str], int] = {}
        #: By person number: [first, last, activities, messages].
        self.figures: list[list[Any]] = []
        self.channels: list[tuple[Any, ...]] = []
        self.people: list[tuple[Any, ...]] = []

    def named_channel(self, record: ChannelRecord) -> None:
        """A channel record: sent again when met again, since a later record may name
        a channel first seen only as the place of an activity."""
        number = self.channel(record.source, record.external_id, announce=False)
        self.channels.append(
            (number, record.source, record.external_id, record.name[:255], record.kind[:64])
        )

    def channel(self, source: str, external_id: str, *, announce: bool = True) -> int:
        key = (source, external_id)
        number = self.channel_numbers.get(key)
        if number is None:
            number = self.channel_numbers[key] = len(self.channel_numbers)
            if announce:
                self.channels.append((number, source, external_id, "", ""))
        return number

    def person(self, source: str, channel_id: str, author: Any) -> tuple[int, list[Any]]:
        """The number and the figures of ``author`` (a name-only person is known per
        channel)."""
        external_id = author.external_id
        if external_id:
            key = (source, external_id[:255])
        else:
            key = (source, name_only_external_id(channel_id, author.display_name))
        number = self.person_numbers.get(key)
        if number is None:
            number = self.person_numbers[key] = len(self.person_numbers)
            self.people.append((number, source, key[1], person_tuple(author)))
            self.figures.append([None, None, 0, 0])
        return number, self.figures[number]

    def figure_batches(self) -> Iterator[Batch]:
        """The people's figures, after the last rows."""
        for start in range(0, len(self.figures), FIGURES_BATCH):
            yield [], [], [], (start, self.figures[start : start + FIGURES_BATCH])

    def take_new(self) -> tuple[list[tuple[Any, ...]], list[tuple[Any, ...]]]:
        """The channels and people new since the last call."""
        channels, people = self.channels, self.people
        self.channels, self.people = [], []
        return channels, people


def compact(
    records: Iterable[ChannelRecord | ActivityRecord], adapt: Callable[[datetime], Any]
) -> Iterator[Batch]:
    """Records as batches of the rows the writer consumes (validation of lengths included)."""
    kind_text: dict[Any, str] = _KIND_TEXT
    dumps, message_kinds = orjson.dumps, _MESSAGE_TEXT
    known = _Numbering()
    rows: list[tuple[Any, ...]] = []
    last_ref: Any = None
    last_person = last_channel = -1
    last_figures: list[Any] = []
    last_source: Any = None
    last_channel_id: Any = None
    emitted = 0  # activities in the batches sent so far
    for record in records:
        if type(record) is ChannelRecord:
            known.named_channel(record)
            continue
        source = record.source
        channel_id = record.channel  # type: ignore[union-attr]
        a = record.author  # type: ignore[union-attr]
        # Parsers hand out the same string objects: identity is the cheap first test.
        if channel_id is not last_channel_id or source is not last_source:
            if channel_id != last_channel_id or source != last_source:
                last_channel = known.channel(source, channel_id)
                last_ref = None  # a name-only person is known per channel
            last_source, last_channel_id = source, channel_id
        if a is not last_ref:  # parsers hand out one PersonRef per person and chat
            last_person, last_figures = known.person(source, channel_id, a)
            last_ref = a
        text = record.text  # type: ignore[union-attr]
        if len(text) > MAX_TEXT_CHARS:
            raise _text_too_long(record, len(text), emitted + len(rows))  # type: ignore[arg-type]
        if "\x00" in text:  # PostgreSQL rejects NUL in text; exports occasionally carry one
            text = text.replace("\x00", "")
        kind = kind_text.get(record.kind) or str(record.kind)  # type: ignore[union-attr]
        at = adapt(record.occurred_at)  # type: ignore[union-attr]
        reply_to = (record.reply_to or "")[:255]  # type: ignore[union-attr]
        thread = (record.thread or "")[:255]  # type: ignore[union-attr]
        attrs = record.attrs  # type: ignore[union-attr]
        attrs_json = dumps(attrs).decode() if attrs else "{}"
        rows.append((last_channel, record.external_id[:255], last_person, kind, at, text,
                     reply_to, thread, attrs_json))  # fmt: skip
        if last_figures[2]:
            if at < last_figures[0]:
                last_figures[0] = at
            elif at > last_figures[1]:
                last_figures[1] = at
        else:
            last_figures[0] = last_figures[1] = at
        last_figures[2] += 1
        if kind in message_kinds:
            last_figures[3] += 1
        if len(rows) >= BATCH:
            yield *known.take_new(), rows, None
            emitted += len(rows)
            rows = []
    if known.channels or known.people or rows:
        yield *known.take_new(), rows, None
    yield from known.figure_batches()


def _text_too_long(record: ActivityRecord, length: int, before: int) -> ImportFormatError:
    return ImportFormatError(
        _("The text of activity “%(id)s” is %(length)s characters long; the limit is %(limit)s.")
        % {
            "id": record.external_id[:80],
            "length": f"{length:,}",
            "limit": f"{MAX_TEXT_CHARS:,}",
        },
        record=before + 1,
        field="text",
    )
