"""WhatsApp "Export chat" (``.txt``, or the ``.zip`` with media) → canonical records.

Spec: WhatsApp publishes none. The line shapes are those of FORMATS.md §7, checked
against the patterns of a maintained parser
(https://github.com/Pustur/whatsapp-chat-parser/blob/master/src/parser.ts) and
summarised in ``docs/import-formats.md`` ("WhatsApp (chat export)"). One file is one
chat, hence one channel.

The file is read twice, line by line: first to learn how dates are written (day or
month first, decided over the whole file) and the group's name, then to build records.
A ZIP is read in place, never extracted.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path, PurePosixPath
from typing import Any

from django.utils.translation import gettext as _

from qunyun.ingest.errors import ZIP_READ_ERRORS, ImportFormatError
from qunyun.ingest.platforms.people import PersonCache
from qunyun.ingest.platforms.whatsapp.archive import chat_member, is_zip, name_from_stem
from qunyun.ingest.platforms.whatsapp.content import SYSTEM, message_body, person
from qunyun.ingest.platforms.whatsapp.dates import (
    MARKS,
    DateOrder,
    DateOrderScan,
    Prefix,
    local_time,
    match_prefix,
)
from qunyun.ingest.platforms.whatsapp.lines import (
    Encoding,
    LocalZone,
    OccurrenceCounter,
    TextSource,
    detect_encoding,
    epoch_seconds,
    read_lines,
)
from qunyun.ingest.platforms.whatsapp.system import (
    GROUP_ACTIONS,
    PRIVATE_TEXT,
    SystemEvent,
    is_encryption_notice,
    read_system,
    titled_event,
)
from qunyun.ingest.platforms.zip_guard import checked_members, open_zip
from qunyun.ingest.records import ActivityKind, ActivityRecord, ChannelRecord, PersonRef

SOURCE = "whatsapp"
#: WhatsApp writes the phone's wall clock without a zone. This default suits the
#: Chinese-speaking communities Qunyun is built for; pass ``time_zone`` for others.
TIME_ZONE = "Asia/Shanghai"
Record = ChannelRecord | ActivityRecord

_QUOTE = re.compile('["“«„「『]')


def parse(path: Path, *, time_zone: str = TIME_ZONE) -> Iterator[Record]:
    """Yield the chat of the export at ``path`` and then what happened in it.

    ``time_zone`` is the IANA zone of the exporting phone's clock. Raises
    :class:`ImportFormatError` naming the file (and the ZIP member) and the line.
    """
    zone = LocalZone(time_zone)
    if not is_zip(path):
        yield from _parse_chat(TextSource(str(path), lambda: path.open("rb")), path.stem, zone)
        return
    archive = open_zip(path)
    with archive:
        member = chat_member(checked_members(archive, path), path)
        stem = PurePosixPath(member.filename).stem
        source = TextSource(f"{path}:{member.filename}", lambda: archive.open(member))
        try:
            yield from _parse_chat(source, path.stem if stem == "_chat" else stem, zone)
        except ZIP_READ_ERRORS as error:
            raise ImportFormatError(
                _("The archive is damaged: %(reason)s") % {"reason": error}, path=source.name
            ) from None


def _parse_chat(source: TextSource, stem: str, zone: LocalZone) -> Iterator[Record]:
    encoding = detect_encoding(source, legacy=False)
    scan = scan_chat(source, encoding)
    shown = name_from_stem(stem)
    channel_id = scan.title or shown
    yield ChannelRecord(
        source=SOURCE,
        external_id=channel_id,
        name=shown if stem != "_chat" else channel_id,
        kind="group" if scan.is_group else "",
    )
    reader = ChatReader(source.name, channel_id, scan, zone)
    yield from reader.records(read_lines(source, encoding))


@dataclass(slots=True)
class ChatScan:
    """What the first pass learned about the whole chat."""

    order: DateOrder
    order_guessed: bool
    title: str | None
    is_group: bool


def scan_chat(source: TextSource, encoding: Encoding) -> ChatScan:
    """Read the whole chat once: the date order, the group's name, whether it is a group."""
    dates = DateOrderScan()
    title: str | None = None
    is_group = False
    entries = 0
    for number, _offset, text in read_lines(source, encoding):
        prefix = match_prefix(text)
        if prefix is None:
            if not entries and text.strip(MARKS + " \t"):
                raise ImportFormatError(
                    _("This is not a WhatsApp chat: the line has no date and time: %(value)r")
                    % {"value": text[:80]},
                    path=source.name,
                    line=number,
                )
            continue
        entries += 1
        dates.add(prefix, number)
        sender, body = split_sender(prefix)
        if sender is None:
            event = read_system(body)
            is_group = is_group or event.action in GROUP_ACTIONS
            if title is None and event.action == "group_created" and event.attrs.get("title"):
                title = event.attrs["title"]
    if not entries:
        raise ImportFormatError(_("The file holds no WhatsApp message lines."), path=source.name)
    order, guessed = dates.resolve(source.name)
    return ChatScan(order, guessed, title, is_group)


def split_sender(prefix: Prefix) -> tuple[str | None, str]:
    """Return ``(sender, body)`` of an entry; the sender is ``None`` for a system line.

    iOS writes system lines as ``Group: \u200eAlice added Bob``: a body that starts with
    U+200E and reads as a system event is one, whoever the "sender" is.
    """
    rest = prefix.rest
    colon = rest.find(": ")
    if colon < 0 and rest.endswith(":"):
        colon = len(rest) - 1  # an empty message: "Luke: "
    if colon <= 0 or not rest[:colon].strip(MARKS + " "):
        return None, rest
    if _QUOTE.search(rest, 0, colon) and titled_event(rest) is not None:
        return None, rest
    body = rest[colon + 2 :]
    if body.startswith("\u200e") and read_system(body).action != "system":
        return None, body
    if is_encryption_notice(body, attributed=True):
        return None, body  # "Pokemon Chat: Messages and calls are end-to-end encrypted …"
    return rest[:colon], body


@dataclass(slots=True)
class Entry:
    """A message or system line being read: its header and the lines that follow."""

    epoch: int
    occurred_at: datetime
    sender: str | None
    lines: list[str] = field(default_factory=list)


class ChatReader:
    """Turns the entries of one chat into records."""

    def __init__(self, path: str, channel: str, scan: ChatScan, zone: LocalZone) -> None:
        self.path = path
        self.channel = channel
        self.scan = scan
        self.zone = zone
        self.counter = OccurrenceCounter()
        self.people = PersonCache(person)

    def records(self, lines: Iterator[tuple[int, int, str]]) -> Iterator[ActivityRecord]:
        entry: Entry | None = None
        for number, _offset, text in lines:
            prefix = match_prefix(text)
            if prefix is None:
                if entry is not None:
                    entry.lines.append(text)
                continue
            following = self.start(number, prefix)
            if entry is not None:
                yield from self.finish(entry)
            entry = following
        if entry is not None:
            yield from self.finish(entry)

    def start(self, number: int, prefix: Prefix) -> Entry:
        local = local_time(prefix, self.scan.order)
        moment = self.zone.to_utc(local) if local is not None else None
        if moment is None:
            raise ImportFormatError(
                _("The date and time are not valid (read %(order)s): %(value)r")
                % {
                    "order": self.scan.order.label,
                    "value": f"{prefix.a}/{prefix.b}/{prefix.c} {prefix.hour}:{prefix.minute}",
                },
                path=self.path,
                line=number,
                field="date",
            )
        sender, body = split_sender(prefix)
        return Entry(epoch_seconds(moment), moment, sender, [body])

    def finish(self, entry: Entry) -> list[ActivityRecord]:
        text = "\n".join(entry.lines).rstrip("\n") if len(entry.lines) > 1 else entry.lines[0]
        if entry.sender is None:
            return self.system_records(entry, text)
        author = self.person(entry.sender)
        body, attrs = message_body(text)
        base = self.base_id(entry, author)
        return [self.activity(entry, base, ActivityKind.MESSAGE, author, body, attrs)]

    def person(self, name: str) -> PersonRef:
        return self.people.get(name)

    def base_id(self, entry: Entry, author: PersonRef) -> str:
        who = author.external_id or ""
        return f"{entry.epoch}:{who}:{self.counter.next(entry.epoch, who)}"

    def system_records(self, entry: Entry, text: str) -> list[ActivityRecord]:
        event: SystemEvent = read_system(text)
        actor = self.person(event.actor) if event.actor else SYSTEM
        base = self.base_id(entry, actor)
        kept = "" if event.action in PRIVATE_TEXT else text.lstrip(MARKS)
        if event.targets:
            by_key = "added_by" if event.kind is ActivityKind.JOIN else "removed_by"
            extras = {"removed": True} if event.kind is ActivityKind.LEAVE else {}
            return [
                self.activity(
                    entry,
                    f"{base}:{event.kind.value}:{index}",
                    event.kind,
                    self.person(target),
                    kept,
                    {**extras, by_key: actor.external_id},
                )
                for index, target in enumerate(event.targets)
            ]
        attrs = dict(event.attrs)
        if event.kind is ActivityKind.SERVICE:
            attrs = {"action": event.action, **attrs}
        elif event.kind is ActivityKind.LEAVE:
            attrs["removed"] = False
        return [self.activity(entry, base, event.kind, actor, kept, attrs)]

    def activity(
        self,
        entry: Entry,
        external_id: str,
        kind: ActivityKind,
        author: PersonRef,
        text: str,
        attrs: dict[str, Any],
    ) -> ActivityRecord:
        if self.scan.order_guessed:
            attrs["date_order_guessed"] = True
        return ActivityRecord(
            source=SOURCE,
            channel=self.channel,
            external_id=external_id,
            kind=kind,
            occurred_at=entry.occurred_at,
            author=author,
            text=text,
            attrs=attrs,
        )
