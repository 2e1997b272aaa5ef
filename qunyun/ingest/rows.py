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


def compact(
    records: Iterable[ChannelRecord | ActivityRecord], adapt: Callable[[datetime], Any]
) -> Iterator[Batch]:
    """Records as batches of the rows the writer consumes (validation of lengths included)."""
    dumps = orjson.dumps
    kind_text: dict[Any, str] = _KIND_TEXT
    message_kinds = _MESSAGE_TEXT
    channel_numbers: dict[tuple[str, str], int] = {}
    person_numbers: dict[tuple[str, str], int] = {}
    #: By person number: [first, last, activities, messages].
    figures: list[list[Any]] = []
    channels: list[tuple[Any, ...]] = []
    people: list[tuple[Any, ...]] = []
    rows: list[tuple[Any, ...]] = []
    last_ref: Any = None
    last_person = last_channel = -1
    last_figures: list[Any] = []
    last_source: Any = None
    last_channel_id: Any = None
    read = 0  # activities so far
    for record in records:
        if type(record) is ChannelRecord:
            key = (record.source, record.external_id)
            number = channel_numbers.get(key)
            if number is None:
                number = channel_numbers[key] = len(channel_numbers)
            # Sent again when met again: a later record may name a channel first seen
            # only as the place of an activity.
            channels.append(
                (number, record.source, record.external_id, record.name[:255], record.kind[:64])
            )
            continue
        source = record.source
        channel_id = record.channel  # type: ignore[union-attr]
        a = record.author  # type: ignore[union-attr]
        # Parsers hand out the same string objects: identity is the cheap first test.
        if channel_id is not last_channel_id or source is not last_source:
            if channel_id != last_channel_id or source != last_source:
                key = (source, channel_id)
                number = channel_numbers.get(key)
                if number is None:
                    number = channel_numbers[key] = len(channel_numbers)
                    channels.append((number, source, channel_id, "", ""))
                last_channel = number
                last_ref = None  # a name-only person is known per channel
            last_source, last_channel_id = source, channel_id
        if a is not last_ref:  # parsers hand out one PersonRef per person and chat
            external_id = a.external_id
            if external_id:
                person_key = (source, external_id[:255])
            else:
                person_key = (source, name_only_external_id(channel_id, a.display_name))
            number = person_numbers.get(person_key)
            if number is None:
                number = person_numbers[person_key] = len(person_numbers)
                people.append((number, source, person_key[1], person_tuple(a)))
                figures.append([None, None, 0, 0])
            last_ref, last_person = a, number
            last_figures = figures[number]
        text = record.text  # type: ignore[union-attr]
        if len(text) > MAX_TEXT_CHARS:
            raise _text_too_long(record, len(text), read)  # type: ignore[arg-type]
        if "\x00" in text:  # PostgreSQL rejects NUL in text; exports occasionally carry one
            text = text.replace("\x00", "")
        attrs = record.attrs  # type: ignore[union-attr]
        kind_value = record.kind  # type: ignore[union-attr]
        kind = kind_text.get(kind_value) or str(kind_value)
        at = adapt(record.occurred_at)  # type: ignore[union-attr]
        rows.append(
            (
                last_channel,
                record.external_id[:255],
                last_person,
                kind,
                at,
                text,
                (record.reply_to or "")[:255],  # type: ignore[union-attr]
                (record.thread or "")[:255],  # type: ignore[union-attr]
                dumps(attrs).decode() if attrs else "{}",
            )
        )
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
        read += 1
        if len(rows) >= BATCH:
            yield channels, people, rows, None
            channels, people, rows = [], [], []
    if channels or people or rows:
        yield channels, people, rows, None
    for start in range(0, len(figures), FIGURES_BATCH):
        yield [], [], [], (start, figures[start : start + FIGURES_BATCH])


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
