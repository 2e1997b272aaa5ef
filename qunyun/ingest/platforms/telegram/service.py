"""Telegram service messages (joins, leaves, topics, pins, …) → canonical records.

The actions and their keys are those of ``SerializeMessage`` in tdesktop
``Telegram/SourceFiles/export/output/export_output_json.cpp``. ``members`` and
``inviter`` hold display names, not ids: a joiner's id is known only when they joined
by themself (the actor), so others are yielded as name-only people for the pipeline to
resolve within the same chat.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from django.utils.translation import gettext as _

from qunyun.ingest.platforms.telegram.chat_context import ChatContext
from qunyun.ingest.records import ActivityKind, ActivityRecord, PersonRef

JOIN_ACTIONS = frozenset({"join_group_by_link", "join_group_by_request"})
MEMBER_JOIN_ACTIONS = frozenset({"invite_members", "create_group"})
# Extra keys worth keeping on other service events (titles, pinned message ids).
_KEPT_KEYS = ("title", "new_title", "message_id", "duration", "boosts")


def service_records(
    reader: ChatContext, index: int, msg_id: int, message: dict[str, Any]
) -> Iterator[ActivityRecord]:
    """Yield the records of one service message of ``reader``'s chat.

    Service messages without an actor (payments, bot permissions, passport data) are
    about the exporting account, not the community, and yield nothing.
    """
    occurred_at, time_is_local = reader.occurred_at(index, message)
    actor = reader.person(index, message, "actor_id", "actor")
    if actor is None:
        return
    action = message.get("action")
    base: dict[str, Any] = {"time_is_local": True} if time_is_local else {}

    if action in JOIN_ACTIONS:
        attrs = {**base, "via": action}
        if "inviter" in message:
            attrs["inviter"] = message["inviter"] if isinstance(message["inviter"], str) else ""
        yield reader.activity(str(msg_id), ActivityKind.JOIN, occurred_at, actor, attrs=attrs)
    elif action in MEMBER_JOIN_ACTIONS:
        for position, name, is_actor in _members(reader, index, message):
            if is_actor:
                # Pressing "Join" in a public group is logged as inviting oneself.
                person, attrs = actor, {**base, "via": action}
            else:
                person = PersonRef(external_id=None, display_name=name)
                attrs = {**base, "via": action, "invited_by": actor.external_id}
            yield reader.activity(
                f"{msg_id}:join:{position}", ActivityKind.JOIN, occurred_at, person, attrs=attrs
            )
    elif action == "remove_members":
        for position, name, is_actor in _members(reader, index, message):
            if is_actor:
                # Leaving and being removed are the same server action; the actor tells.
                person, attrs = actor, {**base, "removed": False}
            else:
                person = PersonRef(external_id=None, display_name=name)
                attrs = {**base, "removed": True, "removed_by": actor.external_id}
            yield reader.activity(
                f"{msg_id}:leave:{position}", ActivityKind.LEAVE, occurred_at, person, attrs=attrs
            )
    else:
        attrs = {**base, **_service_attrs(action, message)}
        if action == "topic_created":
            reader.topics.add(msg_id)
        yield reader.activity(str(msg_id), ActivityKind.SERVICE, occurred_at, actor, attrs=attrs)


def _members(
    reader: ChatContext, index: int, message: dict[str, Any]
) -> Iterator[tuple[int, str, bool]]:
    """Yield ``(position, name, is the actor)`` for each named member of the action.

    A ``null`` name is a deleted account: it is the actor when the actor is deleted too
    (the id is then known), otherwise nobody can be resolved and it is skipped.
    """
    members = message.get("members", [])
    if not isinstance(members, list):
        raise reader.error(_("“members” is not a list."), record=index, field="members")
    actor_name = message.get("actor")
    for position, name in enumerate(members):
        if name is not None and not isinstance(name, str):
            raise reader.error(
                _("“members” holds a non-name: %(value)r") % {"value": name},
                record=index,
                field="members",
            )
        if name == actor_name:
            yield position, name or "", True
        elif name:
            yield position, name, False


def _service_attrs(action: Any, message: dict[str, Any]) -> dict[str, Any]:
    if not isinstance(action, str) or not action:
        # Custom server notices have no action, only their text.
        attrs: dict[str, Any] = {"action": "custom"}
        if isinstance(message.get("information_text"), str):
            attrs["information_text"] = message["information_text"]
        return attrs
    attrs = {"action": action}
    for key in _KEPT_KEYS:
        value = message.get(key)
        if isinstance(value, str | int) and not isinstance(value, bool):
            # A pinned message is named by id, like every other external id.
            attrs[key] = str(value) if key == "message_id" else value
    return attrs
