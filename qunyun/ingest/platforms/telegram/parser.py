"""Telegram Desktop "Export chat history" (JSON) → canonical records.

Spec: the exporter's JSON writer, tdesktop
``Telegram/SourceFiles/export/output/export_output_json.cpp``
(https://github.com/telegramdesktop/tdesktop/blob/dev/Telegram/SourceFiles/export/output/export_output_json.cpp),
with the field-level findings from real exports summarised in ``docs/import-formats.md``.

Reads a single-chat export (``{name, type, id, messages}``) or a full-account export
(``chats.list`` and ``left_chats.list``). Each chat becomes a :class:`ChannelRecord`,
yielded before that chat's activities. A file up to ``loading.STREAM_THRESHOLD`` is
parsed whole (:mod:`.loading`); a larger one is streamed (:mod:`.streaming`) in bounded
memory. Both hand the same chats and messages to :class:`ChatReader`, so they yield the
same records.
"""

from __future__ import annotations

import gc
from collections.abc import Iterable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from django.utils.translation import gettext as _

from qunyun.ingest.errors import ImportFormatError
from qunyun.ingest.platforms.telegram import content
from qunyun.ingest.platforms.telegram.clock import ReactionClock, parse_local, parse_unixtime
from qunyun.ingest.platforms.telegram.loading import Chat, chats_of, load_export, should_stream
from qunyun.ingest.platforms.telegram.reactions import reaction_records
from qunyun.ingest.platforms.telegram.service import service_records
from qunyun.ingest.platforms.telegram.streaming import stream_chats
from qunyun.ingest.platforms.telegram.threads import ThreadIndex
from qunyun.ingest.records import ActivityKind, ActivityRecord, ChannelRecord, PersonRef

SOURCE = "telegram"
CHANNEL_TYPES = frozenset({"private_channel", "public_channel"})
Record = ChannelRecord | ActivityRecord

_MESSAGE, _REPLY, _POST = ActivityKind.MESSAGE, ActivityKind.REPLY, ActivityKind.POST
_from_epoch = datetime.fromtimestamp
#: Keys that only some messages have; most messages have none and skip their checks.
_RARE_KEYS = frozenset(
    {
        *content.MEDIA_KEYS,
        "edited_unixtime",
        "forwarded_from",
        "saved_from",
        "via_bot",
        "author",
    }
)
#: Known people per chat, beyond which the cache starts afresh.
_PEOPLE_CACHE = 100_000


def parse(path: Path) -> Iterator[Record]:
    """Yield each chat of the export at ``path`` and then what happened in it.

    Raises :class:`ImportFormatError` naming the file and the place (line and offset
    for broken JSON, message index and field for a malformed message) and never yields
    a broken record. A streamed file can raise after good records (a truncated end is
    seen last); the pipeline then writes nothing.
    """
    if should_stream(path):
        yield from _records(stream_chats(path), path)
        return
    document = load_export(path)
    # The collector would otherwise scan the millions of objects of the document over
    # and over while records are made; they are freed by reference counting anyway.
    gc.freeze()
    try:
        yield from _records(chats_of(document, path), path)
    finally:
        gc.unfreeze()


def _records(chats: Iterator[Chat], path: Path) -> Iterator[Record]:
    clock = ReactionClock()
    for chat, where, messages in chats:
        yield from ChatReader(chat, where, path, clock).records(messages)


class ChatReader:
    """Turns one chat of an export into records, remembering what later messages need."""

    def __init__(self, chat: Any, where: str, path: Path, clock: ReactionClock) -> None:
        self.path = str(path)
        self.where = where
        self.clock = clock
        if not isinstance(chat, dict):
            raise self.error(_("A chat is not a JSON object."), field=where or None)
        self.chat = chat
        chat_id = chat.get("id")
        if isinstance(chat_id, bool) or not isinstance(chat_id, int):
            raise self.error(_("The chat has no numeric “id”."), field=self.field("id"))
        self.chat_id = str(chat_id)
        self.name = _string(chat.get("name"))  # absent for saved messages
        self.type = _string(chat.get("type"))
        self.is_channel = self.type in CHANNEL_TYPES
        # In a bot chat the chat id is the bot's user id.
        self.bot_id = f"user{chat_id}" if self.type == "bot_chat" else None
        #: ids of ``topic_created`` service messages: forum topics, not reply targets.
        self.topics: set[int] = set()
        #: message id → topic id, so that replies inside a topic stay in it.
        self.thread_of = ThreadIndex()
        self._people: dict[tuple[Any, Any], PersonRef] = {}

    def field(self, key: str) -> str:
        return f"{self.where}.{key}" if self.where else key

    def error(
        self, problem: str, *, record: int | None = None, field: str | None = None
    ) -> ImportFormatError:
        if self.where and record is not None:
            # A message index alone is ambiguous in a file with many chats.
            problem = _("%(problem)s (in %(chat)s)") % {"problem": problem, "chat": self.where}
        return ImportFormatError(problem, path=self.path, record=record, field=field)

    def records(self, messages: Iterable[Any] | None) -> Iterator[Record]:
        """Yield the chat, then the records of ``messages``, which must be its messages."""
        if messages is None:
            raise self.error(_("“messages” is not a list."), field=self.field("messages"))
        yield ChannelRecord(source=SOURCE, external_id=self.chat_id, name=self.name, kind=self.type)
        clock = self.clock
        message_records = self.message_records
        normal_records = self.normal_records
        for index, message in enumerate(messages, start=1):
            # Most messages are normal ones: straight to them (message_records checks
            # the same, in the same order, for the others).
            if type(message) is dict and message.get("type") == "message":
                msg_id = message.get("id")
                if type(msg_id) is int:
                    yield from normal_records(index, msg_id, message)
                    if clock.ready:
                        yield from clock.take_ready()
                    continue
            yield from message_records(index, message)
            if clock.ready:
                yield from clock.take_ready()
        yield from clock.end_chat()

    def message_records(self, index: int, message: Any) -> Iterable[ActivityRecord]:
        if type(message) is not dict:
            raise self.error(_("The message is not a JSON object."), record=index)
        kind = message.get("type")
        if kind == "unsupported":
            return ()
        msg_id = message.get("id")
        if type(msg_id) is not int:
            problem = (
                _("The message has no “id”.")
                if msg_id is None
                else _("“id” is not an integer: %(value)r") % {"value": msg_id}
            )
            raise self.error(problem, record=index, field="id")
        if kind == "message":
            return self.normal_records(index, msg_id, message)
        if kind == "service":
            return service_records(self, index, msg_id, message)
        if kind is None:
            raise self.error(_("The message has no “type”."), record=index, field="type")
        # Other types are newer than this parser; skipping them loses nothing we count.
        return ()

    def occurred_at(self, index: int, message: dict[str, Any]) -> tuple[datetime, bool]:
        """Return the message's UTC time and whether it was read from local time."""
        raw = message.get("date_unixtime")
        if raw is not None:
            if type(raw) is str and raw.isdigit() and raw.isascii():  # as tdesktop writes it
                try:
                    moment: datetime | None = datetime.fromtimestamp(int(raw), UTC)
                except (OverflowError, OSError, ValueError):
                    moment = None
            else:
                moment = parse_unixtime(raw)
            if moment is None:
                raise self.error(
                    _("“date_unixtime” is not a number: %(value)r") % {"value": raw},
                    record=index,
                    field="date_unixtime",
                )
            self.clock.note(message, moment)
            return moment, False
        if "date_unixtime" in message:
            raise self.error(
                _("“date_unixtime” is not a number: %(value)r") % {"value": raw},
                record=index,
                field="date_unixtime",
            )
        if "date" not in message:
            raise self.error(
                _("The message has neither “date_unixtime” nor “date”."),
                record=index,
                field="date_unixtime",
            )
        local = parse_local(message["date"])
        if local is None:
            raise self.error(
                _("“date” is not an ISO 8601 time: %(value)r") % {"value": message["date"]},
                record=index,
                field="date",
            )
        if local.tzinfo is not None:
            return local.astimezone(UTC), False
        # Old exports without date_unixtime: the PC's offset is unknown, so the wall
        # clock is taken as UTC and the record says so.
        return local.replace(tzinfo=UTC), True

    def person(
        self, index: int, message: dict[str, Any], id_key: str, name_key: str
    ) -> PersonRef | None:
        """Return who ``message[id_key]`` is; ``None`` when the key is absent."""
        raw = message.get(id_key)
        if raw is None:
            return None
        name = message.get(name_key)
        cacheable = type(raw) is str or type(raw) is int
        if cacheable and type(name) is str:
            found = self._people.get((raw, name))
            if found is not None:
                return found
        external_id = peer_id(raw)
        if external_id is None:
            raise self.error(
                _("“%(field)s” is not a Telegram id: %(value)r") % {"field": id_key, "value": raw},
                record=index,
                field=id_key,
            )
        person = PersonRef(
            external_id=external_id,
            display_name=_string(name),  # null: a deleted account
            is_bot=external_id == self.bot_id,
        )
        if cacheable and type(name) is str:
            if len(self._people) >= _PEOPLE_CACHE:
                self._people.clear()
            self._people[raw, name] = person
        return person

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
    ) -> ActivityRecord:
        return ActivityRecord(
            SOURCE,
            self.chat_id,
            external_id,
            kind,
            occurred_at,
            author,
            text,
            reply_to,
            thread,
            {} if attrs is None else attrs,
        )

    def normal_records(
        self, index: int, msg_id: int, message: dict[str, Any]
    ) -> list[ActivityRecord]:
        """Return the activity of a normal message and the reactions to it."""
        # The common cases inline (this runs once per message); the methods check the rest.
        raw = message.get("date_unixtime")
        occurred_at = None
        if type(raw) is str and raw.isdigit() and raw.isascii():  # as tdesktop writes it
            try:  # noqa: SIM105 (contextlib.suppress costs more, once per message)
                occurred_at = _from_epoch(int(raw), UTC)
            except (OverflowError, OSError, ValueError):
                pass  # occurred_at() says what is wrong
        if occurred_at is None:
            occurred_at, time_is_local = self.occurred_at(index, message)
        else:  # what occurred_at does for this form, without its checks
            self.clock.note(message, occurred_at)
            time_is_local = False
        author = None
        raw = message.get("from_id")
        name = message.get("from")
        if type(raw) is str and type(name) is str:
            author = self._people.get((raw, name))  # the cache of self.person
        if author is None:
            author = self.normal_author(index, message)
        raw_text = message.get("text")
        text = raw_text if type(raw_text) is str else self.flat_text(index, raw_text)
        attrs = content.entity_attrs(raw_text, message.get("text_entities"))
        if time_is_local:
            attrs["time_is_local"] = True
        if not _RARE_KEYS.isdisjoint(message):
            self.add_rare_attrs(index, message, attrs)
        kind = _MESSAGE
        reply_to = thread = None
        target = message.get("reply_to_message_id")
        if target is not None:
            kind, reply_to, thread = self.reply_place(index, target, message, attrs)
        if thread is not None:
            self.thread_of.add(msg_id, thread)
        if self.is_channel and (author.external_id or "").startswith("channel"):
            kind = _POST
        reactions = message.get("reactions")
        if reactions is not None:
            attrs["reactions"] = self.reaction_counts(index, reactions)
        record = ActivityRecord(
            SOURCE,
            self.chat_id,
            str(msg_id),
            kind,
            occurred_at,
            author,
            text,
            reply_to,
            thread,
            attrs,
        )
        if not reactions:
            return [record]
        return [record, *reaction_records(self, index, msg_id, occurred_at, reactions)]

    def normal_author(self, index: int, message: dict[str, Any]) -> PersonRef:
        """Return who sent a normal message; a channel's own posts are the channel's."""
        author = self.person(index, message, "from_id", "from")
        if author is None:
            if not self.is_channel:
                raise self.error(_("The message has no “from_id”."), record=index, field="from_id")
            # Old channel exports omit the sender of posts: it is the channel itself.
            author = PersonRef(external_id=f"channel{self.chat_id}", display_name=self.name)
        return author

    def reply_place(
        self, index: int, target: Any, message: dict[str, Any], attrs: dict[str, Any]
    ) -> tuple[ActivityKind, str | None, str | None]:
        """Return the kind, ``reply_to`` and thread of a message that names ``target``.

        A reply to another chat's message stays a message and says so in ``attrs``; one
        to a forum topic's first post is a message in that topic.
        """
        if type(target) is not int:
            raise self.error(
                _("“reply_to_message_id” is not an integer: %(value)r") % {"value": target},
                record=index,
                field="reply_to_message_id",
            )
        if "reply_to_peer_id" in message:
            # A reply to a message of another chat: not an activity of this channel.
            attrs["reply_to_peer_id"] = str(message["reply_to_peer_id"])
            attrs["reply_to_message_id"] = str(target)
            return _MESSAGE, None, None
        if target in self.topics:
            return _MESSAGE, None, str(target)  # the first post of a forum topic, not a reply
        return _REPLY, str(target), self.thread_of.get(target)

    def reaction_counts(self, index: int, reactions: Any) -> dict[str, int]:
        """Return emoji → count of a message's ``reactions``."""
        if type(reactions) is not list:
            raise self.error(_("“reactions” is not a list."), record=index, field="reactions")
        try:
            return content.reaction_counts(reactions)
        except ValueError:
            raise self.error(
                _("“reactions” has a malformed entry."), record=index, field="reactions"
            ) from None

    def flat_text(self, index: int, raw_text: Any) -> str:
        """Return the plain text of a ``text`` written as a list of parts."""
        try:
            return content.flatten_text(raw_text)
        except ValueError:
            raise self.error(
                _("“text” is neither a string nor a list of text parts."),
                record=index,
                field="text",
            ) from None

    def add_rare_attrs(self, index: int, message: dict[str, Any], attrs: dict[str, Any]) -> None:
        """Add what the keys only some messages have say: media, then edit and origin."""
        try:
            content.add_media_attrs(message, attrs)
        except ValueError:
            raise self.error(_("“poll” is malformed."), record=index, field="poll") from None
        self.add_context_attrs(index, message, attrs)

    def add_context_attrs(self, index: int, message: dict[str, Any], attrs: dict[str, Any]) -> None:
        """Add edit time, forward origin, bot and signature of a normal message."""
        if "edited_unixtime" in message:
            edited = parse_unixtime(message["edited_unixtime"])
            if edited is None:
                raise self.error(
                    _("“edited_unixtime” is not a number: %(value)r")
                    % {"value": message["edited_unixtime"]},
                    record=index,
                    field="edited_unixtime",
                )
            # The server also sets this when the first reaction arrives (tdesktop
            # #30647): it means "touched", never "edited".
            attrs["edited_at"] = edited.isoformat()
        for key in ("forwarded_from", "saved_from"):
            if key in message:
                value = message[key]
                attrs[key] = value if isinstance(value, str) else ""
        if isinstance(message.get("via_bot"), str):
            attrs["via_bot"] = message["via_bot"]
        if isinstance(message.get("author"), str):
            attrs["signature"] = message["author"]  # a channel post's author signature


def _string(value: Any) -> str:
    return value if isinstance(value, str) else ""


def peer_id(value: Any) -> str | None:
    """Return the "user123" / "channel123" / "chat123" form of a Telegram sender id.

    Very old exports wrote a bare number, which was always a user.
    """
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return f"user{value}"
    if isinstance(value, str) and value:
        return f"user{value}" if value.isdigit() else value
    return None
