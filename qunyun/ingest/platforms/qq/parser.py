"""QQ "消息记录" text export (PC QQ 消息管理器 → 导出 .txt) → canonical records.

Spec: QQ publishes none. The layout is the one FORMATS.md §5 documents from a real
excerpt and the header pattern of a maintained parser, summarised in
``docs/import-formats.md`` ("QQ (消息记录 txt)")::

    消息记录（此消息记录为文本格式，不支持重新导入）

    ================================================================
    消息分组:我的群聊
    ================================================================
    消息对象:湖之仆从（PST 8pm | BJT 11am）
    ================================================================

    2019-09-23 8:43:38 PM 【管理员】骰娘-Roll100(87200175)
    1

A file may hold several chats: each 消息分组/消息对象 block is its own channel. A
message is a header line (local time, optional 【title】, nickname and ``(QQ number)``
or ``<email>``) followed by its text, up to the next header.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from django.utils.translation import gettext as _

from qunyun.ingest.errors import ImportFormatError
from qunyun.ingest.platforms.people import PersonCache
from qunyun.ingest.platforms.qq.notices import SYSTEM_SENDERS, read_notice
from qunyun.ingest.platforms.whatsapp.lines import (
    LocalZone,
    OccurrenceCounter,
    TextSource,
    detect_encoding,
    epoch_seconds,
    read_lines,
)
from qunyun.ingest.records import ActivityKind, ActivityRecord, ChannelRecord, PersonRef

SOURCE = "qq"
#: The exporting PC's clock is written without a zone; QQ's users are overwhelmingly in
#: China, so its wall clock is read as China Standard Time (no daylight saving since 1991).
TIME_ZONE = "Asia/Shanghai"
Record = ChannelRecord | ActivityRecord

_TITLE = "消息记录"
_SEPARATOR = re.compile(r"^={8,}\s*$")
_GROUP = re.compile(r"^消息分组\s*[:：](?P<value>.*)$")
_OBJECT = re.compile(r"^消息对象\s*[:：](?P<value>.*)$")
_HEADER = re.compile(
    r"^(?P<y>\d{4})-(?P<mo>\d{1,2})-(?P<d>\d{1,2})\s+(?:(?P<pre>上午|下午)\s*)?"
    r"(?P<h>\d{1,2}):(?P<mi>\d{2}):(?P<s>\d{2})(?:\s*(?P<post>[AaPp][Mm]|上午|下午))?"
    r"\s+(?:【(?P<title>[^】]*)】)?(?P<name>.*?)"
    r"(?:\((?P<qq>\d+)\)|<(?P<email>[^<>\s]+)>)\s*$"
)
_PM = frozenset({"PM", "pm", "Pm", "pM", "下午"})
#: A group named with its number, e.g. ``Python 交流群(123456789)``.
_GROUP_NUMBER = re.compile(r"^(?P<name>.*?)\s*[（(](?P<number>[1-9]\d{4,11})[）)]$")
_MEDIA = (("[图片]", "photo"), ("[表情]", "sticker"))


def parse(path: Path, *, time_zone: str = TIME_ZONE) -> Iterator[Record]:
    """Yield each chat of the QQ export at ``path`` and then its messages and events.

    ``time_zone`` is the IANA zone of the exporting PC's clock. Raises
    :class:`ImportFormatError` naming the file and the line (and the byte offset for
    bytes that are neither UTF-8, UTF-16 nor GB18030).
    """
    source = TextSource(str(path), lambda: path.open("rb"))
    encoding = detect_encoding(source, legacy=True)
    reader = ExportReader(source.name, LocalZone(time_zone))
    yield from reader.records(read_lines(source, encoding))


@dataclass(slots=True)
class Header:
    """The header line of one message."""

    channel: str
    occurred_at: datetime
    sender_id: str
    name: str
    title: str


class ExportReader:
    """Walks the lines of an export, remembering the current chat and message."""

    def __init__(self, path: str, zone: LocalZone) -> None:
        self.path = path
        self.zone = zone
        self.recognised = False  # a title, separator or block line has been seen
        self.group = ""  # 消息分组 of the current block
        self.channel: str | None = None
        self.channels: set[str] = set()
        self.counters: dict[str, OccurrenceCounter] = {}
        self.in_block_header = True  # between a block's lines and its first message
        self.current: Header | None = None
        self.content: list[str] = []
        self.held: list[str] = []  # separator lines that may open a new block
        self.people = PersonCache(_author)

    def error(self, problem: str, line: int, field: str | None = None) -> ImportFormatError:
        return ImportFormatError(problem, path=self.path, line=line, field=field)

    def records(self, lines: Iterable[tuple[int, int, str]]) -> Iterator[Record]:
        last = 0
        for number, _offset, text in lines:
            last = number
            if self.held:
                if _GROUP.match(text) or _OBJECT.match(text):
                    self.held.clear()
                    yield from self.finish_message()
                    self.in_block_header = True
                else:
                    self.content.extend(self.held)
                    self.held.clear()
            if self.in_block_header:
                channel = self.block_line(number, text)
                if channel is not None:
                    yield channel
            elif text.startswith("========") and _SEPARATOR.match(text):
                self.held.append(text)  # a block may start here, or it is message text
            elif (header := self.header(number, text)) is not None:
                if self.current is not None:
                    yield from self.finish_message()
                self.current = header
            else:
                self.content.append(text)
        self.content.extend(self.held)
        yield from self.finish_message()
        if self.channel is None:
            raise self.error(
                _("This is not a QQ 消息记录 export: there is no “消息对象” line."), last or 1
            )

    def block_line(self, number: int, text: str) -> ChannelRecord | None:
        """Read a line of the preamble or of a 消息分组/消息对象 block.

        Returns the channel when the line opens one not seen before.
        """
        stripped = text.strip()
        if not stripped or _SEPARATOR.match(stripped):
            self.recognised = self.recognised or bool(stripped)
            return None
        if stripped.startswith(_TITLE) and self.channel is None:
            self.recognised = True
            return None
        if found := _GROUP.match(stripped):
            self.recognised = True
            self.group = found["value"].strip()
            return None
        if found := _OBJECT.match(stripped):
            self.recognised = True
            return self.open_channel(number, found["value"].strip())
        header = self.header(number, text)
        if header is None:
            if not self.recognised:
                raise self.error(
                    _("This is not a QQ 消息记录 export: it does not begin with “消息记录”."),
                    number,
                )
            raise self.error(
                _("A message header (date, time, sender) was expected: %(value)r")
                % {"value": text[:80]},
                number,
            )
        self.in_block_header = False
        self.current = header
        return None

    def open_channel(self, number: int, target: str) -> ChannelRecord | None:
        if not target:
            raise self.error(_("“消息对象” is empty."), number, field="消息对象")
        found = _GROUP_NUMBER.match(target)
        external_id, name = (
            (found["number"], found["name"] or target) if found else (target, target)
        )
        self.channel = external_id
        if external_id in self.channels:
            return None
        self.channels.add(external_id)
        self.counters[external_id] = OccurrenceCounter()
        return ChannelRecord(
            source=SOURCE, external_id=external_id, name=name, kind=_channel_kind(self.group)
        )

    def header(self, number: int, text: str) -> Header | None:
        """Return the message header on this line, or ``None`` if it is message text."""
        if not (text[:4].isdigit() and text[4:5] == "-"):
            return None
        found = _HEADER.match(text)
        if found is None:
            return None
        if self.channel is None:
            raise self.error(_("A message comes before any “消息对象” line."), number)
        hour = int(found["h"])
        marker = found["post"] or found["pre"]
        if marker:
            if not 1 <= hour <= 12:
                raise self.error(
                    _("The hour of a 12-hour time is not between 1 and 12: %(value)r")
                    % {"value": text[:40]},
                    number,
                    field="time",
                )
            hour = hour % 12 + (12 if marker in _PM else 0)
        try:
            local = datetime(
                int(found["y"]),
                int(found["mo"]),
                int(found["d"]),
                hour,
                int(found["mi"]),
                int(found["s"]),
            )
        except ValueError:
            local = None
        moment = self.zone.to_utc(local) if local is not None else None
        if moment is None:
            raise self.error(
                _("The message time is not a valid date and time: %(value)r")
                % {"value": text[:40]},
                number,
                field="time",
            )
        return Header(
            channel=self.channel,
            occurred_at=moment,
            sender_id=found["qq"] or found["email"],
            name=found["name"].strip(),
            title=(found["title"] or "").strip(),
        )

    def finish_message(self) -> list[ActivityRecord]:
        header, content = self.current, self.content
        self.current, self.content = None, []
        if header is None:
            return []
        while content and not content[-1].strip():
            content.pop()  # the blank line QQ writes after every message
        return self.message_records(header, "\n".join(content))

    def message_records(self, header: Header, text: str) -> list[ActivityRecord]:
        epoch = epoch_seconds(header.occurred_at)
        n = self.counters[header.channel].next(epoch, header.sender_id)
        base = f"{epoch}:{header.sender_id}:{n}"
        if header.sender_id in SYSTEM_SENDERS:
            system = PersonRef(header.sender_id, header.name or "系统消息", is_bot=True)
            notices = read_notice(text)
            return [
                self.activity(
                    header,
                    base if len(notices) == 1 else f"{base}:{notice.kind.value}:{index}",
                    notice.kind,
                    notice.person or system,
                    text.strip(),
                    notice.attrs,
                )
                for index, notice in enumerate(notices)
            ]
        attrs: dict[str, Any] = {}
        if header.title:
            attrs["title"] = header.title
        for placeholder, flag in _MEDIA:
            if placeholder in text:
                attrs[flag] = True
        return [self.activity(header, base, ActivityKind.MESSAGE, self.author(header), text, attrs)]

    def author(self, header: Header) -> PersonRef:
        return self.people.get((header.sender_id, header.name))

    def activity(
        self,
        header: Header,
        external_id: str,
        kind: ActivityKind,
        author: PersonRef,
        text: str,
        attrs: dict[str, Any],
    ) -> ActivityRecord:
        return ActivityRecord(
            source=SOURCE,
            channel=header.channel,
            external_id=external_id,
            kind=kind,
            occurred_at=header.occurred_at,
            author=author,
            text=text,
            attrs=attrs,
        )


def _author(key: tuple[str, str]) -> PersonRef:
    sender_id, name = key
    # An account named by e-mail logs in with it: a fact QQ verified, kept as such.
    email = sender_id if "@" in sender_id else ""
    return PersonRef(sender_id, name, email=email)


def _channel_kind(group: str) -> str:
    """Guess the chat's kind from its 消息分组 (a folder name the user may have chosen)."""
    if "讨论组" in group:
        return "discussion"
    if "群" in group:
        return "group"
    return "private" if group else ""
