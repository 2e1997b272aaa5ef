"""The headline KPIs of a workspace, computed from its snapshot (``qunyun kpis``).

Returns plain data (dicts of numbers and ISO dates), never HTML. Its shape is the shared
contract read by the pages, ``qunyun kpis --json`` and the benchmark, declared once as
:class:`~qunyun.analytics.kpi_types.Kpis`; every figure is defined in ``docs/metrics.md``.
"""

from __future__ import annotations

from contextlib import ExitStack
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pandas as pd
from ibis.expr.types import Table

from qunyun.analytics import cohorts, metrics, segments
from qunyun.analytics.backend import (
    connect,
    execute,
    execute_count,
    in_memory,
    read_parquet,
    side_by_side,
)
from qunyun.analytics.kpi_types import (
    Contributor,
    DailyPoint,
    Engagement,
    Growth,
    Heatmap,
    Kpis,
    PeriodPoint,
    UnansweredQuestion,
)
from qunyun.analytics.response import questions_frame, questions_section, unanswered_questions
from qunyun.analytics.series import as_date, daily_series, period_series

#: Top contributors and questions look back this many days, as_of included.
RECENT_DAYS = 30
#: The heatmap covers four whole weeks, so every hour of the week counts four times.
HEATMAP_DAYS = 28
TOP_CONTRIBUTORS = 20
RETENTION_WEEKS = 8
#: Columns of the member × day rollup that no section of the dashboard reads: left out of
#: the copy held in memory (a quarter less to decode and scan).
UNREAD_COLUMNS = ("n_activities", "n_joins", "n_leaves", "n_questions")


def _has_parts(folder: Path) -> bool:
    return folder.is_dir() and any(folder.glob("*.parquet"))


def empty_kpis(period: str = "day", channel_id: int | None = None) -> Kpis:
    return {
        "as_of": None,
        "period": period,
        "channel_id": channel_id,
        "members_total": 0,
        "active_members_1d": 0,
        "active_members_7d": 0,
        "active_members_30d": 0,
        "stickiness": 0.0,
        "new_members_30d": 0,
        "messages_total": 0,
        "growth": {"joined": 0, "left": 0, "net_growth": 0, "growth_rate": None},
        "engagement": {
            "engagement_rate": None,
            "messages_per_active_member": None,
            "reply_rate": None,
            "top_1pct_share": None,
            "top_10pct_share": None,
        },
        "series": {"daily": [], "by_period": []},
        "heatmap": {"hour_of_week": [[0] * 24 for _ in range(7)]},
        "top_contributors": [],
        "questions": {
            "total": 0,
            "answered": 0,
            "answered_1h_share": None,
            "answered_24h_share": None,
            "median_first_response_minutes": None,
            "unanswered": [],
        },
        "retention": {"weeks": RETENTION_WEEKS, "cohorts": []},
        "lifecycle": [],
        "silent_members": 0,
        "segments": dict.fromkeys(segments.PRECEDENCE, 0),
    }


def compute_kpis(
    snapshot: Path,
    *,
    as_of: date | None = None,
    period: str = "day",
    channel_id: int | None = None,
    backend: str | None = None,
    segment_rules: segments.SegmentRules | None = None,
) -> Kpis:
    """KPIs as of ``as_of`` (default: the last day with activity), per ``period``.

    ``period`` is "day", "week" (from Monday) or "month" (calendar); with ``channel_id``
    every figure is restricted to that channel. ``segment_rules`` default to the
    default rules of :mod:`qunyun.analytics.segments`.
    """
    if period not in metrics.PERIODS:
        raise ValueError(f"unknown period {period!r}")
    folder = snapshot / "member_day"
    if not _has_parts(folder):
        return empty_kpis(period, channel_id)
    con = connect(backend)
    rollup = metrics.in_channel(read_parquet(con, folder), channel_id)
    days = _days_with_activity(rollup, as_of)
    if days is None:  # nothing in that channel
        return empty_kpis(period, channel_id)
    start, end = days
    if end < start:
        result = empty_kpis(period, channel_id)
        result["as_of"] = end.isoformat()
        return result
    cut = _Cut(
        con=con,
        snapshot=snapshot,
        rollup=rollup,
        members=read_parquet(con, snapshot / "members.parquet"),
        start=start,
        end=end,
        period=period,
        channel_id=channel_id,
        segment_rules=segment_rules,
    )
    with ExitStack() as held:
        # Some twenty queries read the rollup: its Parquet is decoded once, into memory,
        # while the sections that read other files (and the rollup only a little) run;
        # then the others, two at a time (backend.side_by_side), the longest first; the
        # by-period sections read the rollup by member and period, held in memory too.
        found = _raw_file_sections(cut, held)
        md = found["md"]
        found |= _rollup_sections(cut, md, held)
        weekly = found["weekly"]
        found |= _period_sections(cut, md, weekly, found.get("periods", weekly))
        found["engagement"] = engagement_section(md, found["by_period"][-1], end)
    return _assembled(found, end, period, channel_id)


def every_unanswered_question(
    snapshot: Path,
    *,
    as_of: date | None = None,
    channel_id: int | None = None,
    backend: str | None = None,
) -> list[UnansweredQuestion]:
    """Every question of :func:`compute_kpis`'s questions section (the same window, days
    and channel) that has no first response, newest first.

    The KPIs keep only the newest of them (``questions.unanswered``); exports want all.
    """
    folder = snapshot / "member_day"
    if not _has_parts(folder):
        return []
    con = connect(backend)
    rollup = metrics.in_channel(read_parquet(con, folder), channel_id)
    days = _days_with_activity(rollup, as_of)
    if days is None or days[1] < days[0]:
        return []
    start, end = days
    frame = questions_frame(
        read_parquet(con, snapshot / "activities"),
        read_parquet(con, snapshot / "members.parquet"),
        rollup,
        recent_start(start, end),
        end,
        channel_id,
    )
    return unanswered_questions(frame)


def recent_start(start: date, end: date) -> date:
    """The first day of the recent window ending ``end`` (top contributors, questions),
    not before ``start``, the first day with activity."""
    return max(start, end - timedelta(days=RECENT_DAYS - 1))


def _days_with_activity(rollup: Table, as_of: date | None) -> tuple[date, date] | None:
    """The first day with activity and the day to report on (``as_of`` or the last day
    with activity); None when the rollup has no activity."""
    first = execute(metrics.first_activity_day(rollup))
    if first is None or pd.isna(first):
        return None
    return as_date(first), as_of or as_date(execute(metrics.last_activity_day(rollup)))


@dataclass(frozen=True)
class _Cut:
    """What one :func:`compute_kpis` run reads and the filters it was asked for."""

    con: Any
    snapshot: Path
    #: The member × day rollup, in the channel when one is asked for.
    rollup: Table
    members: Table
    start: date
    end: date
    period: str
    channel_id: int | None
    segment_rules: segments.SegmentRules | None

    @property
    def recent(self) -> date:
        """The first day of the recent window (top contributors, questions)."""
        return recent_start(self.start, self.end)


def _raw_file_sections(cut: _Cut, held: ExitStack) -> dict[str, Any]:
    """Step 1: the rollup copied into memory ("md", held until ``held`` closes), beside
    the sections that read other files: questions (raw activities) and the heatmap."""
    con = cut.con
    return side_by_side(
        con,
        {
            "md": lambda: held.enter_context(in_memory(con, cut.rollup.drop(*UNREAD_COLUMNS))),
            "questions": lambda: questions_section(
                read_parquet(con, cut.snapshot / "activities"),
                cut.members,
                cut.rollup,
                cut.recent,
                cut.end,
                cut.channel_id,
            ),
            "heatmap": lambda: heatmap_section(
                con, cut.snapshot / "channel_hour", cut.end, cut.channel_id
            ),
        },
    )


def _rollup_sections(cut: _Cut, md: Table, held: ExitStack) -> dict[str, Any]:
    """Step 2: the sections of the in-memory rollup ``md``, and the rollup by member and
    week ("weekly") and by member and ``period`` ("periods", unless weeks) held in memory."""
    con, start, end = cut.con, cut.start, cut.end

    def hold_periods(name: str) -> Table:
        cal = metrics.calendar(start, end, name)
        return held.enter_context(in_memory(con, metrics.member_periods(md, cal)))

    jobs = {
        "daily": lambda: daily_series(md, start, end),
        "segments": lambda: segments.segments_section(md, cut.members, end, cut.segment_rules),
        # Retention is weekly; lifecycle and the period series are per ``period``.
        "weekly": lambda: hold_periods("week"),
        "top_contributors": lambda: contributors_section(md, cut.members, cut.recent, end),
        "members_total": lambda: execute_count(metrics.members_total(md, end)),
    }
    if cut.period != "week":
        jobs["periods"] = lambda: hold_periods(cut.period)
    return side_by_side(con, jobs)


def _period_sections(cut: _Cut, md: Table, weekly: Table, periods: Table) -> dict[str, Any]:
    """Step 3: the sections of the rollup by member and period (lifecycle, the period
    series) and by member and week (retention)."""
    end, period, channel_id = cut.end, cut.period, cut.channel_id
    return side_by_side(
        cut.con,
        {
            "lifecycle": lambda: cohorts.lifecycle_section(
                md, end, period, channel_id, periods=periods
            ),
            "by_period": lambda: period_series(periods, cut.start, end, period),
            "retention": lambda: cohorts.retention_section(
                md, end, channel_id, weeks=RETENTION_WEEKS, weekly=weekly
            ),
        },
    )


def _assembled(found: dict[str, Any], end: date, period: str, channel_id: int | None) -> Kpis:
    """compute_kpis's result from its sections."""
    # The daily series holds DAU, WAU and MAU of every day: the headline's active counts
    # are its last day, stickiness the mean of its last 30 days' DAU ÷ MAU.
    daily: list[DailyPoint] = found["daily"]
    by_period: list[PeriodPoint] = found["by_period"]
    last = daily[-1]
    recent_days = daily[-30:]
    ratios = [d["active_members"] / d["mau"] for d in recent_days if d["mau"] > 0]
    current = by_period[-1]
    segment_counts: dict[str, int] = found["segments"]
    return {
        "as_of": end.isoformat(),
        "period": period,
        "channel_id": channel_id,
        "members_total": found["members_total"],
        "active_members_1d": last["active_members"],
        "active_members_7d": last["wau"],
        "active_members_30d": last["mau"],
        "stickiness": round(sum(ratios) / len(ratios), 4) if ratios else 0.0,
        "new_members_30d": sum(d["new_members"] for d in recent_days),
        "messages_total": sum(d["messages"] for d in daily),
        "series": {"daily": daily, "by_period": by_period},
        "growth": Growth(
            joined=current["joined"],
            left=current["left"],
            net_growth=current["net_growth"],
            growth_rate=current["growth_rate"],
        ),
        "engagement": found["engagement"],
        "heatmap": found["heatmap"],
        "top_contributors": found["top_contributors"],
        "questions": found["questions"],
        "retention": found["retention"],
        "lifecycle": found["lifecycle"],
        # The "silent" segment is exactly cohorts.silent_members (seen, never active, not
        # left, not a bot): no segment rule can change who is in it.
        "silent_members": segment_counts["silent"],
        "segments": segment_counts,
    }


def engagement_section(md: Table, current: PeriodPoint, end: date) -> Engagement:
    """Engagement over the period holding ``end`` (its entry of the period series)."""
    start = date.fromisoformat(current["period_start"])

    def share(p: float) -> float | None:
        value = execute(metrics.top_members_share(md, start, end, p))
        return None if value is None or pd.isna(value) else round(float(value), 4)

    return {
        "engagement_rate": current["engagement_rate"],
        "messages_per_active_member": current["messages_per_active_member"],
        "reply_rate": current["reply_rate"],
        "top_1pct_share": share(0.01),
        "top_10pct_share": share(0.10),
    }


def heatmap_section(con: Any, folder: Path, end: date, channel_id: int | None) -> Heatmap:
    """Messages per weekday (Monday first) and local hour over the 28 days ending ``end``."""
    grid = [[0] * 24 for _ in range(7)]
    if _has_parts(folder):
        hours = metrics.in_channel(read_parquet(con, folder), channel_id)
        start = end - timedelta(days=HEATMAP_DAYS - 1)
        frame = execute(metrics.hour_of_week_messages(hours, start, end))
        for hour, messages in zip(frame["hour_of_week"], frame["messages"], strict=True):
            grid[int(hour) // 24][int(hour) % 24] = int(messages)
    return {"hour_of_week": grid}


def contributors_section(md: Table, members: Table, start: date, end: date) -> list[Contributor]:
    frame = execute(metrics.top_contributors(md, members, start, end, TOP_CONTRIBUTORS))
    return [
        Contributor(
            member_id=int(row["member_id"]),
            messages=int(row["messages"]),
            replies=int(row["replies"]),
            reactions=int(row["reactions"]),
            active_days=int(row["active_days"]),
        )
        for row in frame.to_dict("records")
    ]
