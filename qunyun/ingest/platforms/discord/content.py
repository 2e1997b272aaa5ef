"""The parts of a DiscordChatExporter message, checked: times, kinds, references, lists.

Field names and shapes follow ``WriteMessageAsync`` in
``DiscordChatExporter.Core/Exporting/JsonMessageWriter.cs``. Every function raises
:class:`~.people.Malformed` naming the field when the value is not of that shape.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any, NamedTuple

from django.utils.translation import gettext as _

from qunyun.ingest.platforms.discord.people import Malformed, shown, snowflake

#: ``MessageKind`` values by number, for exports that wrote a kind as a bare number.
KIND_NAMES = {
    "0": "Default",
    "1": "RecipientAdd",
    "2": "RecipientRemove",
    "3": "Call",
    "4": "ChannelNameChange",
    "5": "ChannelIconChange",
    "6": "ChannelPinnedMessage",
    "7": "GuildMemberJoin",
    "18": "ThreadCreated",
    "19": "Reply",
}


class Reference(NamedTuple):
    """``reference``: the message replied to, pinned or forwarded, or a new thread."""

    kind: str  # "Default", "Forward"; "" in exports before 2024
    message_id: str | None
    channel_id: str | None


class Reaction(NamedTuple):
    key: str  # the custom emoji's id, or the unicode emoji itself
    name: str
    total: int
    users: list[Any] | None  # user objects, when the export lists who reacted


def utc(value: Any, field: str) -> datetime:
    """Return the ISO 8601 time ``value`` ("2023-01-06T14:22:25.25+00:00") in UTC.

    The offset may be the exporting PC's zone; a time without one is refused rather
    than guessed.
    """
    try:
        moment = datetime.fromisoformat(value)
    except (TypeError, ValueError):
        raise Malformed(
            _("“%(field)s” is not an ISO 8601 time: %(value)s")
            % {"field": field, "value": shown(value)},
            field,
        ) from None
    if moment.tzinfo is None:
        raise Malformed(
            _("“%(field)s” has no UTC offset: %(value)s") % {"field": field, "value": shown(value)},
            field,
        )
    try:
        return moment.astimezone(UTC)
    except OverflowError:
        raise Malformed(
            _("“%(field)s” is out of range: %(value)s") % {"field": field, "value": shown(value)},
            field,
        ) from None


def kind_name(value: Any) -> str:
    """Return the message kind: a ``MessageKind`` name, or a number DCE had no name for."""
    if type(value) is int:
        value = str(value)
    if type(value) is str and value:
        return KIND_NAMES.get(value, value)
    if value is None:
        raise Malformed(_("The message has no “type”."), "type")
    raise Malformed(_("“type” is not a message kind: %(value)s") % {"value": shown(value)}, "type")


def length(value: Any, field: str) -> int:
    """Return how many entries the list ``value`` has (``null`` counts as none)."""
    if type(value) is list:
        return len(value)
    if value is None:
        return 0
    raise Malformed(_("“%(field)s” is not a list.") % {"field": field}, field)


def mention_ids(value: Any) -> list[str]:
    """Return the ids of the users in ``mentions``."""
    if type(value) is not list:
        raise Malformed(_("“%(field)s” is not a list.") % {"field": "mentions"}, "mentions")
    ids = []
    for position, user in enumerate(value):
        if type(user) is not dict:
            field = f"mentions[{position}]"
            raise Malformed(_("“%(field)s” is not a JSON object.") % {"field": field}, field)
        ids.append(snowflake(user.get("id"), f"mentions[{position}].id"))
    return ids


def reference_of(value: Any) -> Reference | None:
    if value is None:
        return None
    if type(value) is not dict:
        raise Malformed(
            _("“%(field)s” is not a JSON object.") % {"field": "reference"}, "reference"
        )
    kind = value.get("type")
    if kind is not None and type(kind) is not str:
        raise Malformed(
            _("“%(field)s” is not text: %(value)s")
            % {"field": "reference.type", "value": shown(kind)},
            "reference.type",
        )
    message_id = value.get("messageId")
    channel_id = value.get("channelId")
    return Reference(
        kind or "",
        None if message_id is None else snowflake(message_id, "reference.messageId"),
        None if channel_id is None else snowflake(channel_id, "reference.channelId"),
    )


def reactions_of(value: Any) -> list[Reaction]:
    """Return the reactions of a message, each with its emoji key and count."""
    if type(value) is not list:
        raise Malformed(_("“%(field)s” is not a list.") % {"field": "reactions"}, "reactions")
    found = []
    for position, reaction in enumerate(value):
        field = f"reactions[{position}]"
        if type(reaction) is not dict:
            raise Malformed(_("“%(field)s” is not a JSON object.") % {"field": field}, field)
        emoji = reaction.get("emoji")
        if type(emoji) is not dict:
            raise Malformed(
                _("“%(field)s” is not a JSON object.") % {"field": f"{field}.emoji"},
                f"{field}.emoji",
            )
        name = emoji.get("name")
        name = name if type(name) is str else ""
        # Unicode emoji have an id of null or "" (both occur); custom ones a snowflake.
        emoji_id = emoji.get("id")
        if emoji_id not in (None, ""):
            key = snowflake(emoji_id, f"{field}.emoji.id")
        elif name:
            key = name
        else:
            raise Malformed(
                _("The reaction has neither an emoji id nor a name."), f"{field}.emoji.name"
            )
        count = reaction.get("count")
        if type(count) is not int or count < 0:
            raise Malformed(
                _("“%(field)s” is not a count: %(value)s")
                % {"field": f"{field}.count", "value": shown(count)},
                f"{field}.count",
            )
        users = reaction.get("users")
        if users is not None and type(users) is not list:
            raise Malformed(
                _("“%(field)s” is not a list.") % {"field": f"{field}.users"}, f"{field}.users"
            )
        found.append(Reaction(key, name, count, users))
    return found


def optional_text(value: Any, field: str) -> str:
    if value is None:
        return ""
    if type(value) is str:
        return value
    raise Malformed(
        _("“%(field)s” is not text: %(value)s") % {"field": field, "value": shown(value)}, field
    )
