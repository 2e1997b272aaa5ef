from __future__ import annotations

from typing import Any

from ninja import Schema


class MemberDataOut(Schema):
    """Everything Qunyun holds about one member (docs/privacy.md)."""

    workspace: dict[str, Any]
    exported_at: str
    member: dict[str, Any]
    identities: list[dict[str, Any]]
    tags: list[str]
    activities: list[dict[str, Any]]
    merge_suggestions: list[dict[str, Any]]
    audit_events: list[dict[str, Any]]


class ErasureOut(Schema):
    member_id: int
    activities: int
    identities: int
    audit_events_redacted: int
