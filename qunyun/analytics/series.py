"""The dashboard's daily and by-period series, from the member × day rollup.

Zero-filled: every day (or period) from the first with activity to as_of has an entry.
Definitions in ``docs/metrics.md``.
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import pandas as pd
from ibis.expr.types import Table

from qunyun.analytics import metrics
from qunyun.analytics.backend import execute
from qunyun.analytics.kpi_types import DailyPoint, PeriodPoint


def period_series(periods: Table, start: date, end: date, period: str) -> list[PeriodPoint]:
    """One entry per period from the one holding ``start`` to the one holding ``end``,
    from the :func:`metrics.member_periods` of ``period`` over [start, end].

    The last period stops at ``end``; members_total is at each period's end.
    """
    starts = metrics.period_starts(start, end, period)
    values: dict[date, dict[str, int]] = {}
    for frame in (
        execute(metrics.membership_changes(periods)),
        execute(metrics.active_members_by_period(periods)),
        execute(metrics.messages_by_period(periods)),
    ):
        for row in frame.to_dict("records"):
            entry = values.setdefault(starts[int(row.pop("idx"))], {})
            entry.update({k: 0 if pd.isna(v) else int(v) for k, v in row.items()})
    return assemble_period_series(values, start, end, period)


def assemble_period_series(
    values: dict[date, dict[str, int]], start: date, end: date, period: str
) -> list[PeriodPoint]:
    """The by-period series from each period's counts (joined, left, active_members,
    messages, replies): zero-filled, with the running members total and the ratios."""
    series: list[PeriodPoint] = []
    total = 0
    for day in sorted({metrics.period_start(d, period) for d in _days(start, end)}):
        v = values.get(day, {})
        joined, left, active = v.get("joined", 0), v.get("left", 0), v.get("active_members", 0)
        messages, replies = v.get("messages", 0), v.get("replies", 0)
        before, total = total, total + joined - left
        series.append(
            {
                "period_start": day.isoformat(),
                "joined": joined,
                "left": left,
                "net_growth": joined - left,
                "growth_rate": _ratio(joined - left, before),
                "members_total": total,
                "active_members": active,
                "messages": messages,
                "engagement_rate": _ratio(active, total),
                "messages_per_active_member": _ratio(messages, active),
                "reply_rate": _ratio(replies, messages),
            }
        )
    return series


def _ratio(part: int, whole: int) -> float | None:
    return round(part / whole, 4) if whole else None


def _days(start: date, end: date) -> list[date]:
    return [start + timedelta(days=i) for i in range((end - start).days + 1)]


def daily_series(md: Table, start: date, end: date) -> list[DailyPoint]:
    """One entry per calendar day in [start, end], zero-filled."""
    rolling = execute(metrics.active_members_windows(md, start, end, (1, 7, 30)))
    names = {1: "active_members", 7: "wau", 30: "mau"}
    frames = {
        "new_members": execute(metrics.new_members_daily(md, start, end)),
        "messages": execute(metrics.messages_daily(md, start, end)),
        **{
            name: rolling[rolling["window"] == window].rename(columns={"active_members": name})
            for window, name in names.items()
        },
    }
    by_day: dict[date, dict[str, int]] = {}
    for column, frame in frames.items():
        for day, value in zip(frame["day"], frame[column], strict=True):
            by_day.setdefault(as_date(day), {})[column] = int(value)
    series: list[DailyPoint] = []
    for offset in range((end - start).days + 1):
        day = start + timedelta(days=offset)
        values = by_day.get(day, {})
        series.append(
            {
                "date": day.isoformat(),
                "active_members": values.get("active_members", 0),
                "new_members": values.get("new_members", 0),
                "messages": values.get("messages", 0),
                "wau": values.get("wau", 0),
                "mau": values.get("mau", 0),
            }
        )
    return series


def as_date(value: Any) -> date:
    if isinstance(value, date) and not isinstance(value, pd.Timestamp):
        return value if type(value) is date else value.date()  # type: ignore[attr-defined]
    return pd.Timestamp(value).date()
