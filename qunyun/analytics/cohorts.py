"""Retention cohorts, lifecycle and silent members (PostHog's definitions, shared/METRICS.md).

Every function reads the member × day rollup (``member_day``), or the rollup by member
and period made from it (:func:`qunyun.analytics.metrics.member_periods`), and returns
plain data. Dates are compared with calendar tables (one row per day, with its period's
index), so the engine never does date arithmetic and the same expressions run on DuckDB
and Spark.
Definitions are in ``docs/metrics.md`` (Retention and lifecycle).
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date
from typing import Any

import ibis
import pandas as pd
from ibis.expr.types import Table

from qunyun.analytics.backend import execute, execute_count
from qunyun.analytics.kpi_types import LifecyclePeriod, Retention, RetentionCohort
from qunyun.analytics.metrics import PERIODS, calendar, has_left, member_periods, period_starts


def scoped(md: Table, as_of: date, channel_id: int | None = None) -> Table:
    """The rollup up to and including ``as_of``, in one channel when given."""
    t = md.filter(md.day <= as_of)
    if channel_id is not None:
        t = t.filter(t.channel_id == channel_id)
    return t


def first_day(md: Table) -> date | None:
    value = execute(md.day.min())
    return None if value is None or pd.isna(value) else pd.Timestamp(value).date()


def first_seen_periods(periods: Table) -> Table:
    """Each member's first period: the period of their first join or activity
    (over :func:`member_periods`)."""
    return periods.group_by("member_id").aggregate(first_idx=periods.idx.min())


def active_periods(periods: Table) -> Table:
    """One row per member and period in which they were active (over :func:`member_periods`)."""
    return periods.filter(periods.active).select("member_id", "idx")


def retention_counts(periods: Table) -> Table:
    """Per cohort week and week offset N: members of the cohort active in week N
    (over the weekly :func:`member_periods`).

    The cohort of a member is the week of their first seen day (first join or first
    activity); ``offset`` 0 is that week itself ("recurring" retention).
    """
    first = first_seen_periods(periods)
    active = active_periods(periods).join(first, "member_id")
    active = active.mutate(offset=active.idx - active.first_idx)
    # (member, period) pairs are distinct: counting rows counts members.
    return active.group_by(["first_idx", "offset"]).aggregate(members=active.count())


def cohort_sizes(periods: Table) -> Table:
    """Members first seen in each week (over the weekly :func:`member_periods`)."""
    first = first_seen_periods(periods)
    return first.group_by("first_idx").aggregate(size=first.member_id.count())


def retention_section(
    md: Table,
    as_of: date,
    channel_id: int | None = None,
    weeks: int = 8,
    *,
    weekly: Table | None = None,
) -> Retention:
    """Weekly retention of the last ``weeks + 1`` join cohorts up to ``as_of``.

    ``retention[N]`` is the share of the cohort active (a message, reply, reaction or post)
    in the N-th week after the cohort week, N = 0..weeks; a week that starts after
    ``as_of`` has not happened yet and is ``None``. Weeks with nobody first seen are left out.
    ``weekly``: the weekly :func:`member_periods` of the same rollup, channel and days,
    when the caller holds it already.
    """
    t = scoped(md, as_of, channel_id)
    start = first_day(t)
    if start is None:
        return {"weeks": weeks, "cohorts": []}
    starts = period_starts(start, as_of, "week")
    if weekly is None:
        weekly = member_periods(t, calendar(start, as_of, "week"))
    # One query: the cohort sizes come as offset −1 beside the retention counts.
    sizes = cohort_sizes(weekly)
    sizes = sizes.select(
        "first_idx", offset=ibis.literal(-1, "int64"), members=sizes.size.cast("int64")
    )
    counts = retention_counts(weekly)
    counts = counts.select("first_idx", "offset", members=counts.members.cast("int64"))
    frame = execute(sizes.union(counts, distinct=False))
    active, by_cohort = {}, {}
    for c, o, n in zip(frame["first_idx"], frame["offset"], frame["members"], strict=True):
        if int(o) < 0:
            by_cohort[int(c)] = int(n)
        else:
            active[(int(c), int(o))] = int(n)
    return assemble_retention(starts, by_cohort, active, weeks)


def assemble_retention(
    starts: list[date], sizes: dict[int, int], active: dict[tuple[int, int], int], weeks: int
) -> Retention:
    """The retention section from the week starts, each cohort's size (by week index) and
    its members active at each offset ((cohort index, offset) → members)."""
    cohorts: list[RetentionCohort] = []
    for idx in range(max(0, len(starts) - weeks - 1), len(starts)):
        size = sizes.get(idx, 0)
        if size == 0:
            continue
        cells: list[float | None] = []
        for offset in range(weeks + 1):
            if idx + offset >= len(starts):
                cells.append(None)
            else:
                cells.append(round(active.get((idx, offset), 0) / size, 4))
        cohorts.append(
            RetentionCohort(cohort_start=starts[idx].isoformat(), size=size, retention=cells)
        )
    return {"weeks": weeks, "cohorts": cohorts}


def lifecycle_states(periods: Table) -> Table:
    """Per period index: new, returning, resurrecting and dormant members (over
    :func:`member_periods`).

    new = active in the period and first seen in it; returning = active in it and in the
    previous period; resurrecting = active in it, not in the previous one, and not new;
    dormant = active in the previous period and not in this one (a positive count,
    reported in the period after the member's last active one).
    """
    first = first_seen_periods(periods)
    a = active_periods(periods).join(first, "member_id")
    w = ibis.window(group_by=a.member_id, order_by=a.idx)
    a = a.mutate(prev_idx=a.idx.lag().over(w), next_idx=a.idx.lead().over(w))
    state = ibis.cases(
        (a.idx == a.first_idx, "new"),
        (a.prev_idx == a.idx - 1, "returning"),
        else_="resurrecting",
    )
    present = a.select(idx=a.idx, state=state)
    gone = a.filter(a.next_idx.isnull() | (a.next_idx > a.idx + 1))
    gone = gone.select(idx=gone.idx + 1, state=ibis.literal("dormant"))
    both = present.union(gone, distinct=False)
    return both.group_by(["idx", "state"]).aggregate(members=both.count())


def lifecycle_section(
    md: Table,
    as_of: date,
    period: str = "week",
    channel_id: int | None = None,
    *,
    periods: Table | None = None,
) -> list[LifecyclePeriod]:
    """One entry per period from the first with activity to the one holding ``as_of``.

    ``periods``: the :func:`member_periods` of ``period`` for the same rollup, channel and
    days, when the caller holds it already.
    """
    if period not in PERIODS:
        raise ValueError(f"unknown period {period!r}")
    t = scoped(md, as_of, channel_id)
    start = first_day(t)
    if start is None:
        return []
    starts = period_starts(start, as_of, period)
    if periods is None:
        periods = member_periods(t, calendar(start, as_of, period))
    frame = execute(lifecycle_states(periods))
    return assemble_lifecycle(
        starts, zip(frame["idx"], frame["state"], frame["members"], strict=True)
    )


def assemble_lifecycle(
    starts: list[date], counts: Iterable[tuple[Any, Any, Any]]
) -> list[LifecyclePeriod]:
    """The lifecycle section from the period starts and (period index, state, members).

    Dormant members counted after the last period (it has not happened yet) are left out.
    """
    members = {(int(idx), str(state)): int(n) for idx, state, n in counts}
    return [
        LifecyclePeriod(
            period_start=start.isoformat(),
            new=members.get((idx, "new"), 0),
            returning=members.get((idx, "returning"), 0),
            resurrecting=members.get((idx, "resurrecting"), 0),
            dormant=members.get((idx, "dormant"), 0),
        )
        for idx, start in enumerate(starts)
    ]


def member_presence(md: Table, as_of: date) -> Table:
    """Per member seen by ``as_of``: active days, last active day, and whether they left.

    A member has left when their latest membership event (join or leave) up to ``as_of``
    is a leave; a join after a leave brings them back.
    """
    t = md.filter(md.day <= as_of)
    per = t.group_by("member_id").aggregate(**presence_aggregates(t))
    return per.mutate(has_left=has_left(per))


def presence_aggregates(t: Table) -> dict[str, Any]:
    """The per-member aggregates of :func:`member_presence` over member-day rows ``t``
    (for a ``group_by("member_id")``; segments adds its own beside them)."""
    return {
        "first_day": t.day.min(),
        "active_total": t.n_active.sum(),
        "last_active_day": t.day.max(where=t.n_active > 0),
        "last_join": t.last_join_at.max(),
        "last_leave": t.last_leave_at.max(),
    }


def humans(members: Table) -> Table:
    """Member ids of the people in the snapshot (bots left out)."""
    return members.filter(~members.is_bot).select("member_id")


def silent_members(md: Table, members: Table, as_of: date, channel_id: int | None = None) -> int:
    """Members seen by ``as_of`` (joined, or any activity) never active, still present.

    Never active = no message, reply, reaction or post up to ``as_of``; members whose
    latest membership event is a leave are not counted; bots are left out.
    """
    presence = member_presence(scoped(md, as_of, channel_id), as_of)
    silent = presence.filter([presence.active_total == 0, ~presence.has_left])
    return execute_count(silent.join(humans(members), "member_id").count())
