"""What one checked row of a WeChat export becomes: a message, a reply, joins, an event.

:mod:`.parser` reads and checks the CSV and hands each row over as a :class:`Row`;
:class:`Conversation` picks the kind from the row's type and remembers recent messages
so that quoted replies can point to them.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from typing import Any

from qunyun.ingest.platforms.wechat import content
from qunyun.ingest.platforms.wechat.quotes import QuoteIndex
from qunyun.ingest.platforms.wechat.system_messages import Named, Notice, read_notice
from qunyun.ingest.records import ActivityKind, ActivityRecord, PersonRef

SOURCE = "wechat"
#: The exporting user when the row gives no wxid (see docs/import-formats.md).
SELF_ID = "self"
SELF = PersonRef(external_id=SELF_ID)
#: Who system notices come from when they name nobody.
SYSTEM = PersonRef(external_id="system", display_name="系统消息", is_bot=True)
# WeChat's own accounts (official accounts are "gh_…"), counted as bots.
_SYSTEM_ACCOUNTS = frozenset({"weixin", "filehelper", "fmessage", "notifymessage", "newsapp"})


def is_bot(wxid: str) -> bool:
    return wxid.startswith("gh_") or wxid in _SYSTEM_ACCOUNTS


def person(named: Named) -> PersonRef:
    """Return the person a system notice names: by wxid when given, else by name."""
    if named.is_self:
        return SELF
    if named.wxid:
        return PersonRef(external_id=named.wxid, display_name=named.name, is_bot=is_bot(named.wxid))
    return PersonRef(external_id=None, display_name=named.name)


class Row:
    """The checked values of one CSV row."""

    __slots__ = ("author", "base", "channel", "created", "occurred_at", "sub_type", "text", "type")

    def __init__(
        self,
        channel: str,
        local_id: int,
        type_code: int,
        sub_type: int,
        created: int,
        occurred_at: datetime,
        author: PersonRef | None,
        text: str,
    ) -> None:
        self.channel = channel
        # localId alone repeats across the MSG0.db, MSG1.db, … shards of one account.
        self.base = f"{created}:{local_id}"
        self.type = type_code
        self.sub_type = sub_type
        self.created = created
        self.occurred_at = occurred_at
        self.author = author  # None: the export does not say who
        self.text = text


class Conversation:
    """Turns rows into records, remembering recent messages for quoted replies."""

    def __init__(self) -> None:
        self.quotes = QuoteIndex()

    def records(self, row: Row, attrs: dict[str, Any]) -> Iterator[ActivityRecord]:
        """Yield what ``row`` is; ``attrs`` are added to every record (``time_is_local``)."""
        if row.type in content.SYSTEM_TYPES:
            yield from self.notice_records(row, read_notice(row.text), attrs)
        elif row.type in content.SERVICE_TYPES:
            yield self.service(row, content.SERVICE_TYPES[row.type], None, attrs)
        elif row.type == content.APP and row.sub_type == content.PAT:
            yield self.service(row, "pat", None, attrs)
        else:
            yield self.message(row, attrs)

    def activity(
        self, row: Row, kind: ActivityKind, author: PersonRef, **fields: Any
    ) -> ActivityRecord:
        return ActivityRecord(
            source=SOURCE,
            channel=row.channel,
            external_id=fields.pop("external_id", row.base),
            kind=kind,
            occurred_at=row.occurred_at,
            author=author,
            **fields,
        )

    def service(
        self, row: Row, action: str, actor: PersonRef | None, attrs: dict[str, Any]
    ) -> ActivityRecord:
        author = actor or row.author or SYSTEM
        return self.activity(row, ActivityKind.SERVICE, author, attrs={"action": action, **attrs})

    def notice_records(
        self, row: Row, notice: Notice, attrs: dict[str, Any]
    ) -> Iterator[ActivityRecord]:
        if notice.action in ("join", "leave") and notice.subjects:
            kind = ActivityKind.JOIN if notice.action == "join" else ActivityKind.LEAVE
            for position, subject in enumerate(notice.subjects):
                yield self.activity(
                    row,
                    kind,
                    person(subject),
                    external_id=f"{row.base}:{notice.action}:{position}",
                    attrs={**notice.attrs, **attrs},
                )
            return
        if notice.actor is not None:
            actor = person(notice.actor)
        elif notice.action in ("system", "friend_added"):
            actor = row.author or SYSTEM  # in a 1:1 chat, the contact's row
        else:
            actor = SYSTEM
        action = "system" if notice.action in ("join", "leave") else notice.action
        yield self.service(row, action, actor, {**notice.attrs, **attrs})

    def message(self, row: Row, attrs: dict[str, Any]) -> ActivityRecord:
        author = row.author
        if author is None:
            author = PersonRef(external_id=None, display_name="")
            attrs = {**attrs, "unknown_sender": True}
        if row.type == content.TEXT:
            self.remember(row, author)
            return self.activity(row, ActivityKind.MESSAGE, author, text=row.text, attrs=attrs)
        app = content.read_app_message(row.text) if row.type == content.APP and row.text else None
        sub_type = row.sub_type or (app.sub_type if app is not None and app.sub_type else 0)
        kind_name = content.message_type(row.type, sub_type)
        attrs = {**attrs, "message_type": kind_name}
        if kind_name in ("other", "app"):
            attrs.update(type=row.type, sub_type=sub_type)
        attrs.update(content.app_attrs(kind_name, app))
        kind, text, reply_to = ActivityKind.MESSAGE, "", None
        if kind_name == "quote":
            # The title of a quoted reply is what its author typed.
            text = app.title if app is not None else ""
            if app is not None and app.quote is not None:
                reply_to = self.quotes.find(row.channel, app.quote)
            if reply_to is None:
                attrs["quoted"] = True
            else:
                kind = ActivityKind.REPLY
        self.remember(row, author)
        return self.activity(row, kind, author, text=text, reply_to=reply_to, attrs=attrs)

    def remember(self, row: Row, author: PersonRef) -> None:
        wxid = author.external_id if author.external_id != SELF_ID else None
        self.quotes.add(row.channel, row.created, wxid, author.display_name, row.base)
