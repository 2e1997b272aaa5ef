"""When a request must be answered: PIPL 15 working days (weekends skipped), GDPR one
calendar month (the month's last day when the day does not exist)."""

from __future__ import annotations

from datetime import date

import pytest

from qunyun.privacy.deadlines import add_one_month, add_working_days, response_deadline
from qunyun.privacy.models import Law


@pytest.mark.parametrize(
    ("received", "deadline"),
    [
        (date(2026, 12, 7), date(2026, 12, 28)),  # a Monday: three weeks later, a Monday
        (date(2026, 12, 4), date(2026, 12, 25)),  # a Friday: the weekend after is skipped
        (date(2026, 12, 5), date(2026, 12, 25)),  # a Saturday counts from Monday
        (date(2026, 12, 6), date(2026, 12, 25)),  # so does a Sunday
        (date(2026, 12, 21), date(2027, 1, 11)),  # across the new year
    ],
)
def test_pipl_counts_fifteen_working_days_skipping_weekends(received: date, deadline: date) -> None:
    assert response_deadline(Law.PIPL, received) == deadline
    assert deadline.weekday() < 5


def test_a_working_day_count_never_lands_on_a_weekend() -> None:
    for offset in range(14):
        start = date(2026, 11, 1 + offset)
        for days in (1, 5, 15):
            assert add_working_days(start, days).weekday() < 5


@pytest.mark.parametrize(
    ("received", "deadline"),
    [
        (date(2026, 3, 15), date(2026, 4, 15)),
        (date(2026, 1, 31), date(2026, 2, 28)),  # no 31 February: the month's last day
        (date(2028, 1, 31), date(2028, 2, 29)),  # a leap year
        (date(2026, 3, 31), date(2026, 4, 30)),
        (date(2026, 12, 7), date(2027, 1, 7)),  # December into January
        (date(2026, 2, 28), date(2026, 3, 28)),
    ],
)
def test_gdpr_gives_one_calendar_month(received: date, deadline: date) -> None:
    assert response_deadline(Law.GDPR, received) == deadline
    assert add_one_month(received) == deadline
