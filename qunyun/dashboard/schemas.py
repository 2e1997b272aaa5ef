from __future__ import annotations

from datetime import datetime

from ninja import Schema


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

    @staticmethod
    def resolve_tags(obj) -> list[str]:  # type: ignore[no-untyped-def]
        return [t.name for t in obj.tags.all()]
