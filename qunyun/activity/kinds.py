"""What a member can do: the kinds of the canonical activity (DESIGN.md §2).

Every layer names them — parsers, the activity table, analytics, members' figures — so
they live here, at the bottom of the activity stream, not with the parsers.
"""

from __future__ import annotations

from enum import StrEnum


class ActivityKind(StrEnum):
    """What a member did. The values are stored in ``Activity.kind``."""

    MESSAGE = "message"
    REPLY = "reply"
    REACTION = "reaction"
    POST = "post"
    COMMENT = "comment"
    JOIN = "join"
    LEAVE = "leave"
    EVENT_REGISTERED = "event_registered"
    EVENT_ATTENDED = "event_attended"
    SURVEY_ANSWERED = "survey_answered"
    PURCHASE = "purchase"
    SERVICE = "service"  # other platform events: pins, title changes, ...


#: Kinds that make a member *active* on a day (docs/metrics.md).
ACTIVE_KINDS = frozenset(
    {ActivityKind.MESSAGE, ActivityKind.REPLY, ActivityKind.REACTION, ActivityKind.POST}
)
#: Kinds counted as chat messages a member wrote.
MESSAGE_KINDS = frozenset({ActivityKind.MESSAGE, ActivityKind.REPLY})
