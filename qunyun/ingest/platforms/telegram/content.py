"""What a Telegram message says and carries: text, entities, media, reaction counts.

Field names follow ``SerializeMessage`` and ``SerializeText`` in tdesktop
``Telegram/SourceFiles/export/output/export_output_json.cpp``. These helpers raise
``ValueError`` for a malformed value; the parser turns that into an
:class:`~qunyun.ingest.errors.ImportFormatError` that names the message and field.
"""

from __future__ import annotations

from typing import Any

# tdesktop writes one of these (possibly after a file name) instead of a path when a
# file was not downloaded; they are not paths and must not be stored as such.
_NOT_DOWNLOADED = (
    "(File not included.",
    "(File exceeds maximum size.",
    "(File unavailable,",
    "(Photo not included.",
    "(Photo exceeds maximum size.",
    "(Photo unavailable,",
)

# Document fields copied to attrs as they are.
_DOCUMENT_FIELDS = (
    "media_type",
    "file_name",
    "mime_type",
    "duration_seconds",
    "sticker_emoji",
    "performer",
    "title",
    "paid_stars_amount",
)


def flatten_text(text: Any) -> str:
    """Return the plain text of ``text``: a string, or a list of strings and entities."""
    if text is None:
        return ""
    if isinstance(text, str):
        return text
    if not isinstance(text, list):
        raise ValueError(text)
    parts: list[str] = []
    for part in text:
        if isinstance(part, str):
            parts.append(part)
        elif isinstance(part, dict) and isinstance(part.get("text", ""), str):
            parts.append(part.get("text", ""))
        else:
            raise ValueError(part)
    return "".join(parts)


_ENTITY_KINDS = frozenset({"mention", "mention_name", "hashtag", "link", "text_link"})
_ENTITY_LISTS = {
    "mention": "mentions",
    "mention_name": "mentions",
    "hashtag": "hashtags",
    "link": "links",
    "text_link": "links",
}


def entity_attrs(text: Any, entities: Any) -> dict[str, Any]:
    """Return ``mentions``, ``hashtags`` and ``links`` found in the message's entities.

    Reads ``text_entities`` when present (newer exports), else the objects in ``text``.
    Only non-empty lists are returned, in a new dict the caller may add to.
    """
    if type(entities) is not list:
        entities = text if type(text) is list else ()
    attrs: dict[str, Any] = {}
    for entity in entities:
        if type(entity) is not dict:
            continue
        kind = entity.get("type")
        if type(kind) is not str or kind not in _ENTITY_KINDS:
            continue  # mostly "plain"
        value = entity.get("text")
        if type(value) is not str or not value:
            continue
        if kind == "mention_name":
            # A mention of someone without a username: keep their id, which is stable.
            user_id = entity.get("user_id")
            if isinstance(user_id, int):
                value = f"user{user_id}"
        elif kind == "text_link":
            value = entity.get("href")
            if type(value) is not str:
                continue
        key = _ENTITY_LISTS[kind]
        if key in attrs:
            attrs[key].append(value)
        else:
            attrs[key] = [value]
    return attrs


def is_downloaded(path: Any) -> bool:
    """Whether ``path`` is a real relative path rather than a "not included" notice."""
    return isinstance(path, str) and bool(path) and not any(m in path for m in _NOT_DOWNLOADED)


#: Every key that :func:`add_media_attrs` reads: a message with none of them has no media.
MEDIA_KEYS = frozenset(
    {
        "photo",
        "file",
        *_DOCUMENT_FIELDS,
        "poll",
        "contact_information",
        "location_information",
        "place_name",
        "game_title",
        "invoice_information",
    }
)


def add_media_attrs(message: dict[str, Any], attrs: dict[str, Any]) -> None:
    """Add to ``attrs`` what the message carries besides text, without personal data.

    A shared contact's phone number and a location's coordinates are not copied: only
    the fact that one was shared.
    """
    if "photo" in message:
        attrs["photo"] = True
        if not is_downloaded(message["photo"]):
            attrs["media_not_included"] = True
    if "file" in message:
        if is_downloaded(message["file"]):
            attrs["file"] = message["file"]
        else:
            attrs["media_not_included"] = True
    for field in _DOCUMENT_FIELDS:
        value = message.get(field)
        if isinstance(value, str | int) and not isinstance(value, bool) and value != "":
            attrs[field] = value
    poll = message.get("poll")
    if isinstance(poll, dict):
        attrs["poll"] = _poll(poll)
    if "contact_information" in message:
        attrs["contact"] = True
    if message.get("location_information") is not None or "place_name" in message:
        attrs["location"] = True
    if isinstance(message.get("place_name"), str):
        attrs["venue"] = message["place_name"]
    if isinstance(message.get("game_title"), str):
        attrs["game"] = message["game_title"]
    if "invoice_information" in message:
        attrs["invoice"] = True


def _poll(poll: dict[str, Any]) -> dict[str, Any]:
    answers = poll.get("answers")
    if not isinstance(answers, list):
        raise ValueError(answers)
    result: dict[str, Any] = {
        "question": flatten_text(poll.get("question")),
        "closed": poll.get("closed") is True,
        "total_voters": _count(poll.get("total_voters", 0)),
        # ``chosen`` is the exporting account's own vote: not part of the community record.
        "answers": [
            {"text": flatten_text(a.get("text")), "voters": _count(a.get("voters", 0))}
            for a in answers
            if isinstance(a, dict)
        ],
    }
    return result


def _count(value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise ValueError(value)
    return value


def reaction_key(reaction: dict[str, Any]) -> str:
    """Return the emoji, the custom emoji's document id, or the reaction type."""
    kind = reaction.get("type")
    for field in ("emoji", "document_id"):
        value = reaction.get(field)
        if isinstance(value, str | int) and not isinstance(value, bool) and value != "":
            return str(value)
    if isinstance(kind, str) and kind:
        return kind  # "paid" star reactions have neither
    raise ValueError(reaction)


def reaction_counts(reactions: list[Any]) -> dict[str, int]:
    """Return ``{emoji or document id: count}`` for a message's ``reactions`` list."""
    counts: dict[str, int] = {}
    for reaction in reactions:
        if not isinstance(reaction, dict):
            raise ValueError(reaction)
        key = reaction_key(reaction)
        counts[key] = counts.get(key, 0) + _count(reaction.get("count", 0))
    return counts
