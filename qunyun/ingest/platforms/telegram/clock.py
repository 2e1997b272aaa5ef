"""Times in a Telegram export: the UTC epoch, and the exporting PC's wall clock.

tdesktop writes ``date`` with ``QDateTime::fromSecsSinceEpoch(t).toString(Qt::ISODate)``:
the local time of the PC that exported, without an offset. ``date_unixtime`` is the
same instant as a string of epoch seconds, but reactions' ``recent[].date`` only has the
local form. :class:`LocalClock` learns the PC's offset from messages that carry both.
"""

from __future__ import annotations

from bisect import bisect_left
from collections.abc import Callable, Iterable
from datetime import UTC, datetime, timedelta
from typing import Any

_EPOCH = datetime(1970, 1, 1)
_EPOCH_UTC = _EPOCH.replace(tzinfo=UTC)


def parse_epoch(value: Any) -> int | None:
    """Return epoch seconds given as ``"1726922850"`` or an int; ``None`` otherwise."""
    if isinstance(value, str):
        digits = value[1:] if value.startswith("-") else value
        return int(value) if digits.isascii() and digits.isdigit() else None
    if isinstance(value, int) and not isinstance(value, bool):
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
        # Adding to the epoch is several times faster than datetime.fromtimestamp().
        return _EPOCH_UTC + timedelta(seconds=seconds)
    except OverflowError:
        return None


def parse_local(value: Any) -> datetime | None:
    """Return the ISO time ``value`` ("2024-09-21T13:47:30") or ``None`` if it is not one.

    The result is naive for tdesktop's offset-less form, aware if an offset was given.
    """
    if not isinstance(value, str):
        return None
    try:
        return datetime.fromisoformat(value)
    except ValueError:
        return None


def _seconds(naive: datetime) -> int:
    return int((naive - _EPOCH).total_seconds())


class LocalClock:
    """Converts the exporting PC's local times to UTC.

    The offset can change inside one export (daylight saving time), so every change
    point is kept and a local time takes the offset of the nearest known sample.
    """

    def __init__(self, samples: Iterable[tuple[int, int]]) -> None:
        """``samples`` are ``(local seconds, offset seconds)`` pairs in any order."""
        ordered = sorted(set(samples))
        self._locals = [local for local, _offset in ordered]
        self._offsets = [offset for _local, offset in ordered]

    @classmethod
    def learn(cls, message_lists: Iterable[list[Any]]) -> LocalClock:
        """Learn the offset from every message with both ``date`` and ``date_unixtime``."""
        samples: list[tuple[int, int]] = []
        for messages in message_lists:
            previous: tuple[int, int] | None = None
            for message in messages:
                sample = _sample(message)
                if sample is None:
                    continue
                # Keep only the ends of each run of equal offsets: that is all the
                # nearest-sample lookup needs, and it keeps millions of messages small.
                if previous is None or previous[1] != sample[1]:
                    if previous is not None:
                        samples.append(previous)
                    samples.append(sample)
                previous = sample
            if previous is not None:
                samples.append(previous)
        return cls(samples)

    def __bool__(self) -> bool:
        return bool(self._locals)

    def to_utc(self, local: datetime) -> datetime | None:
        """Return the UTC time of the naive local time ``local``; ``None`` if unknown."""
        if local.tzinfo is not None:
            return local.astimezone(UTC)
        if not self._locals:
            return None
        seconds = _seconds(local)
        index = bisect_left(self._locals, seconds)
        candidates = [i for i in (index - 1, index) if 0 <= i < len(self._locals)]
        nearest = min(candidates, key=lambda i: abs(self._locals[i] - seconds))
        offset = self._offsets[nearest]
        return (local - timedelta(seconds=offset)).replace(tzinfo=UTC)


def _sample(message: Any) -> tuple[int, int] | None:
    if not isinstance(message, dict):
        return None
    utc = parse_epoch(message.get("date_unixtime"))
    local = parse_local(message.get("date"))
    if utc is None or local is None or local.tzinfo is not None:
        return None
    local_seconds = _seconds(local)
    return local_seconds, local_seconds - utc


class LazyClock:
    """A :class:`LocalClock` learned on first use: only exports with reactions need it."""

    def __init__(self, message_lists: Callable[[], Iterable[list[Any]]]) -> None:
        self._message_lists = message_lists
        self._clock: LocalClock | None = None

    def to_utc(self, local: datetime) -> datetime | None:
        if self._clock is None:
            self._clock = LocalClock.learn(self._message_lists())
        return self._clock.to_utc(local)
