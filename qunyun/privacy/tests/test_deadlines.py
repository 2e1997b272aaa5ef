"""When a request must be answered: PIPL 15 working days on China's working calendar
(weekends and public holidays skipped, 调休 weekends worked), GDPR one calendar month (the
month's last day when the day does not exist)."""

from __future__ import annotations

from datetime import date

import pytest

from qunyun.privacy.deadlines import (
    add_china_working_days,
    add_one_month,
    is_china_working_day,
    response_deadline,
)
from qunyun.privacy.models import Law


@pytest.mark.parametrize(
    ("received", "deadline"),
    [
        (date(2026, 12, 7), date(2026, 12, 28)),  # a Monday: three weeks later, a Monday
        (date(2026, 12, 4), date(2026, 12, 25)),  # a Friday: the weekend after is skipped
        (date(2026, 12, 5), date(2026, 12, 25)),  # a Saturday counts from Monday
        (date(2026, 12, 6), date(2026, 12, 25)),  # so does a Sunday
        (date(2026, 12, 21), date(2027, 1, 12)),  # across the new year: 1 January is off
        # Golden Week 2026: 1–7 October off, Saturday 10 October worked (调休)
        (date(2026, 9, 30), date(2026, 10, 27)),
        (date(2026, 10, 9), date(2026, 10, 29)),  # the worked Saturday is day one
        (date(2026, 2, 13), date(2026, 3, 12)),  # Spring Festival 2026 (15–23 February)
    ],
)
def test_pipl_counts_fifteen_working_days_on_chinas_calendar(
    received: date, deadline: date
) -> None:
    assert response_deadline(Law.PIPL, received) == deadline
    assert is_china_working_day(deadline)


def test_the_calendar_knows_holidays_and_worked_weekends() -> None:
    assert not is_china_working_day(date(2026, 10, 1))  # National Day, a Thursday
    assert not is_china_working_day(date(2026, 2, 17))  # Spring Festival, a Tuesday
    assert is_china_working_day(date(2026, 10, 10))  # a Saturday worked for Golden Week
    assert is_china_working_day(date(2026, 1, 4))  # a Sunday worked for New Year
    assert not is_china_working_day(date(2026, 12, 12))  # an ordinary Saturday
    assert is_china_working_day(date(2026, 12, 8))  # an ordinary Tuesday


def test_a_working_day_count_never_lands_on_a_day_off() -> None:
    for offset in range(60):
        start = date(2026, 9, 1).toordinal() + offset
        for days in (1, 5, 15):
            assert is_china_working_day(add_china_working_days(date.fromordinal(start), days))


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
