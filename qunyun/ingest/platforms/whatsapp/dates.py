"""The date-and-time prefix of a WhatsApp line, and which of its numbers is the day.

WhatsApp writes the phone's locale format (FORMATS.md §7):

- Android: ``12/9/20, 23:55 - Bob: hello``, ``01/30/2019, 08:49 p. m. - …``,
  ``12.09.20, 23:55 - …``, ``2020/12/9 下午11:55 - …``;
- iOS: ``[01/01/19 11:25:03] John Doe: …`` or ``[3/17/23, 9:05:42\u202fAM] …``, often
  after a U+200E left-to-right mark.

Whether ``12/9/20`` is 12 September or 9 December cannot be told from one line, so
:class:`DateOrderScan` looks at every line of the file before any date is built.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from enum import Enum

from django.utils.translation import gettext as _

from qunyun.ingest.errors import ImportFormatError

#: Invisible direction marks (and a stray BOM) that exports put before lines and names.
MARKS = "\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069\ufeff"
_SP = "[ \u00a0\u202f]"
_DATE = r"(?P<a>\d{1,4})(?P<sep>[/.\-])[ ]?(?P<b>\d{1,2})(?P=sep)[ ]?(?P<c>\d{1,4})\.?"
_TIME = (
    r"(?:(?P<pre>上午|下午|凌晨|早上|中午|晚上)[ ]?)?"
    r"(?P<h>\d{1,2})[:.](?P<mi>\d{2})(?:[:.](?P<s>\d{2}))?"
    rf"(?:{_SP}?(?P<post>[AaPp]\.?{_SP}?[Mm]\.?|上午|下午))?"
)
_ANDROID = re.compile(rf"{_DATE},?{_SP}{_TIME}{_SP}[-–]{_SP}(?P<rest>.*)")
_IOS = re.compile(rf"\[{_DATE},?{_SP}{_TIME}\]{_SP}?(?P<rest>.*)")
_AM = frozenset({"am", "上午", "凌晨", "早上"})
_PM = frozenset({"pm", "下午", "晚上"})
_MARKER_NOISE = re.compile(r"[.\s\u00a0\u202f]")


class DateOrder(Enum):
    DAY_FIRST = "day_first"
    MONTH_FIRST = "month_first"
    #: ``20-01-15``: a two-digit year, then month and day (Korean ``20. 1. 15.`` …).
    YEAR_FIRST = "year_first"

    @property
    def label(self) -> str:
        return {
            DateOrder.DAY_FIRST: _("day first"),
            DateOrder.MONTH_FIRST: _("month first"),
            DateOrder.YEAR_FIRST: _("year first"),
        }[self]


@dataclass(slots=True)
class Prefix:
    """The date, time and rest of a line that starts a message or a system event."""

    a: str
    b: str
    c: str
    sep: str
    hour: str
    minute: str
    second: str | None
    marker: str | None
    rest: str
    ios: bool

    @property
    def year_first(self) -> bool:
        return len(self.a) == 4


def match_prefix(line: str) -> Prefix | None:
    """Return the prefix of a line that starts an entry; ``None`` for a continuation."""
    text = line.lstrip(MARKS)
    if not text or not (text[0].isdigit() or text[0] == "["):
        return None
    ios = text[0] == "["
    found = (_IOS if ios else _ANDROID).match(text)
    if found is None:
        return None
    return Prefix(
        a=found["a"],
        b=found["b"],
        c=found["c"],
        sep=found["sep"],
        hour=found["h"],
        minute=found["mi"],
        second=found["s"],
        marker=found["post"] or found["pre"],
        rest=found["rest"],
        ios=ios,
    )


def _year(text: str) -> int | None:
    if len(text) == 2:
        return 2000 + int(text)  # WhatsApp was born in 2009
    return int(text) if len(text) == 4 else None


#: The order a tie is settled in (and what a file that proves nothing is read as).
_PREFERENCE = (DateOrder.DAY_FIRST, DateOrder.MONTH_FIRST, DateOrder.YEAR_FIRST)


def _reading(prefix: Prefix, order: DateOrder) -> tuple[int, int, int] | None:
    """(year, month, day) of ``prefix`` read in ``order``; ``None`` if it cannot be a date
    WhatsApp wrote (month 1–12, day 1–31; a two-digit year first is 09 or later)."""
    if prefix.year_first:  # four digits first: year-first whatever the file's order
        year, month, day = int(prefix.a), int(prefix.b), int(prefix.c)
    elif order is DateOrder.YEAR_FIRST:
        if len(prefix.a) != 2 or len(prefix.c) > 2 or int(prefix.a) < 9:
            return None  # written zero-padded, and not before WhatsApp's 2009
        year, month, day = 2000 + int(prefix.a), int(prefix.b), int(prefix.c)
    else:
        parsed = _year(prefix.c)
        if parsed is None:
            return None
        first, second = int(prefix.a), int(prefix.b)
        year = parsed
        day, month = (first, second) if order is DateOrder.DAY_FIRST else (second, first)
    if not (1 <= month <= 12 and 1 <= day <= 31):
        return None
    return year, month, day


class DateOrderScan:
    """Gathers the evidence of every line, then decides how the file writes its dates:
    day first, month first, or a two-digit year first.

    A line that cannot be a date in some order rules that order out (``15/01/21`` rules
    out month-first; ``20-01-15`` rules out month-first too, but not day-first or
    year-first). Of the orders left, the one under which the dates go backwards least
    often wins (a chat is written in time order); a tie is settled day-first, then
    month-first, and flagged as a guess unless every date reads the same either way.
    """

    def __init__(self) -> None:
        #: Per order: the first line it cannot read (and that line's date), if any.
        self.ruled_out: dict[DateOrder, tuple[int, str]] = {}
        self.last: dict[DateOrder, tuple[int, int, int]] = {}
        self.backwards: dict[DateOrder, int] = dict.fromkeys(DateOrder, 0)
        #: Per pair of orders: whether some line reads differently under them.
        self.differ: set[frozenset[DateOrder]] = set()
        self.lines = 0

    def add(self, prefix: Prefix, line: int) -> None:
        self.lines += 1
        readings: dict[DateOrder, tuple[int, int, int]] = {}
        for order in DateOrder:
            if order in self.ruled_out:
                continue
            reading = _reading(prefix, order)
            if reading is None:
                written = prefix.sep.join((prefix.a, prefix.b, prefix.c))
                self.ruled_out[order] = (line, written)
                continue
            readings[order] = reading
            last = self.last.get(order)
            if last is not None and reading < last:
                self.backwards[order] += 1
            self.last[order] = reading
        for order, reading in readings.items():
            for other, other_reading in readings.items():
                if other is not order and other_reading != reading:
                    self.differ.add(frozenset((order, other)))

    def resolve(self, path: str) -> tuple[DateOrder, bool]:
        """Return the order and whether it is a guess; refuse a file no order can read."""
        left = [order for order in _PREFERENCE if order not in self.ruled_out]
        if not left:
            raise self._contradiction(path)
        best = min(left, key=lambda order: self.backwards[order])  # the first of a tie
        rivals = [o for o in left if o is not best and self.backwards[o] == self.backwards[best]]
        guessed = any(frozenset((best, rival)) in self.differ for rival in rivals)
        return best, guessed

    def _contradiction(self, path: str) -> ImportFormatError:
        faults = sorted(
            (line, _PREFERENCE.index(order), order, value)
            for order, (line, value) in self.ruled_out.items()
        )
        first = faults[0]
        other = next((fault for fault in faults if fault[0] != first[0]), None)
        if other is None:
            line, value = first[0], first[3]
            return ImportFormatError(
                _("The date %(value)s is not valid in any order (day, month or year first).")
                % {"value": value},
                path=path,
                line=line,
                field="date",
            )
        # Name two different lines, each with its date: the first that rules an order
        # out, and the first later line that rules out another.
        return ImportFormatError(
            _(
                "The dates contradict each other: %(a_value)s on line %(a_line)d cannot be "
                "read %(a_order)s, and %(b_value)s on line %(b_line)d cannot be read "
                "%(b_order)s; no single order reads the whole file."
            )
            % {
                "a_value": first[3],
                "a_line": first[0],
                "a_order": first[2].label,
                "b_value": other[3],
                "b_line": other[0],
                "b_order": other[2].label,
            },
            path=path,
            line=other[0],
            field="date",
        )


def local_time(prefix: Prefix, order: DateOrder) -> datetime | None:
    """Return the naive wall-clock time of ``prefix``; ``None`` if it is not a real one."""
    reading = _reading(prefix, order)
    if reading is None:
        return None
    year, month, day = reading
    hour = int(prefix.hour)
    if prefix.marker:
        marker = _MARKER_NOISE.sub("", prefix.marker).lower()
        if hour > 12:
            return None
        if marker in _AM:
            hour %= 12
        elif marker in _PM:
            hour = hour % 12 + 12
        elif hour < 11:  # 中午 (noon): 11 and 12 o'clock as written, 1 o'clock is 13:00
            hour += 12
    try:
        return datetime(year, month, day, hour, int(prefix.minute), int(prefix.second or 0))
    except ValueError:
        return None
