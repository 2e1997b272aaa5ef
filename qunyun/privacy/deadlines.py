"""When a data subject's request must be answered, by the law it was made under.

- **PIPL**: 15 working days after the request is received, counting Monday to Friday
  only (the day of receipt is not counted). China's public holidays and the weekend
  days worked in their place (调休) are not known here: around Golden Week and Spring
  Festival, answer earlier than the date shown.
- **GDPR** (Art. 12(3)): one month after receipt — the same day of the next month, or
  that month's last day when it has no such day (31 January → 28 or 29 February),
  following Regulation 1182/71 on periods of time.
"""

from __future__ import annotations

import calendar
from collections.abc import Callable
from datetime import date, timedelta

from qunyun.privacy.models import Law

PIPL_WORKING_DAYS = 15


def add_working_days(start: date, days: int) -> date:
    """The day ``days`` working days (Monday–Friday) after ``start``."""
    day = start
    left = days
    while left > 0:
        day += timedelta(days=1)
        if day.weekday() < 5:
            left -= 1
    return day


def add_one_month(start: date) -> date:
    """The same day of the next month, or the next month's last day."""
    year, month = (start.year + 1, 1) if start.month == 12 else (start.year, start.month + 1)
    return date(year, month, min(start.day, calendar.monthrange(year, month)[1]))


def pipl_deadline(received_on: date) -> date:
    return add_working_days(received_on, PIPL_WORKING_DAYS)


DEADLINES: dict[str, Callable[[date], date]] = {
    Law.PIPL: pipl_deadline,
    Law.GDPR: add_one_month,
}


def response_deadline(law: str, received_on: date) -> date:
    """The last day to answer a request received on ``received_on`` under ``law``."""
    return DEADLINES[law](received_on)
