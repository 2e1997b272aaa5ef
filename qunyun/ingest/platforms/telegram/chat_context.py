"""What the readers of service messages and reactions need of the chat being read.

:class:`~qunyun.ingest.platforms.telegram.parser.ChatReader` is the one implementation;
this protocol lets :mod:`.service` and :mod:`.reactions` use it without importing the
parser that calls them (no circle).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Protocol

from qunyun.ingest.errors import ImportFormatError
from qunyun.ingest.platforms.telegram.clock import ReactionClock
from qunyun.ingest.records import ActivityKind, ActivityRecord, PersonRef


class ChatContext(Protocol):
    clock: ReactionClock
    #: ids of ``topic_created`` service messages: forum topics, not reply targets.
    topics: set[int]

    def error(
        self, problem: str, *, record: int | None = None, field: str | None = None
    ) -> ImportFormatError: ...

    def occurred_at(self, index: int, message: dict[str, Any]) -> tuple[datetime, bool]: ...

    def person(
        self, index: int, message: dict[str, Any], id_key: str, name_key: str
    ) -> PersonRef | None: ...

    def activity(
        self,
        external_id: str,
        kind: ActivityKind,
        occurred_at: datetime,
        author: PersonRef,
        text: str = "",
        reply_to: str | None = None,
        thread: str | None = None,
        attrs: dict[str, Any] | None = None,
    ) -> ActivityRecord: ...
