"""Who and where: ``users.json`` and the conversation lists of a Slack export.

``users.json`` lists every member, deleted ones included (``deleted: true``). The
conversations are listed in ``channels.json`` (public channels), ``groups.json``
(private channels), ``mpims.json`` (group DMs) and ``dms.json`` (DMs); the last three
exist only in exports of paid plans. Message folders are named after a conversation's
``name``; DMs have no name, so their folders are named after their ``id``.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Any

from django.utils.translation import gettext as _

from qunyun.ingest.errors import ImportFormatError
from qunyun.ingest.platforms import json_export
from qunyun.ingest.platforms.slack.archive import SlackExport
from qunyun.ingest.records import ChannelRecord, PersonRef

SOURCE = "slack"
#: Listing file → the conversation type Slack's API calls it, used as the channel kind.
LISTINGS = (
    ("channels.json", "public_channel"),
    ("groups.json", "private_channel"),
    ("mpims.json", "mpim"),
    ("dms.json", "im"),
)
_DAY_FILE = re.compile(r"\d{4}-\d{2}-\d{2}\.json")
SLACKBOT = PersonRef("USLACKBOT", "Slackbot", "slackbot", is_bot=True)


def _text(value: Any) -> str:
    return value if isinstance(value, str) else ""


def _listing(export: SlackExport, name: str) -> Iterator[tuple[int, dict[str, Any]]]:
    """Yield ``(index from 1, entry)`` of the JSON array ``name``, each entry with an id."""
    where = export.where(name)
    document = json_export.load(export.read(name), where)
    if not isinstance(document, list):
        raise ImportFormatError(_("The file is not a JSON array."), path=where)
    for index, entry in enumerate(document, start=1):
        if not isinstance(entry, dict):
            raise ImportFormatError(_("The entry is not a JSON object."), path=where, record=index)
        if not isinstance(entry.get("id"), str) or not entry["id"]:
            raise ImportFormatError(
                _("The entry has no “id”."), path=where, record=index, field="id"
            )
        yield index, entry


class People:
    """The members of ``users.json``, and the names of people and bots it does not list."""

    def __init__(self, export: SlackExport) -> None:
        self.users: dict[str, PersonRef] = {}
        #: bot id → the name of the bot user that carries it in its profile.
        self.bot_names: dict[str, str] = {}
        if "users.json" in export.files:
            for _index, user in _listing(export, "users.json"):
                self._add(user)

    def _add(self, user: dict[str, Any]) -> None:
        profile = user.get("profile")
        if not isinstance(profile, dict):
            profile = {}
        name = _text(user.get("name"))
        display_name = (
            _text(profile.get("display_name"))
            or _text(profile.get("real_name"))
            or _text(user.get("real_name"))
            or name
        )
        self.users[user["id"]] = PersonRef(
            external_id=user["id"],
            display_name=display_name,
            handle=name,
            is_bot=user.get("is_bot") is True or user.get("is_app_user") is True,
            # Slack confirms e-mail addresses; the profile's ``phone`` is free text that
            # nobody verified, so it is not taken as a contact fact.
            email=_text(profile.get("email")),
            avatar_hash=_text(profile.get("avatar_hash")),
        )
        bot_id = profile.get("bot_id")
        if isinstance(bot_id, str) and bot_id:
            self.bot_names[bot_id] = display_name

    def person(self, user_id: str, profile: Any = None) -> PersonRef:
        """Return the member ``user_id``; one not in ``users.json`` is named by ``profile``.

        ``profile`` is a message's ``user_profile`` (modern exports), when there is one.
        """
        known = self.users.get(user_id)
        if known is not None:
            return known
        if user_id == SLACKBOT.external_id:
            return SLACKBOT
        if not isinstance(profile, dict):
            return PersonRef(user_id)
        return PersonRef(
            external_id=user_id,
            display_name=_text(profile.get("display_name")) or _text(profile.get("real_name")),
            handle=_text(profile.get("name")),
            avatar_hash=_text(profile.get("avatar_hash")),
        )

    def name(self, user_id: str) -> str:
        person = self.person(user_id)
        return person.display_name or person.handle or user_id


@dataclass(slots=True)
class Conversation:
    """A channel of the export and the folder that holds its day files."""

    folder: str
    record: ChannelRecord


def day_files(export: SlackExport) -> dict[str, list[str]]:
    """Return folder → its ``YYYY-MM-DD.json`` files in date order.

    Other files (``integration_logs.json``, canvases, downloaded attachments) are not
    part of the message history.
    """
    days: dict[str, list[str]] = {}
    for name in export.files:
        folder, _slash, base = name.partition("/")
        if _DAY_FILE.fullmatch(base):
            days.setdefault(folder, []).append(name)
    for names in days.values():
        names.sort()  # ISO dates sort as text
    return days


def conversations(
    export: SlackExport, people: People, folders: Iterable[str]
) -> list[Conversation]:
    """Return every conversation, in the order of the listing files.

    Listed public and private channels and group DMs are returned even without
    messages in the export; DMs only when they have a folder (``dms.json`` lists every
    DM ever opened). A folder of day files that no listing names becomes a channel whose
    id and name are the folder's name.
    """
    with_days = set(folders)
    found: dict[str, Conversation] = {}
    for listing, kind in LISTINGS:
        if listing not in export.files:
            continue
        for index, entry in _listing(export, listing):
            if kind == "im":
                folder = entry["id"]
                if folder not in with_days:
                    continue
                members = entry.get("members")
                if not isinstance(members, list):
                    members = []
                name = ", ".join(people.name(m) for m in members if isinstance(m, str))
            else:
                listed_name = entry.get("name")
                if not isinstance(listed_name, str) or not listed_name:
                    raise ImportFormatError(
                        _("The entry has no “name”."),
                        path=export.where(listing),
                        record=index,
                        field="name",
                    )
                folder = name = listed_name
            record = ChannelRecord(source=SOURCE, external_id=entry["id"], name=name, kind=kind)
            found.setdefault(folder, Conversation(folder, record))
    for folder in sorted(with_days - found.keys()):
        found[folder] = Conversation(folder, ChannelRecord(SOURCE, folder, folder, ""))
    return list(found.values())
