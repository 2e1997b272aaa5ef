"""WeChat chat history exported by WeChatMsg / MemoTrace (留痕) as CSV → canonical records.

Spec: the exporter's CSV writer, LC044/WeChatMsg ``app/util/exporter/exporter_csv.py``
(https://github.com/LC044/WeChatMsg), which writes the PC WeChat 3.x ``MSG`` table's
``localId,TalkerId,Type,SubType,IsSender,CreateTime,Status,StrContent,StrTime`` followed
by the sender's ``Remark,NickName,Sender``; the "export all" ``messages.csv`` of
``app/DataBase/package_msg.py``; the findings summarised in ``docs/import-formats.md``.

``path`` is one CSV — one conversation, or every conversation for ``messages.csv`` — or
a folder searched for such CSVs (other CSVs there, such as ``contacts.csv``, are skipped).
This module reads and checks the rows; :mod:`.activities` says what each row is.
"""

from __future__ import annotations

import csv
import re
from collections.abc import Generator, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from django.utils.translation import gettext as _

from qunyun.ingest.errors import ImportFormatError
from qunyun.ingest.platforms.line_limit import bounded_lines
from qunyun.ingest.platforms.wechat.activities import (
    SELF,
    SELF_ID,
    SOURCE,
    SYSTEM,
    Conversation,
    Row,
    is_bot,
)
from qunyun.ingest.platforms.wechat.content import small_int
from qunyun.ingest.platforms.wechat.decoding import detect_encoding
from qunyun.ingest.records import ActivityRecord, ChannelRecord, PersonRef

__all__ = ["EXPORT_ALL", "SELF_ID", "SYSTEM", "parse"]

EXPORT_ALL = "messages.csv"
COLUMNS = (
    "localId",
    "TalkerId",
    "Type",
    "SubType",
    "IsSender",
    "CreateTime",
    "Status",
    "StrContent",
    "StrTime",
    "Remark",
    "NickName",
    "Sender",
)
REQUIRED = ("localId", "Type", "IsSender", "CreateTime", "StrContent")
# The exporting PC's clock: StrTime is only read when CreateTime is unusable.
LOCAL_ZONE = ZoneInfo("Asia/Shanghai")
# "<备注>_utf8.csv" (WeChatMsg), "<备注>_gbk.csv" (an older revision).
_ENCODING_SUFFIX = re.compile(r"_(?:utf-?8|gbk)$", re.IGNORECASE)
# A later revision names the folder "<备注>(<wxid>)": the wxid is the stable identity.
_FOLDER_WITH_ID = re.compile(r"^(?P<name>.*)\((?P<wxid>[^()]+)\)$")
# Fields can hold whole XML documents (merged forwards); the csv default is 128 KiB.
_FIELD_LIMIT = 1 << 26
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
Record = ChannelRecord | ActivityRecord
Cells = list[str | None]


def parse(path: Path) -> Iterator[Record]:
    """Yield each conversation as a channel and then what happened in it.

    Raises :class:`ImportFormatError` naming the file, the line (and the byte offset for
    bytes that are not text) and the column before any broken record is yielded.
    """
    if csv.field_size_limit() < _FIELD_LIMIT:
        csv.field_size_limit(_FIELD_LIMIT)
    if not path.is_dir():
        yield from ChatFile(path).records(in_folder=False)
        return
    found = False
    for file in sorted(p for p in path.rglob("*") if p.suffix.lower() == ".csv" and p.is_file()):
        found = (yield from ChatFile(file).records(in_folder=True)) or found
    if not found:
        raise ImportFormatError(_("The folder holds no WeChat chat CSV file."), path=str(path))


class ChatFile:
    """Reads one CSV: one conversation, or every conversation of an "export all"."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.export_all = path.name.lower() == EXPORT_ALL
        # One conversation per file: named by the file, identified by the folder's wxid
        # when the exporter wrote one, else by the name (TalkerId is only an index into
        # one database shard's Name2ID table, so it is not used).
        self.channel_name = _ENCODING_SUFFIX.sub("", path.stem)
        self.channel_id, self.channel_kind = self.channel_name, ""
        folder = _FOLDER_WITH_ID.match(path.parent.name)
        if folder and folder["wxid"].strip():
            self.channel_id = folder["wxid"].strip()
            self.channel_kind = "group" if self.channel_id.endswith("@chatroom") else "private"
        self.at: dict[str, int] = {}  # column → index in a row padded with one None
        self.width = 0
        self.last_required = 0
        self.channels: set[str] = set()
        self.conversation = Conversation()

    def error(self, problem: str, line: int, field: str | None = None) -> ImportFormatError:
        return ImportFormatError(problem, path=str(self.path), line=line, field=field)

    def records(self, *, in_folder: bool) -> Generator[Record, None, bool]:
        """Yield the file's records; return whether it was a chat CSV at all.

        In a folder a CSV without the chat columns is someone else's file and skipped.
        """
        encoding = detect_encoding(self.path)
        with self.path.open(encoding=encoding, newline="") as handle:
            reader = csv.reader(bounded_lines(handle, path=str(self.path)), strict=True)
            line = last_line = 0  # the physical line a row starts on / the previous ended on
            try:
                for row in reader:
                    line, last_line = last_line + 1, reader.line_num
                    if not row or (not row[0].strip() and not any(v.strip() for v in row)):
                        continue
                    if self.width:
                        yield from self.row_records(row, line)
                    elif self.read_header(row, line, in_folder=in_folder):
                        if not self.export_all:
                            yield self.channel_record(self.channel_id, self.channel_name)
                    else:
                        return False
            except csv.Error as error:
                # Named by the line its row starts on (an unclosed quote runs to the end).
                raise self.error(
                    _("The CSV is malformed: %(reason)s") % {"reason": error}, last_line + 1
                ) from None
            except UnicodeDecodeError:  # the file changed since its encoding was checked
                raise self.error(
                    _("The file is not %(encoding)s text.") % {"encoding": encoding}, line
                ) from None
        if not self.width:
            if in_folder:
                return False
            raise self.error(_("The file is empty: a header row is required."), 1)
        return True

    def read_header(self, row: list[str], line: int, *, in_folder: bool) -> bool:
        names = [name.strip().lstrip("\ufeff").lower() for name in row]
        if in_folder and not {"localid", "strcontent"} <= set(names):
            return False
        for column in REQUIRED:
            if column.lower() not in names:
                raise self.error(
                    _("This is not a WeChatMsg chat CSV: the column “%(column)s” is missing.")
                    % {"column": column},
                    line,
                    column,
                )
        self.width = len(row)
        # Absent optional columns point at the None that pads every row.
        self.at = {c: names.index(c.lower()) if c.lower() in names else self.width for c in COLUMNS}
        self.last_required = max(self.at[column] for column in REQUIRED)
        return True

    def channel_record(self, channel_id: str, name: str) -> ChannelRecord:
        self.channels.add(channel_id)
        return ChannelRecord(
            source=SOURCE, external_id=channel_id, name=name, kind=self.channel_kind
        )

    def row_records(self, row: list[str], line: int) -> Iterator[Record]:
        if len(row) > self.width:
            raise self.error(
                _("The row has %(count)d values but the header has %(columns)d.")
                % {"count": len(row), "columns": self.width},
                line,
            )
        if len(row) <= self.last_required:
            # Short rows are real (one revision wrote 9 values in 1:1 chats), but not
            # this short.
            column = next(c for c in REQUIRED if self.at[c] >= len(row))
            raise self.error(
                _("The row has %(count)d values: “%(column)s” is missing.")
                % {"count": len(row), "column": column},
                line,
                column,
            )
        cells: Cells = list(row)
        cells.extend([None] * (self.width + 1 - len(row)))
        local_id = self.number(cells, "localId", line)
        type_code = self.number(cells, "Type", line)
        sub_type = self.number(cells, "SubType", line, default=0)
        is_sender = self.number(cells, "IsSender", line, default=0)
        if is_sender > 1:
            raise self.error(
                _("“IsSender” must be 0 or 1, not %(value)d.") % {"value": is_sender},
                line,
                "IsSender",
            )
        occurred_at, created, time_is_local = self.occurred_at(cells, line)
        channel_id, channel_name = self.channel_of(cells, line)
        if channel_id not in self.channels:
            yield self.channel_record(channel_id, channel_name)
        checked = Row(
            channel_id,
            local_id,
            type_code,
            sub_type,
            created,
            occurred_at,
            self.author(cells, bool(is_sender), channel_name),
            row[self.at["StrContent"]],  # kept as written
        )
        attrs: dict[str, Any] = {"time_is_local": True} if time_is_local else {}
        yield from self.conversation.records(checked, attrs)

    def value(self, cells: Cells, column: str) -> str:
        """Return an id or a name: stripped, ``""`` when absent."""
        value = cells[self.at[column]]
        return value.strip() if value else ""

    def number(self, cells: Cells, column: str, line: int, *, default: int | None = None) -> int:
        """Return the whole number in ``column``; ``default`` (if given) when it is empty."""
        value = cells[self.at[column]]
        if value is not None and value.isdigit() and value.isascii() and len(value) <= 18:
            return int(value)
        stripped = (value or "").strip()
        number = small_int(stripped)
        if number is not None:
            return number
        if default is not None and not stripped:
            return default  # SubType and IsSender may be empty, or absent from the file
        raise self.error(
            _("“%(column)s” is not a number: %(value)r")
            % {"column": column, "value": (value or "")[:50]},
            line,
            column,
        )

    def occurred_at(self, cells: Cells, line: int) -> tuple[datetime, int, bool]:
        """Return the UTC time, its epoch seconds and whether it came from local time."""
        raw = cells[self.at["CreateTime"]] or ""
        seconds = small_int(raw) or small_int(raw.strip())
        if seconds:
            try:
                return _EPOCH + timedelta(seconds=seconds), seconds, False
            except OverflowError:
                pass
        try:
            moment = datetime.strptime(self.value(cells, "StrTime"), "%Y-%m-%d %H:%M:%S")
            moment = moment.replace(tzinfo=LOCAL_ZONE).astimezone(UTC)
        except (ValueError, OverflowError):
            raise self.error(
                _("“CreateTime” is not epoch seconds (%(value)r) and “StrTime” is no time either.")
                % {"value": raw[:50]},
                line,
                "CreateTime",
            ) from None
        return moment, int((moment - _EPOCH).total_seconds()), True

    def channel_of(self, cells: Cells, line: int) -> tuple[str, str]:
        if not self.export_all:
            return self.channel_id, self.channel_name
        # "Export all" puts the conversation's remark and nickname in Remark / NickName.
        name = self.value(cells, "Remark") or self.value(cells, "NickName")
        if name:
            return name, name
        talker = self.value(cells, "TalkerId")
        if not talker:
            raise self.error(
                _("The row names no conversation: “Remark”, “NickName” and “TalkerId” are empty."),
                line,
                "TalkerId",
            )
        return f"talker:{talker}", f"talker:{talker}"

    def author(self, cells: Cells, is_sender: bool, channel_name: str) -> PersonRef | None:
        """Return who sent the row; ``None`` when the export does not say."""
        sender = self.value(cells, "Sender")
        if self.export_all:
            # Sender is a display name there, "我" for the exporting user.
            if is_sender or sender == "我":
                return SELF
            return PersonRef(external_id=None, display_name=sender) if sender else None
        nickname = self.value(cells, "NickName")
        if sender:
            return PersonRef(external_id=sender, display_name=nickname, is_bot=is_bot(sender))
        if is_sender:
            return PersonRef(external_id=SELF_ID, display_name=nickname)
        if cells[self.at["Sender"]] is None:
            # A 1:1 chat written with 9 values per row: the other person is the contact
            # the file is named after.
            return PersonRef(external_id=None, display_name=channel_name)
        return None
