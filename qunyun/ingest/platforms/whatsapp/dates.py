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


@dataclass(slots=True)
class Prefix:
    """The date, time and rest of a line that starts a message or a system event."""

    a: str
    b: str
    c: str
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


class DateOrderScan:
    """Gathers the evidence of every line, then decides day-first or month-first.

    A first number above 12 proves day-first, a second one above 12 proves month-first.
    When no number does, the order under which the dates go backwards less often wins
    (a chat is written in time order); a tie is read day-first and flagged as a guess
    unless every date reads the same either way.
    """

    def __init__(self) -> None:
        self.day_line: int | None = None
        self.month_line: int | None = None
        self.day_key: tuple[int, int, int] | None = None  # the last date, read day-first
        self.month_key: tuple[int, int, int] | None = None
        self.day_backwards = 0  # how often the dates go back in time, read day-first
        self.month_backwards = 0
        self.ambiguous = 0  # lines whose date differs between the two orders

    def add(self, prefix: Prefix, line: int) -> None:
        a, b = int(prefix.a), int(prefix.b)
        if prefix.year_first:
            day_key = month_key = (a, b, int(prefix.c))
        else:
            if a > 12 and self.day_line is None:
                self.day_line = line
            if b > 12 and self.month_line is None:
                self.month_line = line
            year = _year(prefix.c) or 0
            day_key, month_key = (year, b, a), (year, a, b)
            self.ambiguous += a != b
        if self.day_key is not None and day_key < self.day_key:
            self.day_backwards += 1
        if self.month_key is not None and month_key < self.month_key:
            self.month_backwards += 1
        self.day_key, self.month_key = day_key, month_key

    def resolve(self, path: str) -> tuple[DateOrder, bool]:
        """Return the order and whether it is a guess; refuse a file that proves both."""
        if self.day_line is not None and self.month_line is not None:
            raise ImportFormatError(
                _(
                    "The dates are written day-first on line %(day)d but month-first on "
                    "line %(month)d."
                )
                % {"day": self.day_line, "month": self.month_line},
                path=path,
                line=max(self.day_line, self.month_line),
                field="date",
            )
        if self.day_line is not None:
            return DateOrder.DAY_FIRST, False
        if self.month_line is not None:
            return DateOrder.MONTH_FIRST, False
        day, month = self.day_backwards, self.month_backwards
        if day != month:
            return (DateOrder.DAY_FIRST if day < month else DateOrder.MONTH_FIRST), False
        # Year-first dates, or only dates like 3/3/21, read the same either way.
        return DateOrder.DAY_FIRST, self.ambiguous > 0


def local_time(prefix: Prefix, order: DateOrder) -> datetime | None:
    """Return the naive wall-clock time of ``prefix``; ``None`` if it is not a real one."""
    if prefix.year_first:
        year, month, day = int(prefix.a), int(prefix.b), int(prefix.c)
    else:
        parsed_year = _year(prefix.c)
        if parsed_year is None:
            return None
        year = parsed_year
        first, second = int(prefix.a), int(prefix.b)
        day, month = (first, second) if order is DateOrder.DAY_FIRST else (second, first)
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
