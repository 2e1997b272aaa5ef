"""One message of a Slack day file → the activities it records.

A message is ``{"type": "message", "ts": "1452837318.000002", "user": "U…", "text": …}``
with an optional ``subtype`` (https://api.slack.com/events/message#subtypes). ``ts`` is
the message's id within its channel and also its time. Thread replies carry the
parent's ``ts`` in ``thread_ts``; the parent carries its own. Bots post as
``subtype: "bot_message"`` with a ``bot_id`` and often no ``user``.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

from django.utils.translation import gettext as _

from qunyun.ingest.errors import ImportFormatError
from qunyun.ingest.platforms.slack.directory import SOURCE, People
from qunyun.ingest.records import ActivityKind, ActivityRecord, PersonRef

#: Subtypes that are something a person (or bot) said, not an event of the channel.
CHAT_SUBTYPES = frozenset(
    {"bot_message", "me_message", "file_share", "file_comment", "thread_broadcast"}
    | {"reply_broadcast"}  # the name of thread_broadcast in 2017
)
#: Events about another message (edits, deletions): not activities of their own.
EVENT_SUBTYPES = frozenset({"message_changed", "message_deleted", "message_replied"})
BROADCAST_SUBTYPES = frozenset({"thread_broadcast", "reply_broadcast"})
JOIN_SUBTYPES = frozenset({"channel_join", "group_join"})
LEAVE_SUBTYPES = frozenset({"channel_leave", "group_leave"})
#: Service subtypes whose one small detail is worth keeping: subtype → message key.
SERVICE_DETAILS = {
    "channel_topic": ("topic",),
    "group_topic": ("topic",),
    "channel_purpose": ("purpose",),
    "group_purpose": ("purpose",),
    "channel_name": ("old_name", "name"),
    "group_name": ("old_name", "name"),
}

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_MENTION = re.compile(r"<@([A-Z0-9]+)(?:\|[^>]*)?>")
_LINK = re.compile(r"<(https?://[^|>\s]+)(?:\|[^>]*)?>")
_ENTITY = re.compile(r"&(amp|lt|gt);")
_UNESCAPED = {"amp": "&", "lt": "<", "gt": ">"}


def parse_ts(value: Any) -> datetime | None:
    """Return the UTC time of a Slack ``ts`` ("1452837318.000002"); ``None`` if not one."""
    parts = _ts_parts(value)
    if parts is None:
        return None
    return _EPOCH + timedelta(seconds=parts[0], microseconds=parts[1])


def _ts_parts(value: Any) -> tuple[int, int] | None:
    """Return the seconds and microseconds of a ``ts`` (up to 11 + 6 ASCII digits)."""
    if not isinstance(value, str):
        return None
    seconds, dot, fraction = value.partition(".")
    if not (seconds.isascii() and seconds.isdigit() and len(seconds) <= 11):
        return None
    if not dot:
        return int(seconds), 0
    if not (fraction.isascii() and fraction.isdigit() and len(fraction) <= 6):
        return None
    return int(seconds), int(fraction.ljust(6, "0"))


def shown(value: Any) -> str:
    """Return ``repr(value)`` cut short enough for an error message."""
    text = repr(value)
    return text if len(text) <= 80 else text[:79] + "…"


def unescape(text: str) -> str:
    """Undo Slack's own escaping of ``&``, ``<`` and ``>`` — and nothing else."""
    if "&" not in text:
        return text
    return _ENTITY.sub(lambda match: _UNESCAPED[match.group(1)], text)


class DayReader:
    """Reads the messages of one day file of one channel."""

    def __init__(self, channel: str, people: People, where: str) -> None:
        self.channel = channel
        self.people = people
        self.where = where

    def error(self, problem: str, index: int, field: str | None = None) -> ImportFormatError:
        return ImportFormatError(problem, path=self.where, record=index, field=field)

    def records(self, index: int, message: Any) -> Iterator[ActivityRecord]:
        """Yield the activities of the ``index``-th (from 1) message of the day file."""
        if not isinstance(message, dict):
            raise self.error(_("The message is not a JSON object."), index)
        if message.get("type", "message") != "message":
            return
        ts, occurred_at = self.timestamp(index, message)
        subtype = message.get("subtype")
        if subtype is not None and not isinstance(subtype, str):
            raise self.error(
                _("“subtype” is not a string: %(value)s") % {"value": shown(subtype)},
                index,
                "subtype",
            )
        if subtype in EVENT_SUBTYPES:
            return
        text = message.get("text")
        if text is None:
            text = ""
        elif not isinstance(text, str):
            raise self.error(_("“text” is not a string."), index, "text")
        thread_ts = message.get("thread_ts")
        if thread_ts is not None and _ts_parts(thread_ts) is None:
            raise self.error(
                _("“thread_ts” is not a Slack timestamp: %(value)s") % {"value": shown(thread_ts)},
                index,
                "thread_ts",
            )

        author = self.author(index, message, subtype)
        kind, reply_to = self.kind(ts, subtype, thread_ts)
        attrs = self.attrs(index, message, subtype, text)
        reactions = self.reactions(index, message.get("reactions"))
        if reactions:
            counts: dict[str, int] = {}
            for name, count, _users in reactions:
                counts[name] = counts.get(name, 0) + count
            attrs["reactions"] = counts
        yield ActivityRecord(
            source=SOURCE,
            channel=self.channel,
            external_id=ts,
            kind=kind,
            occurred_at=occurred_at,
            author=author,
            text=unescape(text),
            reply_to=reply_to,
            thread=thread_ts,
            attrs=attrs,
        )
        yield from self.reaction_records(ts, occurred_at, thread_ts, reactions)

    def timestamp(self, index: int, message: dict[str, Any]) -> tuple[str, datetime]:
        """Return the message's ``ts`` (its id) and the UTC time it stands for."""
        ts = message.get("ts")
        occurred_at = parse_ts(ts)
        if occurred_at is None or not isinstance(ts, str):
            raise self.error(
                _("The message has no “ts”.")
                if ts is None
                else _("“ts” is not a Slack timestamp: %(value)s") % {"value": shown(ts)},
                index,
                "ts",
            )
        return ts, occurred_at

    def reaction_records(
        self,
        ts: str,
        occurred_at: datetime,
        thread_ts: str | None,
        reactions: list[tuple[str, int, list[str]]],
    ) -> Iterator[ActivityRecord]:
        """Yield one reaction per person and emoji to the message ``ts``."""
        for name, _count, users in reactions:
            for user in dict.fromkeys(users):
                yield ActivityRecord(
                    source=SOURCE,
                    channel=self.channel,
                    external_id=f"{ts}:reaction:{name}:{user}",
                    kind=ActivityKind.REACTION,
                    occurred_at=occurred_at,  # the export does not say when
                    author=self.people.person(user),
                    reply_to=ts,
                    thread=thread_ts,
                    attrs={"emoji": name},
                )

    def kind(
        self, ts: str, subtype: str | None, thread_ts: str | None
    ) -> tuple[ActivityKind, str | None]:
        """Return the activity kind and, for a reply, the ``ts`` it replies to."""
        if subtype in JOIN_SUBTYPES:
            return ActivityKind.JOIN, None
        if subtype in LEAVE_SUBTYPES:
            return ActivityKind.LEAVE, None
        if subtype is not None and subtype not in CHAT_SUBTYPES:
            return ActivityKind.SERVICE, None
        if thread_ts is not None and thread_ts != ts:
            return ActivityKind.REPLY, thread_ts
        return ActivityKind.MESSAGE, None

    def author(self, index: int, message: dict[str, Any], subtype: str | None) -> PersonRef:
        """Return who wrote the message: a member, or a bot by its ``bot_id``."""
        user = message.get("user")
        bot_id = message.get("bot_id")
        if isinstance(bot_id, str) and bot_id and (subtype == "bot_message" or user is None):
            return PersonRef(bot_id, self.bot_name(message, bot_id), is_bot=True)
        if isinstance(user, str) and user:
            person = self.people.person(user, message.get("user_profile"))
            if subtype == "bot_message" and not person.is_bot:
                person = PersonRef(person.external_id, person.display_name, person.handle, True)
            return person
        if user is None and subtype == "bot_message":
            name = self.bot_name(message, "")
            if name:  # an old incoming webhook: named, without a bot id
                return PersonRef(None, name, is_bot=True)
        comment = message.get("comment")
        if user is None and subtype == "file_comment" and isinstance(comment, dict):
            commenter = comment.get("user")
            if isinstance(commenter, str) and commenter:
                return self.people.person(commenter)
        if user is None:
            raise self.error(_("The message has no “user”."), index, "user")
        raise self.error(
            _("“user” is not a Slack id: %(value)s") % {"value": shown(user)}, index, "user"
        )

    def bot_name(self, message: dict[str, Any], bot_id: str) -> str:
        username = message.get("username")
        if isinstance(username, str) and username:
            return username
        profile = message.get("bot_profile")
        if isinstance(profile, dict) and isinstance(profile.get("name"), str):
            return str(profile["name"])
        return self.people.bot_names.get(bot_id, "")

    def attrs(
        self, index: int, message: dict[str, Any], subtype: str | None, text: str
    ) -> dict[str, Any]:
        """Return the small extras of a message (edit time, mentions, files, …)."""
        attrs: dict[str, Any] = {}
        if subtype is not None and subtype not in CHAT_SUBTYPES:
            if subtype not in JOIN_SUBTYPES and subtype not in LEAVE_SUBTYPES:
                attrs["action"] = subtype
            for key in SERVICE_DETAILS.get(subtype, ()):
                if isinstance(message.get(key), str):
                    attrs[key] = unescape(message[key])
        if subtype in BROADCAST_SUBTYPES:
            attrs["broadcast"] = True
        if subtype in JOIN_SUBTYPES and isinstance(message.get("inviter"), str):
            attrs["inviter"] = message["inviter"]
        if "edited" in message:
            edited = message["edited"]
            edited_at = parse_ts(edited.get("ts")) if isinstance(edited, dict) else None
            if edited_at is None:
                raise self.error(_("“edited” has no Slack timestamp “ts”."), index, "edited")
            attrs["edited_at"] = edited_at.isoformat()
        if "<" in text:
            mentions = list(dict.fromkeys(_MENTION.findall(text)))
            if mentions:
                attrs["mentions"] = mentions
            links = list(dict.fromkeys(_LINK.findall(text)))
            if links:
                attrs["links"] = links
        files = message.get("files")
        if isinstance(files, list) and files:
            attrs["files"] = len(files)
        elif isinstance(message.get("file"), dict):
            attrs["files"] = 1  # exports before 2018 had one ``file``
        elif subtype == "file_share":
            attrs["files"] = 0
        attachments = message.get("attachments")
        if isinstance(attachments, list) and attachments:
            attrs["attachments"] = len(attachments)
        reply_count = message.get("reply_count")
        if isinstance(reply_count, int) and not isinstance(reply_count, bool):
            attrs["reply_count"] = reply_count
        return attrs

    def reactions(self, index: int, value: Any) -> list[tuple[str, int, list[str]]]:
        """Return ``(emoji name, count, user ids)`` of each entry of ``reactions``."""
        if value is None:
            return []
        if not isinstance(value, list):
            raise self.error(_("“reactions” is not a list."), index, "reactions")
        reactions = []
        for reaction in value:
            if not isinstance(reaction, dict):
                raise self.error(_("“reactions” has a malformed entry."), index, "reactions")
            name = reaction.get("name")
            users = reaction.get("users", [])
            if (
                not isinstance(name, str)
                or not name
                or not isinstance(users, list)
                or not all(isinstance(user, str) and user for user in users)
            ):
                raise self.error(_("“reactions” has a malformed entry."), index, "reactions")
            count = reaction.get("count")
            if isinstance(count, bool) or not isinstance(count, int):
                count = 0
            # ``count`` is the total: ``users`` may be cut short, never longer.
            reactions.append((name, max(count, len(users)), users))
        return reactions
