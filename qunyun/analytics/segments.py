"""Lifecycle segments and the engagement score of each member (docs/segments.md).

A workspace may override any rule or weight (``Workspace.analytics_settings["segments"]``);
:func:`rules_for` checks the overrides and names the bad key. Everything here reads the
member × day rollup and returns Ibis expressions or plain data; writing the results back
to members is :func:`qunyun.members.scoring.do_update_segments`.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

import ibis
import pandas as pd
from django.utils.translation import gettext as _
from ibis.expr.types import Table

from qunyun.analytics.backend import execute
from qunyun.analytics.cohorts import first_day, humans, presence_aggregates
from qunyun.analytics.metrics import has_left
from qunyun.errors import QunyunError

#: Segment names, in the order of precedence: a member gets the first that applies.
PRECEDENCE = ("churned", "silent", "new", "core", "at_risk", "active", "casual")

#: Points per activity of each kind (the Orbit model's "love"), before the time decay.
DEFAULT_WEIGHTS: dict[str, float] = {
    "message": 1.0,
    "reply": 2.0,
    "reaction": 0.5,
    "post": 3.0,
    "comment": 2.0,
    "event_registered": 2.0,
    "event_attended": 5.0,
    "survey_answered": 2.0,
    "purchase": 3.0,
}

#: Each kind's count in the rollup: a column, or ("n_messages", "n_replies") for the
#: difference (n_messages counts replies too). The snapshot's rollup carries every one of
#: them (qunyun.activity.snapshot.MEMBER_DAY_COUNTS); a test keeps the two in step.
KIND_COLUMNS: dict[str, tuple[str, ...]] = {
    "message": ("n_messages", "n_replies"),
    "reply": ("n_replies",),
    "reaction": ("n_reactions",),
    "post": ("n_posts",),
    "comment": ("n_comments",),
    "event_registered": ("n_events_registered",),
    "event_attended": ("n_events_attended",),
    "survey_answered": ("n_surveys_answered",),
    "purchase": ("n_purchases",),
}

#: The rules every workspace starts from; docs/segments.md explains each one.
DEFAULT_RULES: dict[str, Any] = {
    # new: first seen (joined or first activity) within the last new_days days.
    "new_days": 14,
    # active: at least active_min_days active days in the last active_days_window days.
    "active_days_window": 30,
    "active_min_days": 4,
    # core: among the top core_top_share of members by score, and at least
    # core_min_active_days active days in the active window.
    "core_top_share": 0.05,
    "core_min_active_days": 8,
    # at_risk: at least at_risk_min_baseline_days active days in the baseline window (the
    # at_risk_baseline_days days before the recent window), and a daily activity rate in
    # the last at_risk_recent_days days below at_risk_ratio × the baseline rate.
    "at_risk_recent_days": 14,
    "at_risk_baseline_days": 28,
    "at_risk_min_baseline_days": 2,
    "at_risk_ratio": 0.5,
    # churned: left, or last active at least churned_inactive_days days ago.
    "churned_inactive_days": 60,
    # score: an activity counts weight × 0.5 ** (age in days / half_life_days).
    "half_life_days": 30.0,
    "weights": DEFAULT_WEIGHTS,
}

_DAY_RULES = (
    "new_days",
    "active_days_window",
    "active_min_days",
    "core_min_active_days",
    "at_risk_recent_days",
    "at_risk_baseline_days",
    "at_risk_min_baseline_days",
    "churned_inactive_days",
)
_SHARE_RULES = ("core_top_share", "at_risk_ratio")


class RulesError(QunyunError, ValueError):
    """An override in ``analytics_settings`` that is not a known rule or not a valid value."""

    code = "invalid_rules"
    http_status = 400


@dataclass(frozen=True)
class SegmentRules:
    new_days: int = 14
    active_days_window: int = 30
    active_min_days: int = 4
    core_top_share: float = 0.05
    core_min_active_days: int = 8
    at_risk_recent_days: int = 14
    at_risk_baseline_days: int = 28
    at_risk_min_baseline_days: int = 2
    at_risk_ratio: float = 0.5
    churned_inactive_days: int = 60
    half_life_days: float = 30.0
    weights: dict[str, float] = field(default_factory=lambda: dict(DEFAULT_WEIGHTS))


def rules_for(overrides: dict[str, Any] | None) -> SegmentRules:
    """The default rules with ``overrides`` applied; :class:`RulesError` names a bad key."""
    values: dict[str, Any] = {k: v for k, v in DEFAULT_RULES.items() if k != "weights"}
    weights = dict(DEFAULT_WEIGHTS)
    if overrides is None:
        overrides = {}
    if not isinstance(overrides, dict):
        raise RulesError(_("The segment settings must be a JSON object of rule names and values."))
    for key, value in overrides.items():
        if key == "weights":
            weights.update(_checked_weights(value))
        elif key in _DAY_RULES:
            if isinstance(value, bool) or not isinstance(value, int) or value < 1:
                raise RulesError(
                    _("The segment rule “%(key)s” must be a whole number of days of 1 or more.")
                    % {"key": key}
                )
            values[key] = value
        elif key in _SHARE_RULES:
            if not _is_number(value) or not 0 < value <= 1:
                raise RulesError(
                    _("The segment rule “%(key)s” must be a number above 0 and at most 1.")
                    % {"key": key}
                )
            values[key] = float(value)
        elif key == "half_life_days":
            if not _is_number(value) or value <= 0:
                raise RulesError(
                    _("The segment rule “%(key)s” must be a number of days above 0.") % {"key": key}
                )
            values[key] = float(value)
        else:
            raise RulesError(
                _("“%(key)s” is not a segment rule. Known rules: %(known)s.")
                % {"key": key, "known": ", ".join(DEFAULT_RULES)}
            )
    return SegmentRules(**values, weights=weights)


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)


def _checked_weights(value: Any) -> dict[str, float]:
    if not isinstance(value, dict):
        raise RulesError(
            _("The segment rule “weights” must be an object of activity kinds and points.")
        )
    checked = {}
    for kind, points in value.items():
        if kind not in DEFAULT_WEIGHTS:
            raise RulesError(
                _("“%(key)s” is not an activity kind with a weight. Known kinds: %(known)s.")
                % {"key": f"weights.{kind}", "known": ", ".join(DEFAULT_WEIGHTS)}
            )
        if not _is_number(points) or points < 0:
            raise RulesError(
                _("The weight “%(key)s” must be a number of 0 or more.")
                % {"key": f"weights.{kind}"}
            )
        checked[kind] = float(points)
    return checked


def _decay_calendar(start: date, as_of: date, half_life_days: float) -> Table:
    """One row per day in [start, as_of] with its decay factor 0.5 ** (age / half-life)."""
    days = [start + timedelta(days=i) for i in range((as_of - start).days + 1)]
    decay = [0.5 ** ((as_of - d).days / half_life_days) for d in days]
    return ibis.memtable(pd.DataFrame({"day": days, "decay": decay})).cast(
        {"day": "date", "decay": "float64"}
    )


def weighted_points(md: Table, rules: SegmentRules) -> ibis.Expr:
    """Σ weight(kind) × count(kind) for one rollup row, over every kind with a weight."""
    total: ibis.Expr = ibis.literal(0.0)
    for kind, weight in rules.weights.items():
        if weight == 0:
            continue
        names = KIND_COLUMNS[kind]
        count = md[names[0]] - md[names[1]] if len(names) == 2 else md[names[0]]
        total = total + count.cast("float64") * weight
    return total


def decayed_rows(md: Table, as_of: date, rules: SegmentRules) -> Table:
    """Rollup rows up to ``as_of`` with ``points`` = weighted count × time decay."""
    t = md.filter(md.day <= as_of)
    start = first_day(t) or as_of
    t = t.join(_decay_calendar(start, as_of, rules.half_life_days), "day")
    return t.mutate(points=weighted_points(t, rules) * t.decay)


def member_scores(md: Table, as_of: date, rules: SegmentRules) -> Table:
    """Engagement score per member: Σ weight(kind) × count × 0.5 ** (age_days / half-life)."""
    t = decayed_rows(md, as_of, rules)
    return t.group_by("member_id").aggregate(score=t.points.sum())


def engagement_scores(md: Table, channels: Table, as_of: date, rules: SegmentRules) -> Table:
    """The engagement score per member and platform (the platform of each channel)."""
    t = decayed_rows(md, as_of, rules)
    t = t.join(channels.select("channel_id", "platform"), "channel_id")
    return t.group_by(["member_id", "platform"]).aggregate(score=t.points.sum())


def member_features(md: Table, members: Table, as_of: date, rules: SegmentRules) -> Table:
    """What the segment rules look at, per human member seen by ``as_of``."""

    def days_back(n: int) -> date:
        return as_of - timedelta(days=n - 1)

    # One aggregation per member over the rows for presence (cohorts.presence_aggregates),
    # activity counts and the score (as member_scores); the active *days* are counted
    # over the distinct member-days of the recent windows only.
    t = decayed_rows(md, as_of, rules)
    recent_start = days_back(rules.at_risk_recent_days)
    baseline_start = recent_start - timedelta(days=rules.at_risk_baseline_days)
    window_start = days_back(rules.active_days_window)
    in_baseline = (t.day >= baseline_start) & (t.day < recent_start)
    per = t.group_by("member_id").aggregate(
        **presence_aggregates(t),
        recent_count=t.n_active.sum(where=t.day >= recent_start),
        baseline_count=t.n_active.sum(where=in_baseline),
        score=t.points.sum(),
    )
    # A day is active when any of its rows is (counts are never negative).
    days = t.filter([t.n_active > 0, t.day >= min(window_start, baseline_start)])
    days = days.select("member_id", "day").distinct()
    counted = days.group_by(days.member_id.name("counted_id")).aggregate(
        active_days=(days.day >= window_start).cast("int64").sum(),
        baseline_days=((days.day >= baseline_start) & (days.day < recent_start))
        .cast("int64")
        .sum(),
    )
    per = per.left_join(counted, per.member_id == counted.counted_id).drop("counted_id")
    per = per.mutate(
        active_days=per.active_days.fill_null(0), baseline_days=per.baseline_days.fill_null(0)
    )
    f = per.mutate(has_left=has_left(per)).join(humans(members), "member_id")
    f = f.mutate(score=f.score.fill_null(0.0))
    rank_window = ibis.window(order_by=ibis.desc(f.score))
    return f.mutate(score_rank=ibis.percent_rank().over(rank_window))


def member_segments(md: Table, members: Table, as_of: date, rules: SegmentRules) -> Table:
    """One segment per human member seen by ``as_of`` (first rule that applies wins).

    churned: left, or last active ≥ churned_inactive_days ago; silent: never active;
    new: first seen within new_days; core: top core_top_share by score with ≥
    core_min_active_days active days in the active window; at_risk: a falling activity
    rate (see DEFAULT_RULES); active: ≥ active_min_days active days in the window;
    casual: everyone else. Bots have no segment.
    """
    f = member_features(md, members, as_of, rules)
    never_active = f.active_total == 0
    inactive_since = as_of - timedelta(days=rules.churned_inactive_days)
    recent_rate = f.recent_count.fill_null(0).cast("float64") / rules.at_risk_recent_days
    baseline_rate = f.baseline_count.fill_null(0).cast("float64") / rules.at_risk_baseline_days
    segment = ibis.cases(
        (f.has_left | (~never_active & (f.last_active_day <= inactive_since)), "churned"),
        (never_active, "silent"),
        (f.first_day > as_of - timedelta(days=rules.new_days), "new"),
        (
            (f.score > 0)
            & (f.score_rank < rules.core_top_share)
            & (f.active_days >= rules.core_min_active_days),
            "core",
        ),
        (
            (f.baseline_days >= rules.at_risk_min_baseline_days)
            & (recent_rate < baseline_rate * rules.at_risk_ratio),
            "at_risk",
        ),
        (f.active_days >= rules.active_min_days, "active"),
        else_="casual",
    )
    return f.select("member_id", segment=segment, score=f.score)


def segments_section(
    md: Table, members: Table, as_of: date, rules: SegmentRules | None = None
) -> dict[str, int]:
    """Human members per segment as of ``as_of`` (every segment present, zeros included)."""
    s = member_segments(md, members, as_of, rules or rules_for({}))
    frame = execute(s.group_by("segment").aggregate(members=s.count()))
    counts = dict.fromkeys(PRECEDENCE, 0)
    for name, n in zip(frame["segment"], frame["members"], strict=True):
        counts[str(name)] = int(n)
    return counts
