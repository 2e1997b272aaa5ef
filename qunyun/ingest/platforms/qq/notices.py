"""What QQ's system pseudo-sender says: joins, leaves, revokes and other notices.

In a 消息记录 export the group's events are messages of ``系统消息(10000)`` (older
clients: ``系统消息(1000000)``) whose text names people by their display name only:
``真核生物独幕剧加入本群。``, ``张三退出本群。``, ``李四被管理员移出本群``,
``王五撤回了一条消息``. Some clients add the QQ number in parentheses
(``张三(12345678)加入本群。``): then the person keeps that stable id.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from qunyun.ingest.records import ActivityKind, PersonRef

#: Sender ids of QQ's pseudo-sender 系统消息.
SYSTEM_SENDERS = frozenset({"10000", "1000000"})

_END = r"\s*[。.！!]?\s*$"
_INVITED = re.compile(r"^(?P<actor>.+?)邀请(?P<who>.+?)加入(?:了)?本群" + _END)
_JOINED = re.compile(r"^(?P<who>.+?)(?:已经|已)?加入(?:了)?本群" + _END)
_LEFT = re.compile(r"^(?P<who>.+?)(?:已经|已)?退出(?:了)?本群" + _END)
_REMOVED = re.compile(r"^(?P<who>.+?)(?:已经|已)?被(?P<by>.*?)(?:移出|踢出|请出)(?:了)?本群" + _END)
_REVOKED = re.compile(r"^(?P<who>.+?)撤回了一条(?:成员)?消息" + _END)
_WITH_NUMBER = re.compile(r"^(?P<name>.*?)\s*[（(](?P<number>[1-9]\d{4,11})[）)]$")
_LIST = re.compile(r"\s*[、，,]\s*")


@dataclass(slots=True)
class Notice:
    """One event a notice describes: what happened, to whom, and the extras to keep."""

    kind: ActivityKind
    person: PersonRef | None  # None: the pseudo-sender itself
    attrs: dict[str, Any] = field(default_factory=dict)


def person_named(text: str) -> PersonRef | None:
    """Return the person a notice names, with their QQ number when it is given."""
    text = text.strip()
    found = _WITH_NUMBER.match(text)
    if found:
        return PersonRef(external_id=found["number"], display_name=found["name"].strip())
    return PersonRef(external_id=None, display_name=text) if text else None


def read_notice(text: str) -> list[Notice]:
    """Return the events of a system notice; a single SERVICE for one not recognised."""
    line = text.strip()
    if "\n" not in line:
        found = _INVITED.match(line)
        if found:
            inviter = person_named(found["actor"])
            invitees = [person_named(name) for name in _LIST.split(found["who"])]
            if inviter and invitees and all(invitees):
                by = inviter.external_id or inviter.display_name
                return [
                    Notice(ActivityKind.JOIN, who, {"via": "invite", "invited_by": by})
                    for who in invitees
                ]
        for pattern, kind, attrs in (
            (_REMOVED, ActivityKind.LEAVE, {"removed": True}),
            (_LEFT, ActivityKind.LEAVE, {"removed": False}),
            (_JOINED, ActivityKind.JOIN, {}),
            (_REVOKED, ActivityKind.SERVICE, {"action": "revoke"}),
        ):
            found = pattern.match(line)
            who = person_named(found["who"]) if found else None
            if found and who is not None:
                extras = dict(attrs)
                if "by" in found.groupdict() and found["by"].strip():
                    extras["removed_by"] = found["by"].strip()  # a name, or 管理员 / 群主
                return [Notice(kind, who, extras)]
    return [Notice(ActivityKind.SERVICE, None, {"action": "notice"})]
