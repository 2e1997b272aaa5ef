"""Discord users in a DiscordChatExporter file → :class:`PersonRef`.

A user object (``WriteUserAsync`` in ``JsonMessageWriter.cs``) is
``{id, name, discriminator, nickname, color, isBot[, roles], avatarUrl}``. ``nickname``
is the server display name at export time and is missing from older exports;
``discriminator`` is ``"0000"`` for accounts on Discord's new usernames and for deleted
accounts ("Deleted User" keeps a distinct id for each deleted account).
"""

from __future__ import annotations

from contextlib import suppress
from typing import Any

from django.utils.translation import gettext as _

from qunyun.ingest.records import PersonRef

#: Discriminators meaning "none": new-style usernames and deleted accounts.
NO_DISCRIMINATOR = frozenset({"", "0", "0000"})
_HEX = frozenset("0123456789abcdef")
#: Forget the cache past this many distinct people, so that memory stays bounded.
_CACHE_LIMIT = 500_000


class Malformed(Exception):
    """A message field is not what the format promises; the reader adds the place."""

    def __init__(self, problem: str, field: str) -> None:
        super().__init__(problem)
        self.problem = problem
        self.field = field


class People:
    """Builds :class:`PersonRef` objects, sharing one per distinct user as exported.

    The same person writes thousands of messages; their user object is identical each
    time, so the (immutable) reference is built and validated once.
    """

    def __init__(self) -> None:
        #: ``(id, name, nickname, discriminator, isBot, avatarUrl)`` → the person.
        self.known: dict[tuple[Any, ...], PersonRef] = {}

    def person(self, user: Any, field: str) -> PersonRef:
        """Return who ``user`` is; raise :class:`Malformed` naming ``field`` if it is broken."""
        if type(user) is dict:
            key = key_of(user)
            try:
                known = self.known.get(key)
            except TypeError:  # an unhashable value where text belongs: reported below
                known = None
            if known is not None:
                return known
            person = _person(user, field)
            if len(self.known) >= _CACHE_LIMIT:
                self.known.clear()
            with suppress(TypeError):  # e.g. an avatarUrl that is a list: used, not cached
                self.known[key] = person
            return person
        if user is None:
            raise Malformed(_("“%(field)s” is missing.") % {"field": field}, field)
        raise Malformed(_("“%(field)s” is not a JSON object.") % {"field": field}, field)


def key_of(user: dict[str, Any]) -> tuple[Any, ...]:
    """Everything of a user object that goes into their :class:`PersonRef`."""
    get = user.get
    return (
        get("id"),
        get("name"),
        get("nickname"),
        get("discriminator"),
        get("isBot"),
        get("avatarUrl"),
    )


def snowflake(value: Any, field: str) -> str:
    """Return a Discord id (a snowflake string; a bare number is accepted)."""
    if type(value) is str and value:
        return value
    if type(value) is int:
        return str(value)
    raise Malformed(
        _("“%(field)s” is not a Discord id: %(value)s") % {"field": field, "value": shown(value)},
        field,
    )


def shown(value: Any) -> str:
    """Return ``repr(value)`` cut short: a hostile value may be megabytes long."""
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "…"


def _person(user: dict[str, Any], field: str) -> PersonRef:
    external_id = snowflake(user.get("id"), f"{field}.id")
    name = _text(user, "name", field)
    nickname = _text(user, "nickname", field)
    discriminator = _text(user, "discriminator", field)
    is_bot = user.get("isBot")
    if is_bot is not None and type(is_bot) is not bool:
        raise Malformed(
            _("“%(field)s” is not true or false: %(value)s")
            % {"field": f"{field}.isBot", "value": shown(is_bot)},
            f"{field}.isBot",
        )
    handle = name if discriminator in NO_DISCRIMINATOR or not name else f"{name}#{discriminator}"
    return PersonRef(
        external_id=external_id,
        display_name=nickname or name,
        handle=handle,
        is_bot=bool(is_bot),
        avatar_hash=avatar_hash(user.get("avatarUrl")),
    )


def avatar_hash(url: Any) -> str:
    """Return Discord's hash of the avatar image named by ``avatarUrl``, or ``""``.

    The URL is ``https://cdn.discordapp.com/avatars/<user>/<hash>.png?size=512`` (or a
    server avatar under ``/guilds/…/avatars/``); an export made with downloaded media
    names a local file ``<hash>-<5 characters>.png`` instead. Default avatars
    (``/embed/avatars/0.png``) are shared by many people and say nothing.
    """
    if type(url) is not str or "/embed/avatars/" in url:
        return ""
    name = url.replace("\\", "/").rsplit("/", 1)[-1].split("?", 1)[0]
    stem = name.rsplit(".", 1)[0]
    base, dash, suffix = stem.rpartition("-")
    if dash and len(suffix) == 5:  # DCE's "-XXXXX" suffix of a downloaded asset
        stem = base
    digits = stem[2:] if stem.startswith("a_") else stem
    if len(digits) == 32 and all(c in _HEX for c in digits):
        return stem
    return ""


def _text(user: dict[str, Any], key: str, field: str) -> str:
    value = user.get(key)
    if value is None:
        return ""
    if type(value) is str:
        return value
    raise Malformed(
        _("“%(field)s” is not text: %(value)s")
        % {"field": f"{field}.{key}", "value": shown(value)},
        f"{field}.{key}",
    )
