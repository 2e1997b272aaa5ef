"""When a data subject's request must be answered, by the law it was made under.

- **PIPL**: 15 working days after the request is received (the day of receipt is not
  counted), on China's working calendar: Monday to Friday, less the public holidays,
  plus the weekend days worked in their place (调休). The calendar is python-holidays'
  (``holidays.China``): for years whose schedule the State Council has published it is
  that schedule; for later years the statutory holidays by rule, without 调休 — keep the
  package current (it is updated when the next year's schedule is out, each winter).
- **GDPR** (Art. 12(3)): one month after receipt — the same day of the next month, or
  that month's last day when it has no such day (31 January → 28 or 29 February),
  following Regulation 1182/71 on periods of time.
"""

from __future__ import annotations

import calendar
from collections.abc import Callable
from datetime import date
from functools import lru_cache

import holidays

from qunyun.privacy.models import Law

PIPL_WORKING_DAYS = 15


@lru_cache(maxsize=16)
def _china(year: int) -> holidays.HolidayBase:
    """China's calendar of ``year`` and the next (a count of working days from a day of
    ``year`` ends within them); not expanded afterwards, so it is never written to again."""
    return holidays.China(years=(year, year + 1), expand=False)


def add_china_working_days(start: date, days: int) -> date:
    """The day ``days`` working days after ``start`` on China's working calendar."""
    return _china(start.year).get_nth_working_day(start, days)


def is_china_working_day(day: date) -> bool:
    return bool(_china(day.year).is_working_day(day))


def add_one_month(start: date) -> date:
    """The same day of the next month, or the next month's last day."""
    year, month = (start.year + 1, 1) if start.month == 12 else (start.year, start.month + 1)
    return date(year, month, min(start.day, calendar.monthrange(year, month)[1]))


def pipl_deadline(received_on: date) -> date:
    return add_china_working_days(received_on, PIPL_WORKING_DAYS)


DEADLINES: dict[str, Callable[[date], date]] = {
    Law.PIPL: pipl_deadline,
    Law.GDPR: add_one_month,
}


def response_deadline(law: str, received_on: date) -> date:
    """The last day to answer a request received on ``received_on`` under ``law``."""
    return DEADLINES[law](received_on)
