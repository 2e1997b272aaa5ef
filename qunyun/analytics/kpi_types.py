"""The shape of :func:`qunyun.analytics.kpis.compute_kpis`'s result: one declaration.

The KPIs are plain data (numbers, ISO dates, lists of small dicts) read by the pages, the
exports, ``qunyun kpis --json``, the API and the benchmark. These TypedDicts are the only
list of their keys: ``empty_kpis`` and the assembly in ``kpis.py`` are checked against them
by mypy, and code that needs a list of keys takes it from here (:data:`HEADLINE_KEYS`).
Every figure is defined in ``docs/metrics.md``.
"""

from __future__ import annotations

from typing import Literal, TypedDict, get_args


class DailyPoint(TypedDict):
    """One calendar day of the daily series: DAU, WAU and MAU ending that day."""

    date: str
    active_members: int
    new_members: int
    messages: int
    wau: int
    mau: int


class PeriodPoint(TypedDict):
    """One day, week or month of the by-period series (the last one stops at as_of)."""

    period_start: str
    joined: int
    left: int
    net_growth: int
    growth_rate: float | None
    members_total: int
    active_members: int
    messages: int
    engagement_rate: float | None
    messages_per_active_member: float | None
    reply_rate: float | None


class Series(TypedDict):
    daily: list[DailyPoint]
    by_period: list[PeriodPoint]


class Growth(TypedDict):
    """Membership change over the period holding as_of."""

    joined: int
    left: int
    net_growth: int
    growth_rate: float | None


class Engagement(TypedDict):
    """Engagement over the period holding as_of."""

    engagement_rate: float | None
    messages_per_active_member: float | None
    reply_rate: float | None
    top_1pct_share: float | None
    top_10pct_share: float | None


class Heatmap(TypedDict):
    """Messages per weekday (Monday first) × local hour, over four whole weeks."""

    hour_of_week: list[list[int]]


class Contributor(TypedDict):
    member_id: int
    messages: int
    replies: int
    reactions: int
    active_days: int


class UnansweredQuestion(TypedDict):
    activity_id: int
    member_id: int
    channel_id: int
    occurred_at: str


class Questions(TypedDict):
    """Questions of the last 30 days and how fast they found a first response."""

    total: int
    answered: int
    answered_1h_share: float | None
    answered_24h_share: float | None
    median_first_response_minutes: float | None
    unanswered: list[UnansweredQuestion]


class RetentionCohort(TypedDict):
    cohort_start: str
    size: int
    #: Share of the cohort active in week N after it, N = 0..weeks; None: not yet.
    retention: list[float | None]


class Retention(TypedDict):
    weeks: int
    cohorts: list[RetentionCohort]


#: A member's state in a period (docs/metrics.md, "Lifecycle").
LifecycleState = Literal["new", "returning", "resurrecting", "dormant"]
#: The states, in the order the lifecycle chart stacks them.
LIFECYCLE_STATES: tuple[LifecycleState, ...] = get_args(LifecycleState)


class LifecyclePeriod(TypedDict):
    period_start: str
    new: int
    returning: int
    resurrecting: int
    dormant: int


class Headline(TypedDict):
    """The headline figures: the cards at the top of the overview and ``qunyun kpis``."""

    as_of: str | None  # None: no activity (in that channel) yet
    members_total: int
    active_members_1d: int
    active_members_7d: int
    active_members_30d: int
    stickiness: float
    new_members_30d: int
    messages_total: int


class KpiFilters(TypedDict):
    """What the figures were cut with."""

    period: str  # "day", "week" or "month"
    channel_id: int | None  # None: every channel


class Kpis(Headline, KpiFilters):
    """Everything the dashboard shows for one as-of day, period and channel."""

    growth: Growth
    engagement: Engagement
    series: Series
    heatmap: Heatmap
    top_contributors: list[Contributor]
    questions: Questions
    retention: Retention
    lifecycle: list[LifecyclePeriod]
    silent_members: int
    #: Human members per segment, every segment of ``segments.PRECEDENCE`` present.
    segments: dict[str, int]


#: The headline's keys, in the order the cards and the CLI show them.
HEADLINE_KEYS: tuple[str, ...] = tuple(Headline.__annotations__)
#: The sections beside the headline and the filters.
SECTION_KEYS: tuple[str, ...] = tuple(
    key
    for key in Kpis.__annotations__
    if key not in Headline.__annotations__ and key not in KpiFilters.__annotations__
)
