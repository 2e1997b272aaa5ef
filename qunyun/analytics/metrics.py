"""Activity metrics, each one small function returning an Ibis expression.

Definitions are in ``docs/metrics.md``; the docstrings repeat them. Every function takes
the member × day rollup (``member_day``: member_id, channel_id, day, n_active,
n_messages, …; see :mod:`qunyun.activity.snapshot`) or the channel × hour rollup, and
never knows the engine. Periods (day, week from Monday, calendar month) are given by a
calendar table built here (:func:`calendar`: day → the index of its period), so the
engine does no date arithmetic and the same expressions run on DuckDB and Spark; the
by-period figures read the rollup by member and period (:func:`member_periods`).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, timedelta
from typing import Any, TypeVar

import ibis
import pandas as pd
from ibis.expr.types import Table

REGISTRY: dict[str, Callable[..., Any]] = {}
PERIODS = ("day", "week", "month")
_F = TypeVar("_F", bound=Callable[..., Any])


def metric(fn: _F) -> _F:
    REGISTRY[fn.__name__] = fn
    return fn


def period_start(day: date, period: str) -> date:
    """The first day of the period holding ``day`` (weeks start on Monday)."""
    if period == "day":
        return day
    if period == "week":
        return day - timedelta(days=day.weekday())
    if period == "month":
        return day.replace(day=1)
    raise ValueError(f"unknown period {period!r}")


def period_starts(start: date, end: date, period: str) -> list[date]:
    """Every period start from the period of ``start`` to the period of ``end``."""
    starts = []
    current = period_start(start, period)
    while current <= end:
        starts.append(current)
        if period == "day":
            current += timedelta(days=1)
        elif period == "week":
            current += timedelta(days=7)
        else:
            current = (current + timedelta(days=32)).replace(day=1)
    return starts


def calendar(start: date, end: date, period: str) -> Table:
    """One row per day in [start, end] with ``idx``, the number of its period from 0."""
    starts = period_starts(start, end, period)
    index = {s: i for i, s in enumerate(starts)}
    days = [start + timedelta(days=i) for i in range((end - start).days + 1)]
    frame = pd.DataFrame({"day": days, "idx": [index[period_start(d, period)] for d in days]})
    return ibis.memtable(frame).cast({"day": "date", "idx": "int64"})


def member_periods(md: Table, cal: Table) -> Table:
    """The rollup by member and period: one row per member and period of ``cal`` (its
    ``idx``) in which the member has a rollup row.

    Columns: member_id, idx, active (an active-kind activity in the period), messages,
    replies, last_join and last_leave (the latest in the period, or null). Retention,
    lifecycle and the period series all read it; the dashboard holds it in memory once.
    Days outside the calendar are left out.
    """
    t = md.join(cal, "day")
    return t.group_by(["member_id", "idx"]).aggregate(
        active=t.n_active.sum() > 0,
        messages=t.n_messages.sum(),
        replies=t.n_replies.sum(),
        last_join=t.last_join_at.max(),
        last_leave=t.last_leave_at.max(),
    )


def in_channel(table: Table, channel_id: int | None) -> Table:
    """``table`` restricted to one channel when ``channel_id`` is given."""
    return table if channel_id is None else table.filter(table.channel_id == channel_id)


def first_seen(member_day: Table) -> Table:
    """Each member's first day in the workspace: first join or activity, whichever first."""
    return member_day.group_by("member_id").aggregate(first_day=member_day.day.min())


@metric
def new_members_daily(member_day: Table, start: date, end: date) -> Table:
    """Members first seen on the day (joined, or first activity, whichever came first)."""
    f = first_seen(member_day)
    f = f.filter(f.first_day.between(start, end))
    return f.group_by(f.first_day.name("day")).aggregate(new_members=f.member_id.count())


@metric
def messages_daily(member_day: Table, start: date, end: date) -> Table:
    """Chat messages written on the day, replies included; no reactions or service events."""
    t = member_day.filter(member_day.day.between(start, end))
    return t.group_by("day").aggregate(messages=t.n_messages.sum())


@metric
def active_members_windows(
    member_day: Table, start: date, end: date, windows: tuple[int, ...]
) -> Table:
    """Distinct active members in the ``w`` days ending on each day, for each window ``w``
    (1: DAU, 7: WAU, 30: MAU), in one query.

    Columns: window, day, active_members (days with none left out).

    Computed without joining every day with every active day: a member's active day d
    counts on the days [d, min(d + w, their next active day)), stretches that never
    overlap for one member, so a running sum of +1 (stretch starts) and −1 (stretch ends)
    per day is the number of distinct members active in the window. Linear in the
    active member-days, whatever the window.

    Days are numbered (a calendar table, no date arithmetic in the engine). Each active
    member-day is reduced to its day number and its gap to the member's next active day,
    capped at the longest window; the stretch it counts for in a window w is
    [day, day + min(gap, w)). So the member-days are counted once per (day, capped gap) —
    a few thousand rows whatever the community's size — and the steps of every window
    come from those counts.
    """
    longest = max(windows)
    first = start - timedelta(days=longest - 1)
    span = [first + timedelta(days=i) for i in range((end - first).days + 1)]
    cal = ibis.memtable({"d": span, "i": list(range(len(span)))}).cast({"d": "date", "i": "int64"})
    active = member_day.filter([member_day.n_active > 0, member_day.day.between(first, end)])
    active = active.select("member_id", "day").distinct()
    active = active.join(cal, active.day == cal.d).select("member_id", "i")
    active = active.mutate(
        next_i=active.i.lead().over(ibis.window(group_by="member_id", order_by="i"))
    )
    gap = active.next_i - active.i
    capped = ibis.cases((active.next_i.notnull() & (gap < longest), gap), else_=longest)
    counts = active.group_by(["i", capped.cast("int64").name("gap")]).aggregate(n=active.count())
    w = ibis.memtable({"w": list(windows)}).cast({"w": "int64"})
    c = counts.cross_join(w)
    # Each window counts from its own first day (the days before add nothing to it).
    c = c.filter(c.i >= (start - first).days + 1 - c.w)
    stop = c.i + ibis.cases((c.gap < c.w, c.gap), else_=c.w)
    steps = c.select("w", "i", step=c.n).union(c.select("w", i=stop, step=-c.n), distinct=False)
    steps = steps.group_by(["w", "i"]).aggregate(step=steps.step.sum())
    grid = ibis.memtable(
        {
            "w": [x for x in windows for _ in span],
            "i": [i for _ in windows for i in range(len(span))],
        }
    ).cast({"w": "int64", "i": "int64"})
    daily = grid.left_join(steps, ["w", "i"])
    daily = daily.select(w=daily.w, i=daily.i, step=daily.step.fill_null(0))
    running = daily.mutate(
        active_members=daily.step.sum().over(
            ibis.window(group_by="w", order_by="i", preceding=None, following=0)
        )
    )
    running = running.filter([running.i >= (start - first).days, running.active_members > 0])
    running = running.join(cal, running.i == cal.i)
    return running.select(
        window=running.w, day=running.d, active_members=running.active_members.cast("int64")
    )


@metric
def members_total(member_day: Table, end: date) -> ibis.Expr:
    """Members seen by ``end`` who had not left by then.

    A member has left when their latest membership event on or before ``end`` is a
    leave (a join after a leave brings them back).
    """
    t = member_day.filter(member_day.day <= end)
    per_member = t.group_by("member_id").aggregate(
        last_join=t.last_join_at.max(), last_leave=t.last_leave_at.max()
    )
    return per_member.filter(~has_left(per_member)).count()


def has_left(per: Table) -> Any:
    """Whether each member's latest membership event (over per-member ``last_join`` and
    ``last_leave``, the latest of each) is a leave; a join after a leave brings them back."""
    return per.last_leave.notnull() & (per.last_join.isnull() | (per.last_leave > per.last_join))


@metric
def last_activity_day(member_day: Table) -> ibis.Expr:
    return member_day.day.max()


@metric
def first_activity_day(member_day: Table) -> ibis.Expr:
    return member_day.day.min()


@metric
def membership_changes(periods: Table) -> Table:
    """Joined and left per period index, from each member's membership at the period's end
    (over the rollup by member and period, :func:`member_periods`).

    A member *is in* at the end of a period when first seen by then and their latest
    join/leave so far is not a leave (as :func:`members_total`). ``joined`` counts members
    in at the end of the period who were not at the end of the previous one (first-time
    members included); ``left`` those in before and out now. So members_total at a
    period's end is the running sum of joined − left. A period where nothing changed may
    have no row (zeros).
    """
    # A member who never leaves (in the calendar's days) is in from their first period
    # on: joined there, never left. Only the few who leave need the period-by-period
    # membership below.
    members = periods.group_by("member_id").aggregate(
        first_idx=periods.idx.min(), any_leave=periods.last_leave.max()
    )
    stayers = members.filter(members.any_leave.isnull())
    stayed = stayers.group_by(idx=stayers.first_idx).aggregate(
        joined=stayers.count().cast("int64"), left=ibis.literal(0, "int64")
    )
    leavers = members.filter(members.any_leave.notnull()).select("member_id")
    per = periods.semi_join(leavers, "member_id")
    so_far = ibis.window(group_by="member_id", order_by="idx", preceding=None, following=0)
    per = per.mutate(
        join_so_far=per.last_join.max().over(so_far),
        leave_so_far=per.last_leave.max().over(so_far),
    )
    left = per.leave_so_far.notnull() & (
        per.join_so_far.isnull() | (per.leave_so_far > per.join_so_far)
    )
    per = per.mutate(is_in=(~left).cast("int8"))
    previous = ibis.window(group_by="member_id", order_by="idx")
    per = per.mutate(was_in=per.is_in.lag().over(previous).fill_null(0))
    changed = per.group_by("idx").aggregate(
        joined=((per.is_in == 1) & (per.was_in == 0)).cast("int64").sum(),
        left=((per.is_in == 0) & (per.was_in == 1)).cast("int64").sum(),
    )
    both = stayed.union(changed, distinct=False)
    return both.group_by("idx").aggregate(
        joined=both.joined.sum().cast("int64"), left=both.left.sum().cast("int64")
    )


@metric
def active_members_by_period(periods: Table) -> Table:
    """Distinct members with ≥ 1 active-kind activity in each period (by period index, over
    :func:`member_periods`)."""
    active = periods.filter(periods.active)
    # (member, period) pairs are distinct: counting rows counts members.
    return active.group_by("idx").aggregate(active_members=active.count())


@metric
def messages_by_period(periods: Table) -> Table:
    """Messages (kind message or reply) and replies written in each period (by period
    index, over :func:`member_periods`)."""
    return periods.group_by("idx").aggregate(
        messages=periods.messages.sum(), replies=periods.replies.sum()
    )


@metric
def top_members_share(member_day: Table, start: date, end: date, share: float) -> ibis.Expr:
    """Share of the messages in [start, end] written by the top ``share`` of members.

    Among the n members with ≥ 1 message, the top ⌈n × share⌉ by messages (ties by member
    id) are counted. None when nobody wrote.
    """
    t = member_day.filter(member_day.day.between(start, end))
    per = t.group_by("member_id").aggregate(messages=t.n_messages.sum())
    per = per.filter(per.messages > 0)
    ranked = per.mutate(
        rank=ibis.row_number().over(order_by=[ibis.desc("messages"), "member_id"]),
        writers=per.member_id.count().over(),
    )
    top = (ranked.rank < (ranked.writers.cast("float64") * share).ceil()).cast("int64")
    return (ranked.messages * top).sum().cast("float64") / ranked.messages.sum().cast("float64")


@metric
def hour_of_week_messages(channel_hour: Table, start: date, end: date) -> Table:
    """Messages per hour of the week (0 = Monday 00:00 local) over [start, end]."""
    t = channel_hour.filter(channel_hour.day.between(start, end))
    return t.group_by("hour_of_week").aggregate(messages=t.n_messages.sum())


@metric
def top_contributors(
    member_day: Table, members: Table, start: date, end: date, limit: int = 20
) -> Table:
    """The ``limit`` human members with the most messages in [start, end] (ties by id).

    With their replies, reactions and active days (days with an active-kind activity).
    Bots are left out.
    """
    t = member_day.filter(member_day.day.between(start, end))
    per_day = t.group_by(["member_id", "day"]).aggregate(
        messages=t.n_messages.sum(),
        replies=t.n_replies.sum(),
        reactions=t.n_reactions.sum(),
        active=t.n_active.sum(),
    )
    per = per_day.group_by("member_id").aggregate(
        messages=per_day.messages.sum(),
        replies=per_day.replies.sum(),
        reactions=per_day.reactions.sum(),
        active_days=(per_day.active > 0).cast("int64").sum(),
    )
    humans = members.filter(~members.is_bot).select("member_id")
    per = per.filter(per.messages > 0).join(humans, "member_id")
    return per.order_by([ibis.desc("messages"), "member_id"]).limit(limit)
