"""The REST API's shapes for workspaces, KPIs and members — and the members list's
filters, which the page and its exports read through the same schema (one set of rules)."""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any

from ninja import Field, Schema
from pydantic import field_validator
from pydantic_core import PydanticCustomError

from qunyun.members.churn_words import churn_reasons_said
from qunyun.members.models import Segment
from qunyun.members.selectors import DEFAULT_MEMBER_SORT, MEMBER_SORTS


class WorkspaceOut(Schema):
    slug: str
    name: str
    time_zone: str


class DailyKpiOut(Schema):
    date: str
    active_members: int
    new_members: int
    messages: int
    wau: int
    mau: int


class KpiSeriesOut(Schema):
    daily: list[DailyKpiOut]


class KpisOut(Schema):
    as_of: str | None
    members_total: int
    active_members_1d: int
    active_members_7d: int
    active_members_30d: int
    stickiness: float
    new_members_30d: int
    messages_total: int
    series: KpiSeriesOut


class IdentityOut(Schema):
    platform: str
    external_id: str
    handle: str
    display_name: str


class ChurnReasonOut(Schema):
    feature: str = Field(description="The model's feature (docs/churn.md), e.g. recency_days")
    value: float = Field(description="The member's value of the feature")
    text: str = Field(description="The reason as the pages say it, in the caller's language")


class MemberOut(Schema):
    id: int
    display_name: str
    first_seen_at: datetime | None
    last_seen_at: datetime | None
    message_count: int
    activity_count: int
    is_bot: bool
    identities: list[IdentityOut]
    tags: list[str]
    segment: Segment | None = Field(description="The lifecycle segment; null until scored")
    segment_label: str = Field(description="The segment's name, in the caller's language")
    engagement_score: float
    churn_risk: float | None = Field(
        description="Chance of going quiet within the horizon, 0 to 1; null until scored"
    )
    churn_reasons: list[ChurnReasonOut] = Field(
        description="Why the risk is what it is, as the profile and churn pages list them"
    )
    scored_at: datetime | None

    @staticmethod
    def resolve_tags(obj) -> list[str]:  # type: ignore[no-untyped-def]
        return [t.name for t in obj.tags.all()]

    @staticmethod
    def resolve_segment(obj) -> str | None:  # type: ignore[no-untyped-def]
        return obj.segment or None

    @staticmethod
    def resolve_segment_label(obj) -> str:  # type: ignore[no-untyped-def]
        return str(obj.get_segment_display()) if obj.segment else ""

    @staticmethod
    def resolve_churn_reasons(obj) -> list[dict[str, Any]]:  # type: ignore[no-untyped-def]
        return churn_reasons_said(obj.churn_reasons)


#: How an ISO 8601 date, or a date and time, begins.
ISO_DATE_START = re.compile(r"\d{4}-\d{2}-\d{2}")
#: What a time filter takes, as the OpenAPI document says it: a date or a date and time.
DATE_OR_TIME_SCHEMA: dict[str, Any] = {
    "anyOf": [
        {"type": "string", "format": "date-time"},
        {"type": "string", "format": "date"},
        {"type": "null"},
    ]
}


class MemberQueryIn(Schema):
    """The members list's filters, as the page, its exports and the REST API take them.

    A time without an offset, or a bare date (its midnight), is read in the workspace's
    time zone (dashboard/filters.py). An empty value is refused here; the page's form,
    which sends every field, leaves its empty ones out first.
    """

    q: str = Field("", description="Search by name, handle or external id")
    tag: str = Field("", description="Only members with this tag")
    segment: Segment | None = Field(None, description="Only members of this segment")
    channel: int | None = Field(
        None, description="Only members with an activity in this channel (an id from /channels)"
    )
    churn_risk_above: float | None = Field(
        None, ge=0, le=1, allow_inf_nan=False, description="Only members scored strictly above"
    )
    last_seen_after: datetime | None = Field(
        None,
        description="Only members last seen at or after this date or time",
        json_schema_extra=DATE_OR_TIME_SCHEMA,
    )
    last_seen_before: datetime | None = Field(
        None,
        description="Only members last seen before this date or time",
        json_schema_extra=DATE_OR_TIME_SCHEMA,
    )
    sort: str = Field(
        DEFAULT_MEMBER_SORT,
        description="One of " + ", ".join(MEMBER_SORTS) + "; another value sorts by -last_seen",
    )

    @field_validator("last_seen_after", "last_seen_before", mode="before")
    @classmethod
    def _iso_time(cls, value: Any) -> Any:
        # pydantic would also take a number as seconds since 1970 ("0.5"): a typo then
        # filters silently. Only ISO 8601 is documented, so only ISO 8601 is taken.
        if value is not None and not (isinstance(value, str) and ISO_DATE_START.match(value)):
            raise PydanticCustomError("datetime_parsing", "not an ISO 8601 date or time")
        return value

    @field_validator("segment", mode="before")
    @classmethod
    def _known_segment(cls, value: Any) -> Any:
        if value is not None and value not in Segment.values:
            # pydantic's own wording lists the values with an English "or"; and ninja
            # leaves the input out of its errors, so the context carries it.
            raise PydanticCustomError(
                "enum",
                "unknown segment",
                {"expected": ", ".join(Segment.values), "given": str(value)[:40]},
            )
        return value

    @field_validator("q", mode="before")
    @classmethod
    def _short_query(cls, value: Any) -> Any:
        return value[:200] if isinstance(value, str) else value

    @field_validator("tag", mode="before")
    @classmethod
    def _short_tag(cls, value: Any) -> Any:
        return value[:64] if isinstance(value, str) else value

    @field_validator("sort", mode="before")
    @classmethod
    def _known_sort(cls, value: Any) -> Any:
        # Links to the list outlive a rename of a sort: an unknown one falls back.
        return value if value in MEMBER_SORTS else DEFAULT_MEMBER_SORT


class ChannelOut(Schema):
    id: int
    platform: str
    external_id: str
    name: str
