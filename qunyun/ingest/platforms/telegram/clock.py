"""Times in a Telegram export: the UTC epoch, and the exporting PC's wall clock.

tdesktop writes ``date`` with ``QDateTime::fromSecsSinceEpoch(t).toString(Qt::ISODate)``:
the local time of the PC that exported, without an offset. ``date_unixtime`` is the
same instant as a string of epoch seconds, but reactions' ``recent[].date`` only has the
local form. :class:`ReactionClock` learns the PC's offset from messages that carry both,
as the messages go by, so that neither a second pass nor the whole export is needed.
"""

from __future__ import annotations

import heapq
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

from qunyun.ingest.records import ActivityRecord

_EPOCH_UTC = datetime(1970, 1, 1, tzinfo=UTC)
#: A sample: a local time of the exporting PC and its offset from UTC at that time.
Sample = tuple[datetime, timedelta]


def parse_epoch(value: Any) -> int | None:
    """Return epoch seconds given as ``"1726922850"`` or an int; ``None`` otherwise."""
    if type(value) is str:
        if value.isdigit() and value.isascii():
            return int(value)
        digits = value[1:] if value.startswith("-") else value
        return int(value) if digits.isascii() and digits.isdigit() else None
    if type(value) is int:
        return value
    return None


def parse_unixtime(value: Any) -> datetime | None:
    """Return the aware UTC time of epoch seconds given as ``"1726922850"`` or an int.

    Returns ``None`` when ``value`` is not a whole number of seconds in range.
    """
    seconds = parse_epoch(value)
    if seconds is None:
        return None
    try:
        return datetime.fromtimestamp(seconds, UTC)
    except (OverflowError, OSError, ValueError):
        return None


def parse_local(value: Any) -> datetime | None:
    """Return the ISO time ``value`` ("2024-09-21T13:47:30") or ``None`` if it is not one.

    The result is naive for tdesktop's offset-less form, aware if an offset was given.
    """
    if type(value) is not str:
        return None
    try:
        return datetime.fromisoformat(value)
    except ValueError:
        return None


class ReactionClock:
    """Gives reactions, whose times are the exporting PC's local time, their UTC time.

    The PC's offset changes only at daylight saving time, so a reaction takes the offset
    of the nearest of the two messages that bracket it in time: the last one before it
    and the first one at or after it, among messages of its chat carrying both clocks.
    A reaction later than every message seen so far waits (as a record whose time is not
    yet known) until a later message or the end of the chat; :meth:`take_ready` returns
    the records whose time has since become known. At most ``limit`` reactions wait: the
    oldest then takes the offset of the latest message. A chat without any such message
    uses the last offset of an earlier chat, else keeps the message's time.
    """

    def __init__(self, limit: int = 50_000) -> None:
        self._limit = limit
        #: Records whose time is now known, in the order they became known.
        self.ready: list[ActivityRecord] = []
        self._waiting: list[tuple[datetime, int, ActivityRecord]] = []  # a heap
        self._count = 0
        self._earlier_chats: Sample | None = None
        self._start_chat()

    def _start_chat(self) -> None:
        self._current: Sample | None = None  # the latest sample of this chat
        self._previous: Sample | None = None  # the one before it, while reactions wait
        self._message: Any = None  # the latest message with both clocks, not yet sampled
        self._moment: datetime | None = None

    def note(self, message: Any, moment: datetime) -> None:
        """Remember the message that was sent at the UTC time ``moment``."""
        if self._waiting:
            sample = _sample(message, moment)
            if sample is not None:
                self._advance(sample)
        else:
            # Parsing its local date is left until a reaction needs it.
            self._message = message
            self._moment = moment

    def place(self, record: ActivityRecord, local: datetime) -> bool:
        """Set the UTC time of the reaction at ``local``, or keep it until it is known.

        Returns whether ``record`` is ready now; if not, :meth:`take_ready` returns it
        later. Its ``occurred_at`` (the message's time) stays if no offset is ever known.
        """
        if local.tzinfo is not None:
            record.occurred_at = local.astimezone(UTC)
            return True
        current = self._latest()
        if current is not None and local <= current[0]:
            record.occurred_at = _to_utc(local, current)
            return True
        self._count += 1
        heapq.heappush(self._waiting, (local, self._count, record))
        if len(self._waiting) > self._limit:
            self._settle(heapq.heappop(self._waiting), current)
        return False

    def take_ready(self) -> list[ActivityRecord]:
        ready, self.ready = self.ready, []
        return ready

    def end_chat(self) -> Iterator[ActivityRecord]:
        """Give every waiting reaction the latest known offset; start afresh for a new chat."""
        latest = self._latest() or self._earlier_chats
        while self._waiting:
            self._settle(heapq.heappop(self._waiting), latest)
        self._earlier_chats = latest
        self._start_chat()
        return iter(self.take_ready())

    def _latest(self) -> Sample | None:
        if self._message is not None:
            sample = _sample(self._message, self._moment)
            self._message = None
            if sample is not None:
                self._previous, self._current = self._current, sample
        return self._current

    def _advance(self, sample: Sample) -> None:
        self._previous, self._current = self._current, sample
        before = self._previous
        while self._waiting and self._waiting[0][0] <= sample[0]:
            local, _count, record = heapq.heappop(self._waiting)
            nearest = sample
            if before is not None and local - before[0] <= sample[0] - local:
                nearest = before
            record.occurred_at = _to_utc(local, nearest)
            self.ready.append(record)

    def _settle(self, waiting: tuple[datetime, int, ActivityRecord], sample: Sample | None) -> None:
        local, _count, record = waiting
        if sample is not None:
            record.occurred_at = _to_utc(local, sample)
        self.ready.append(record)


def _sample(message: Any, moment: datetime | None) -> Sample | None:
    local = parse_local(message.get("date")) if isinstance(message, dict) else None
    if local is None or moment is None or local.tzinfo is not None:
        return None
    return local, local - moment.replace(tzinfo=None)


def _to_utc(local: datetime, sample: Sample) -> datetime:
    return (local - sample[1]).replace(tzinfo=UTC)
