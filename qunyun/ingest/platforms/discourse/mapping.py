"""One Discourse post → canonical records; shared by the file parser and the live client.

Spec: Discourse's ``PostSerializer`` (discourse/discourse
``app/serializers/post_serializer.rb``) and the captured API responses in
discourse/discourse_api ``spec/fixtures``; the choices are explained in
``docs/import-formats.md`` ("Discourse (files and live sync)").

A post never says everything about itself, so both callers first teach a
:class:`~qunyun.ingest.platforms.discourse.forum_index.ForumIndex` everything they can
see, then map each post with a :class:`PostMapper` that reads the index.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from django.utils.translation import gettext as _

from qunyun.ingest.errors import ImportFormatError
from qunyun.ingest.platforms.discourse.cooked import cooked_to_text
from qunyun.ingest.platforms.discourse.forum_index import (
    ForumIndex,
    TopicFacts,
    as_int,
    text_or_empty,
)
from qunyun.ingest.records import ActivityKind, ActivityRecord, ChannelRecord, PersonRef

SOURCE = "discourse"
REGULAR, MODERATOR_ACTION, SMALL_ACTION, WHISPER = 1, 2, 3, 4
LIKE = 2  # the "like" PostActionType id in ``actions_summary``
NO_CATEGORY = "none"  # the channel of posts whose category nobody names (private messages)
DELETED_USER = "deleted"
#: Every post field the mapping reads (the live client keeps only these in memory).
USED_FIELDS = frozenset(
    {
        "id",
        "topic_id",
        "post_number",
        "post_type",
        "action_code",
        "created_at",
        "updated_at",
        "reply_to_post_number",
        "user_id",
        "username",
        "name",
        "trust_level",
        "admin",
        "moderator",
        "staff",
        "raw",
        "cooked",
        "topic_title",
        "topic_slug",
        "category_id",
        "category_name",
        "version",
        "actions_summary",
        "deleted_at",
        "user_deleted",
        "hidden",
        "wiki",
        "accepted_answer",
    }
)
Record = ChannelRecord | ActivityRecord


def parse_time(value: Any) -> datetime | None:
    """The aware UTC time of an ISO 8601 string with an offset or ``Z``; else ``None``.

    Discourse writes ``2020-01-25T02:10:07.971Z``; 2013-era servers wrote their own zone,
    ``2013-02-04T15:26:26.278-05:00``. A time without an offset is refused.
    """
    if not isinstance(value, str):
        return None
    try:
        moment = datetime.fromisoformat(value)
        return moment.astimezone(UTC) if moment.tzinfo is not None else None
    except (ValueError, OverflowError):
        return None


class PostMapper:
    """Validates one post and turns it into its channel (first time) and its activity."""

    def __init__(self, index: ForumIndex) -> None:
        self.index = index
        self.channels: set[str] = set()
        self.seen: set[int] = set()

    def records(
        self, post: Any, *, path: str, record: int | None, topic_id: int | None = None
    ) -> list[Record]:
        """The records of ``post``; ``[]`` for a post already mapped in this run.

        ``path`` and ``record`` locate the post in errors (a file or a URL path, and its
        1-based position in the response's list). Raises :class:`ImportFormatError`.
        """
        fields = _Fields(post, path, record)
        post_id = fields.required_integer("id")
        if post_id in self.seen:
            return []  # the same post saved in two responses (a page and its topic)
        own_topic = fields.integer("topic_id")
        topic = own_topic if own_topic is not None or topic_id is None else topic_id
        if topic is None:
            topic = fields.required_integer("topic_id")
        number = fields.required_integer("post_number")
        post_type = fields.integer("post_type") or REGULAR
        occurred_at = fields.required_time("created_at")
        facts = self.index.topic(topic)

        attrs: dict[str, Any] = {"post_number": number}
        attrs.update(fields.state_attrs(occurred_at))
        author = self.author(fields, attrs)
        kind, reply_to = self.kind(
            fields, attrs, post_type=post_type, topic=topic, number=number, post_id=post_id
        )

        records: list[Record] = []
        channel = self.channel(fields, facts, records)
        self.seen.add(post_id)
        records.append(
            ActivityRecord(
                source=SOURCE,
                channel=channel,
                external_id=str(post_id),
                kind=kind,
                occurred_at=occurred_at,
                author=author,
                text=fields.body(),
                reply_to=reply_to,
                thread=str(topic),
                attrs=attrs,
            )
        )
        return records

    def kind(
        self,
        fields: _Fields,
        attrs: dict[str, Any],
        *,
        post_type: int,
        topic: int,
        number: int,
        post_id: int,
    ) -> tuple[ActivityKind, str | None]:
        """The post's kind and the id it replies to; adds what its type tells to ``attrs``."""
        reply_to: str | None = None
        if post_type in (MODERATOR_ACTION, SMALL_ACTION):
            kind = ActivityKind.SERVICE
            action = fields.data.get("action_code")
            attrs["action"] = (
                action
                if isinstance(action, str) and action
                else ("moderator_action" if post_type == MODERATOR_ACTION else "small_action")
            )
        elif number == 1:
            kind = ActivityKind.POST
            facts = self.index.topic(topic)
            attrs["title"] = text_or_empty(fields.data.get("topic_title")) or facts.title
            attrs["topic_slug"] = text_or_empty(fields.data.get("topic_slug")) or facts.slug
        else:
            kind = ActivityKind.REPLY
            reply_to = self.reply_target(fields, topic, post_id, attrs)
        if post_type == WHISPER:
            attrs["whisper"] = True
        elif post_type not in (REGULAR, MODERATOR_ACTION, SMALL_ACTION):
            attrs["post_type"] = post_type
        return kind, reply_to

    def author(self, fields: _Fields, attrs: dict[str, Any]) -> PersonRef:
        user_id = fields.integer("user_id")
        username = fields.string("username")
        display_name = fields.string("name") or username  # ``name`` is nullable
        trust_level = as_int(fields.data.get("trust_level"))
        if trust_level is not None:
            attrs["trust_level"] = trust_level
        for role in ("admin", "moderator", "staff"):
            if fields.data.get(role) is True:
                attrs[role] = True
        if user_id is None and not username:
            attrs["author_deleted"] = True
            return PersonRef(external_id=DELETED_USER)
        return PersonRef(
            external_id=str(user_id) if user_id is not None else username,
            display_name=display_name,
            handle=username,
            # system is -1, discobot -2: Discourse gives its own accounts negative ids.
            is_bot=user_id is not None and user_id <= 0,
        )

    def reply_target(
        self, fields: _Fields, topic: int, post_id: int, attrs: dict[str, Any]
    ) -> str | None:
        """The id of the post replied to; the topic's starter when only that is known.

        A post without ``reply_to_post_number`` answers the topic itself.
        """
        explicit = fields.integer("reply_to_post_number")
        target = None
        if explicit is not None:
            attrs["reply_to_post_number"] = explicit
            target = self.index.post_id(topic, explicit)
        if target is None:
            target = self.index.post_id(topic, 1) or self.index.topic(topic).starter_id
        return str(target) if target is not None and target != post_id else None

    def channel(self, fields: _Fields, facts: TopicFacts, records: list[Record]) -> str:
        category_id = fields.integer("category_id")
        if category_id is None:
            category_id = facts.category_id
        if category_id is None:
            external_id, name, kind = NO_CATEGORY, "no category", "none"
        else:
            external_id = str(category_id)
            name = (
                self.index.category_names.get(category_id)
                or fields.string("category_name")
                or f"category {category_id}"
            )
            kind = "category"
        if external_id not in self.channels:
            self.channels.add(external_id)
            records.append(ChannelRecord(SOURCE, external_id, name=name, kind=kind))
        return external_id


class _Fields:
    """Typed, located access to one post's fields."""

    def __init__(self, post: Any, path: str, record: int | None) -> None:
        self.path = path
        self.record = record
        if not isinstance(post, dict):
            raise self.error(_("The post is not a JSON object."))
        self.data: dict[str, Any] = post

    def error(self, problem: str, field: str | None = None) -> ImportFormatError:
        return ImportFormatError(problem, path=self.path, record=self.record, field=field)

    def missing(self, key: str) -> ImportFormatError:
        return self.error(_("The post has no “%(field)s”.") % {"field": key}, key)

    def required_integer(self, key: str) -> int:
        number = self.integer(key)
        if number is None:
            raise self.missing(key)
        return number

    def integer(self, key: str) -> int | None:
        value = self.data.get(key)
        if value is None:
            return None
        number = as_int(value)
        if number is None:
            raise self.error(
                _("“%(field)s” is not an integer: %(value)r") % {"field": key, "value": value},
                key,
            )
        return number

    def string(self, key: str) -> str:
        value = self.data.get(key)
        if value is not None and not isinstance(value, str):
            raise self.error(
                _("“%(field)s” is not text: %(value)r") % {"field": key, "value": value}, key
            )
        return value or ""

    def required_time(self, key: str) -> datetime:
        moment = self.time(key)
        if moment is None:
            raise self.missing(key)
        return moment

    def time(self, key: str) -> datetime | None:
        value = self.data.get(key)
        if value is None:
            return None
        moment = parse_time(value)
        if moment is None:
            raise self.error(
                _("“%(field)s” is not an ISO 8601 time with a UTC offset: %(value)r")
                % {"field": key, "value": value},
                key,
            )
        return moment

    def body(self) -> str:
        if self.data.get("raw") is not None:
            return self.string("raw")
        cooked = self.string("cooked")
        return cooked_to_text(cooked) if cooked else ""

    def state_attrs(self, created: datetime) -> dict[str, Any]:
        """Edit time, likes, deletion and moderation state of the post."""
        attrs: dict[str, Any] = {}
        updated = self.time("updated_at")
        if updated is not None and updated > created:
            attrs["edited_at"] = updated.isoformat()
        version = as_int(self.data.get("version"))
        if version is not None and version > 1:
            attrs["version"] = version
        likes = self.likes()
        if likes:
            attrs["likes"] = likes
        if self.data.get("deleted_at") is not None or self.data.get("user_deleted") is True:
            attrs["deleted"] = True
        for flag in ("hidden", "wiki", "accepted_answer"):
            if self.data.get(flag) is True:
                attrs[flag] = True
        return attrs

    def likes(self) -> int:
        summary = self.data.get("actions_summary")
        if summary is None:
            return 0
        if not isinstance(summary, list):
            raise self.error(_("“actions_summary” is not a list."), "actions_summary")
        for action in summary:
            if isinstance(action, dict) and as_int(action.get("id")) == LIKE:
                return max(as_int(action.get("count")) or 0, 0)
        return 0
