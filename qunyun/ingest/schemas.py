from __future__ import annotations

from typing import Any

from ninja import Field, Schema


class ActivityIn(Schema):
    """One canonical activity, as in the generic JSONL format (docs/import-formats.md)."""

    external_id: str = Field(..., description="unique per source + channel; re-sending is safe")
    kind: str = Field(..., description="message, reply, reaction, post, join, leave, …")
    occurred_at: str | int = Field(..., description="ISO 8601 with offset, or epoch seconds")
    member_id: str | None = Field(None, description="the person's id on the platform")
    member_name: str | None = None
    member_handle: str | None = None
    source: str | None = Field(None, description='the platform; default "custom"')
    channel: str | None = Field(None, description='the channel\'s id; default "default"')
    channel_name: str | None = None
    text: str | None = None
    reply_to: str | None = None
    thread: str | None = None
    is_bot: bool | None = None
    attrs: dict[str, Any] | None = None


class ActivityBatchIn(Schema):
    activities: list[ActivityIn] = Field(..., max_length=10_000)


class ImportRunOut(Schema):
    id: int
    status: str
    records_read: int
    activities_added: int
    activities_skipped: int
    members_added: int
    channels_added: int


class ErrorOut(Schema):
    detail: str
