from __future__ import annotations

from typing import Any, Literal

from ninja import Field, Schema
from pydantic import ConfigDict

from qunyun.ingest.rows import MAX_TEXT_CHARS

Kind = Literal[
    "message", "reply", "reaction", "post", "comment", "join", "leave", "event_registered",
    "event_attended", "survey_answered", "purchase", "service",
]  # fmt: skip


class ActivityIn(Schema):
    """One canonical activity, as in the generic JSONL format (docs/import-formats.md).

    Rules across fields (a member_id or a member_name; an ISO time with its UTC offset)
    are checked by the importer and answered with 400 naming the item and the field;
    a field the format does not have is refused (422), as the same JSONL line would be.
    """

    model_config = ConfigDict(extra="forbid")

    external_id: str = Field(
        ...,
        min_length=1,
        max_length=255,
        pattern=r"\S",
        description="unique per source + channel; re-sending is safe",
    )
    kind: Kind = Field(..., description="what the member did")
    occurred_at: str | int = Field(
        ..., description="ISO 8601 with a UTC offset or Z, or epoch seconds"
    )
    member_id: str | None = Field(None, description="the person's id on the platform")
    member_name: str | None = None
    member_handle: str | None = None
    source: str | None = Field(None, description='the platform; default "custom"')
    channel: str | None = Field(None, description='the channel\'s id; default "default"')
    channel_name: str | None = None
    text: str | None = Field(None, max_length=MAX_TEXT_CHARS)
    reply_to: str | None = None
    thread: str | None = None
    is_bot: bool | None = None
    attrs: dict[str, Any] | None = None


class ActivityBatchIn(Schema):
    model_config = ConfigDict(extra="forbid")

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
    code: str | None = Field(
        None, description="a stable machine code, e.g. import_format (docs/api.md, Error codes)"
    )
