"""The headline KPIs of a workspace, computed from its snapshot (``qunyun kpis``).

Returns plain data (dicts of numbers and ISO dates), never HTML.
"""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pandas as pd

from qunyun.analytics import metrics
from qunyun.analytics.backend import connect, execute, read_parquet


def _has_parts(folder: Path) -> bool:
    return folder.is_dir() and any(folder.glob("*.parquet"))


def empty_kpis() -> dict[str, Any]:
    return {
        "as_of": None,
        "members_total": 0,
        "active_members_1d": 0,
        "active_members_7d": 0,
        "active_members_30d": 0,
        "stickiness": 0.0,
        "new_members_30d": 0,
        "messages_total": 0,
        "series": {"daily": []},
    }


def compute_kpis(
    snapshot: Path, *, as_of: date | None = None, backend: str | None = None
) -> dict[str, Any]:
    """KPIs as of ``as_of`` (default: the last day with activity) with a daily series."""
    folder = snapshot / "member_day"
    if not _has_parts(folder):
        return empty_kpis()
    con = connect(backend)
    md = read_parquet(con, folder)
    first_day = _as_date(execute(metrics.first_activity_day(md)))
    last_day = _as_date(execute(metrics.last_activity_day(md)))
    end = as_of or last_day
    start = first_day
    if end < start:
        result = empty_kpis()
        result["as_of"] = end.isoformat()
        return result

    def scalar(expr: Any) -> int:
        value = execute(expr)
        return 0 if value is None or pd.isna(value) else int(value)

    sticky_start = max(start, end - timedelta(days=29))
    stickiness_value = execute(metrics.stickiness(md, sticky_start, end))
    return {
        "as_of": end.isoformat(),
        "members_total": scalar(metrics.members_total(md, end)),
        "active_members_1d": scalar(metrics.active_members_between(md, end, end)),
        "active_members_7d": scalar(
            metrics.active_members_between(md, end - timedelta(days=6), end)
        ),
        "active_members_30d": scalar(
            metrics.active_members_between(md, end - timedelta(days=29), end)
        ),
        "stickiness": 0.0 if pd.isna(stickiness_value) else round(float(stickiness_value), 4),
        "new_members_30d": scalar(metrics.new_members_between(md, end - timedelta(days=29), end)),
        "messages_total": scalar(metrics.messages_until(md, end)),
        "series": {"daily": daily_series(md, start, end)},
    }


def daily_series(md: Any, start: date, end: date) -> list[dict[str, Any]]:
    """One entry per calendar day in [start, end], zero-filled."""
    frames = {
        "active_members": execute(metrics.active_members_daily(md, start, end)),
        "new_members": execute(metrics.new_members_daily(md, start, end)),
        "messages": execute(metrics.messages_daily(md, start, end)),
        "wau": execute(metrics.active_members_rolling(md, start, end, 7)).rename(
            columns={"active_members": "wau"}
        ),
        "mau": execute(metrics.active_members_rolling(md, start, end, 30)).rename(
            columns={"active_members": "mau"}
        ),
    }
    by_day: dict[date, dict[str, int]] = {}
    for column, frame in frames.items():
        for day, value in zip(frame["day"], frame[column], strict=True):
            by_day.setdefault(_as_date(day), {})[column] = int(value)
    series = []
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


def _as_date(value: Any) -> date:
    if isinstance(value, date) and not isinstance(value, pd.Timestamp):
        return value if type(value) is date else value.date()  # type: ignore[attr-defined]
    return pd.Timestamp(value).date()
