"""Canonical records that every platform parser yields (DESIGN.md §2).

Parsers know nothing of the database: they read a file or an API and yield
:class:`ChannelRecord` and :class:`ActivityRecord` objects. Only the shared ingest
pipeline (:mod:`qunyun.ingest.pipeline`) turns them into rows.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

# The kinds belong to the activity stream itself (qunyun.activity.kinds); parsers name
# them through this module.
from qunyun.activity.kinds import ACTIVE_KINDS, MESSAGE_KINDS, ActivityKind

__all__ = [
    "ACTIVE_KINDS",
    "MESSAGE_KINDS",
    "ActivityKind",
    "ActivityRecord",
    "ChannelRecord",
    "PersonRef",
]


@dataclass(slots=True, frozen=True)
class PersonRef:
    """Who did something, as the platform names them.

    ``external_id`` is the platform's stable user id. Some platforms name a person only
    by display name (Telegram's invite/remove service messages): then ``external_id`` is
    ``None`` and the pipeline resolves the name to a member of the same channel.
    """

    external_id: str | None
    display_name: str = ""
    handle: str = ""
    is_bot: bool = False
    #: Contact facts the platform verified (strong evidence for merging identities).
    email: str = ""
    phone: str = ""
    #: A hash of the avatar image or its URL, when the export gives one.
    avatar_hash: str = ""


@dataclass(slots=True)
class ChannelRecord:
    """A group or channel on a platform."""

    source: str
    external_id: str
    name: str = ""
    kind: str = ""  # e.g. "public_supergroup", "text", "group"


@dataclass(slots=True)
class ActivityRecord:
    """One thing a member did, whatever the platform.

    ``external_id`` is unique per ``source`` + ``channel``; ``occurred_at`` is an aware
    datetime in UTC; ``reply_to`` and ``thread`` are external ids of other activities in
    the same channel.
    """

    source: str
    channel: str
    external_id: str
    kind: ActivityKind
    occurred_at: datetime
    author: PersonRef
    text: str = ""
    reply_to: str | None = None
    thread: str | None = None
    attrs: dict[str, Any] = field(default_factory=dict)
