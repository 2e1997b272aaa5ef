"""Activity metrics, each one small function returning an Ibis expression.

Definitions are in ``docs/metrics.md``; the docstrings repeat them. Every function takes
the member × day rollup (``member_day``: member_id, channel_id, day, n_active,
n_messages, …; see :mod:`qunyun.activity.snapshot`) and never knows the engine.
"""

from __future__ import annotations

from datetime import date, timedelta

import ibis
from ibis.expr.types import Table

REGISTRY: dict[str, object] = {}


def metric(fn):  # type: ignore[no-untyped-def]
    REGISTRY[fn.__name__] = fn
    return fn


def member_days(member_day: Table) -> Table:
    """One row per member and day, summing the channel rows of the rollup."""
    return member_day.group_by(["member_id", "day"]).aggregate(
        n_activities=member_day.n_activities.sum(),
        n_active=member_day.n_active.sum(),
        n_messages=member_day.n_messages.sum(),
        last_join_at=member_day.last_join_at.max(),
        last_leave_at=member_day.last_leave_at.max(),
    )


def first_seen(member_day: Table) -> Table:
    """Each member's first day in the workspace: first join or activity, whichever first."""
    return member_day.group_by("member_id").aggregate(first_day=member_day.day.min())


@metric
def active_members_daily(member_day: Table, start: date, end: date) -> Table:
    """DAU: distinct members with ≥ 1 message, reply, reaction or post on the day."""
    t = member_day.filter([member_day.n_active > 0, member_day.day.between(start, end)])
    return t.group_by("day").aggregate(active_members=t.member_id.nunique())


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
def active_members_rolling(member_day: Table, start: date, end: date, window: int) -> Table:
    """Distinct active members in the ``window`` days ending on each day (WAU: 7, MAU: 30)."""
    active = member_day.filter(member_day.n_active > 0)
    active = active.filter(active.day.between(start - timedelta(days=window - 1), end))
    active = active.select("member_id", "day").distinct()
    days = ibis.memtable(
        {"d": [start + timedelta(days=i) for i in range((end - start).days + 1)]}
    ).cast({"d": "date"})
    joined = days.join(
        active,
        [active.day <= days.d, active.day > days.d - ibis.interval(days=window)],
    )
    return joined.group_by(joined.d.name("day")).aggregate(
        active_members=joined.member_id.nunique()
    )


@metric
def active_members_between(member_day: Table, start: date, end: date) -> ibis.Expr:
    """Distinct members active at least once in [start, end]."""
    t = member_day.filter([member_day.n_active > 0, member_day.day.between(start, end)])
    return t.member_id.nunique()


@metric
def new_members_between(member_day: Table, start: date, end: date) -> ibis.Expr:
    """Members first seen in [start, end]."""
    f = first_seen(member_day)
    return f.filter(f.first_day.between(start, end)).count()


@metric
def messages_until(member_day: Table, end: date) -> ibis.Expr:
    """All chat messages written up to and including ``end``."""
    return member_day.filter(member_day.day <= end).n_messages.sum()


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
    left = per_member.last_leave.notnull() & (
        per_member.last_join.isnull() | (per_member.last_leave > per_member.last_join)
    )
    return per_member.filter(~left).count()


@metric
def last_activity_day(member_day: Table) -> ibis.Expr:
    return member_day.day.max()


@metric
def first_activity_day(member_day: Table) -> ibis.Expr:
    return member_day.day.min()


@metric
def stickiness(member_day: Table, start: date, end: date) -> ibis.Expr:
    """Mean over the days in [start, end] of DAU ÷ MAU (days with MAU = 0 left out)."""
    mau = active_members_rolling(member_day, start, end, 30)
    dau = active_members_daily(member_day, start, end).rename(dau="active_members")
    joined = mau.left_join(dau, mau.day == dau.day)
    ratio = joined.dau.fill_null(0).cast("float64") / joined.active_members.cast("float64")
    return ratio.mean()
