"""DiscordChatExporter (Tyrrrz) JSON → canonical records.

Spec: the exporter's JSON writer, ``DiscordChatExporter.Core/Exporting/JsonMessageWriter.cs``
(https://github.com/Tyrrrz/DiscordChatExporter/blob/master/DiscordChatExporter.Core/Exporting/JsonMessageWriter.cs),
and its ``Discord/Data/MessageKind.cs``; the findings from real exports (schema drift of
2023 files, deleted users, emoji ids) are summarised in ``docs/import-formats.md``.

``parse`` takes one exported channel (``*.json``) or a folder of them; each file is one
channel (a text channel, a thread or forum post, or a DM), yielded as a
:class:`ChannelRecord` before its activities. Messages are streamed
(:mod:`.reading`), so exports of gigabytes keep memory small.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from operator import itemgetter
from pathlib import Path
from typing import Any

from django.utils.translation import gettext as _

from qunyun.ingest.errors import ImportFormatError
from qunyun.ingest.platforms.discord.content import (
    Reference,
    kind_name,
    length,
    mention_ids,
    optional_text,
    reactions_of,
    reference_of,
    utc,
)
from qunyun.ingest.platforms.discord.people import Malformed, People, snowflake
from qunyun.ingest.platforms.discord.reading import ExportReader
from qunyun.ingest.records import ActivityKind, ActivityRecord, ChannelRecord, PersonRef

SOURCE = "discord"
#: Channel kinds whose export is one thread (``category``/``categoryId`` = the parent).
THREAD_KINDS = frozenset({"GuildPublicThread", "GuildPrivateThread", "GuildNewsThread"})
Record = ChannelRecord | ActivityRecord

MESSAGE = ActivityKind.MESSAGE
REPLY = ActivityKind.REPLY
JOIN = ActivityKind.JOIN
_CHAT_KINDS = {"Default": MESSAGE, "0": MESSAGE, "Reply": REPLY, "19": REPLY}
_fromisoformat = datetime.fromisoformat
#: A user object's key in the people cache (:func:`.people.key_of`), when it has every
#: key; one C call instead of six ``get`` calls.
_user_key = itemgetter("id", "name", "nickname", "discriminator", "isBot", "avatarUrl")


def parse(path: Path) -> Iterator[Record]:
    """Yield each exported channel at ``path`` (a file or a folder) and what happened in it.

    Raises :class:`ImportFormatError` naming the file and the place (line and byte
    offset for broken JSON, message index and field for a malformed message) before
    any broken record is yielded.
    """
    announced: set[str] = set()
    for file in export_files(path):
        header, messages = ExportReader(file).open()
        reader = ChannelReader(file, header)
        # A channel exported in parts (DCE's --partition) is one channel.
        if reader.channel_id not in announced:
            announced.add(reader.channel_id)
            yield reader.channel_record()
        yield from reader.records(messages)


def export_files(path: Path) -> list[Path]:
    """Return ``[path]`` for a file, or the ``*.json`` files of a folder sorted by name."""
    if not path.is_dir():
        return [path]
    files = sorted(
        (p for p in path.iterdir() if p.suffix.lower() == ".json" and p.is_file()),
        key=lambda p: p.name,
    )
    if not files:
        raise ImportFormatError(_("The folder has no .json files."), path=str(path))
    return files


class ChannelReader:
    """Turns the messages of one exported channel into records."""

    def __init__(self, path: Path, header: dict[str, Any]) -> None:
        self.path = str(path)
        channel = header.get("channel")
        if type(channel) is not dict:
            raise ImportFormatError(
                _("The export has no “channel” object before its “messages”."),
                path=self.path,
                field="channel",
            )
        try:
            self.channel_id = snowflake(channel.get("id"), "channel.id")
            self.name = optional_text(channel.get("name"), "channel.name")
            self.kind = optional_text(channel.get("type"), "channel.type")
            parent_id = optional_text(channel.get("categoryId"), "channel.categoryId")
            parent_name = optional_text(channel.get("category"), "channel.category")
        except Malformed as fault:
            raise ImportFormatError(fault.problem, path=self.path, field=fault.field) from None
        #: Attrs every activity of a thread carries: the channel the thread belongs to.
        self.base: dict[str, str] | None = None
        self.thread: str | None = None
        if self.kind in THREAD_KINDS:
            self.thread = self.channel_id
            self.base = {}
            if parent_id:
                self.base["parent_channel"] = parent_id
            if parent_name:
                self.base["parent_channel_name"] = parent_name
        self.people = People()
        self.known = self.people.known
        self.pending: list[ActivityRecord] = []  # the reactions of the message just read

    def channel_record(self) -> ChannelRecord:
        return ChannelRecord(
            source=SOURCE, external_id=self.channel_id, name=self.name, kind=self.kind
        )

    def records(self, messages: Iterator[Any]) -> Iterator[ActivityRecord]:
        read = self.read
        pending = self.pending
        index = 0
        try:
            for index, message in enumerate(messages, start=1):  # noqa: B007 (read below)
                yield read(message)
                if pending:
                    yield from pending
                    pending.clear()
        except Malformed as fault:
            raise ImportFormatError(
                fault.problem, path=self.path, record=index, field=fault.field
            ) from None

    def read(self, message: Any) -> ActivityRecord:
        """Return the activity of ``message``; its reactions go to :attr:`pending`."""
        if type(message) is not dict:
            raise Malformed(_("The message is not a JSON object."), "")
        get: Callable[[str], Any] = message.get
        msg_id = get("id")
        if type(msg_id) is not str or not msg_id:
            if msg_id is None:
                raise Malformed(_("The message has no “id”."), "id")
            msg_id = snowflake(msg_id, "id")
        try:
            occurred_at = _fromisoformat(get("timestamp"))
            if occurred_at.tzinfo is not UTC:
                if occurred_at.tzinfo is None:
                    raise ValueError
                occurred_at = occurred_at.astimezone(UTC)
        except (TypeError, ValueError, OverflowError):
            occurred_at = utc(get("timestamp"), "timestamp")  # raises, naming the fault
        user = get("author")
        try:  # the people cache, inlined: this runs once per message
            author = self.known[_user_key(user)]
        except (KeyError, TypeError, AttributeError):  # a key missing, or not met yet
            author = self.people.person(user, "author")
        text = get("content")
        if type(text) is not str:
            text = optional_text(text, "content")
        attrs = self.attrs_of(get, msg_id, occurred_at)
        value = get("reference")
        reference = None if value is None else reference_of(value)
        kind, reply_to, author = self.kind_of(message, reference, author, occurred_at, attrs)
        return ActivityRecord(
            SOURCE,
            self.channel_id,
            msg_id,
            kind,
            occurred_at,
            author,
            text,
            reply_to,
            self.thread,
            attrs,
        )

    def attrs_of(
        self, get: Callable[[str], Any], msg_id: str, occurred_at: datetime
    ) -> dict[str, Any]:
        """Return the attrs of a message read with ``get``; queue its reactions."""
        attrs: dict[str, Any] = {} if self.base is None else self.base.copy()
        value = get("timestampEdited")
        if value is not None:
            attrs["edited_at"] = utc(value, "timestampEdited").isoformat()
        if get("isPinned") is True:
            attrs["pinned"] = True
        value = get("attachments")
        if value:
            attrs["attachments"] = length(value, "attachments")
        value = get("embeds")
        if value and length(value, "embeds"):
            attrs["embeds"] = True
        value = get("stickers")
        if value and length(value, "stickers"):
            attrs["stickers"] = True
        value = get("mentions")
        if value:
            attrs["mentions"] = mention_ids(value)
        value = get("reactions")
        if value:
            self.reactions(value, msg_id, occurred_at, attrs)
        if get("forwardedMessage") is not None:
            attrs["forwarded"] = True
        value = get("interaction")
        if value is not None:
            self.interaction(value, attrs)
        return attrs

    def kind_of(
        self,
        message: dict[str, Any],
        reference: Reference | None,
        author: PersonRef,
        occurred_at: datetime,
        attrs: dict[str, Any],
    ) -> tuple[ActivityKind, str | None, PersonRef]:
        """Return the message's kind, the id it replies to and the person it is about."""
        raw_kind = message.get("type")
        kind = _CHAT_KINDS.get(raw_kind) if type(raw_kind) is str else None
        reply_to = None
        if kind is not None:
            if reference is not None:
                kind, reply_to = self.chat_reference(kind, reference, attrs)
            return kind, reply_to, author
        name = kind_name(raw_kind)
        chat_kind = _CHAT_KINDS.get(name)  # a chat kind written as a bare number
        if chat_kind is not None:
            if reference is not None:
                chat_kind, reply_to = self.chat_reference(chat_kind, reference, attrs)
            return chat_kind, reply_to, author
        if name == "GuildMemberJoin":
            return JOIN, None, author
        kind, author = self.system(name, message, author, occurred_at, reference, attrs)
        return kind, None, author

    def chat_reference(
        self, kind: ActivityKind, reference: Reference, attrs: dict[str, Any]
    ) -> tuple[ActivityKind, str | None]:
        """Return the kind and ``reply_to`` of a chat message with a ``reference``."""
        if reference.kind == "Forward":
            attrs["forwarded"] = True
            return MESSAGE, None
        if reference.channel_id is not None and reference.channel_id != self.channel_id:
            # Another channel's message (a thread's starter, a crosspost): not a reply here.
            attrs["reference_channel"] = reference.channel_id
            if reference.message_id is not None:
                attrs["reference_message"] = reference.message_id
            return MESSAGE, None
        if reference.message_id is not None:
            # The target may have been deleted and be absent from the file: still a reply.
            return REPLY, reference.message_id
        return kind, None

    def system(
        self,
        name: str,
        message: dict[str, Any],
        author: PersonRef,
        occurred_at: datetime,
        reference: Reference | None,
        attrs: dict[str, Any],
    ) -> tuple[ActivityKind, PersonRef]:
        """Return the kind and person of a system message other than a member join."""
        if name in ("RecipientAdd", "RecipientRemove"):
            mentions = message.get("mentions")
            # The mentioned user is the one added or removed; without one, the author.
            person = self.people.person(mentions[0], "mentions[0]") if mentions else author
            by_other = person.external_id != author.external_id
            if name == "RecipientAdd":
                if by_other:
                    attrs["added_by"] = author.external_id
                return JOIN, person
            attrs["removed"] = by_other
            if by_other:
                attrs["removed_by"] = author.external_id
            return ActivityKind.LEAVE, person
        attrs["action"] = name
        if reference is not None:
            if name == "ThreadCreated" and reference.channel_id is not None:
                attrs["thread_id"] = reference.channel_id
            elif reference.message_id is not None:
                attrs["message_id"] = reference.message_id
        ended = message.get("callEndedTimestamp")
        if ended is not None:
            seconds = (utc(ended, "callEndedTimestamp") - occurred_at).total_seconds()
            attrs["duration"] = max(int(seconds), 0)
        return ActivityKind.SERVICE, author

    def reactions(
        self, value: Any, msg_id: str, occurred_at: datetime, attrs: dict[str, Any]
    ) -> None:
        """Count the reactions into ``attrs``; queue one REACTION per listed user."""
        reactions = reactions_of(value)
        counts: dict[str, int] = {}
        for reaction in reactions:
            counts[reaction.key] = counts.get(reaction.key, 0) + reaction.total
        attrs["reactions"] = counts
        done: set[str] = set()
        for position, reaction in enumerate(reactions):
            if not reaction.users:
                continue  # older exports do not say who reacted
            emoji: dict[str, Any] = {} if self.base is None else self.base.copy()
            emoji["emoji"] = reaction.key
            if reaction.name and reaction.name != reaction.key:
                emoji["emoji_name"] = reaction.name  # a custom emoji's name
            for number, user in enumerate(reaction.users):
                person = self.people.person(user, f"reactions[{position}].users[{number}]")
                external_id = f"{msg_id}:reaction:{reaction.key}:{person.external_id}"
                if external_id in done:
                    continue
                done.add(external_id)
                # DCE does not say when someone reacted: the message's time stands in.
                self.pending.append(
                    ActivityRecord(
                        SOURCE,
                        self.channel_id,
                        external_id,
                        ActivityKind.REACTION,
                        occurred_at,
                        person,
                        "",
                        msg_id,
                        self.thread,
                        dict(emoji),
                    )
                )

    def interaction(self, value: Any, attrs: dict[str, Any]) -> None:
        """Note the slash command a bot's message answers, and who ran it."""
        if type(value) is not dict:
            raise Malformed(
                _("“%(field)s” is not a JSON object.") % {"field": "interaction"}, "interaction"
            )
        command = optional_text(value.get("name"), "interaction.name")
        if command:
            attrs["command"] = command
        if value.get("user") is not None:
            attrs["invoked_by"] = self.people.person(value["user"], "interaction.user").external_id
