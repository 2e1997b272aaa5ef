"""Row → record validation shared by the generic CSV and JSONL formats.

Spec: ``docs/import-formats.md`` ("Generic CSV / JSONL"). One row is one activity; the
columns are :data:`COLUMNS`. CSV gives every value as text, JSONL may give numbers,
booleans and a nested ``attrs`` object; both are accepted wherever they make sense.
"""

from __future__ import annotations

import codecs
from collections.abc import Iterable, Iterator, Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import orjson
from django.utils.translation import gettext as _

from qunyun.ingest.errors import ImportFormatError
from qunyun.ingest.platforms.line_limit import bounded_lines
from qunyun.ingest.records import ActivityKind, ActivityRecord, ChannelRecord, PersonRef
from qunyun.ingest.rows import MAX_TEXT_CHARS

DEFAULT_SOURCE = "custom"
DEFAULT_CHANNEL = "default"
REQUIRED_COLUMNS = ("external_id", "kind", "occurred_at")
COLUMNS = (
    *REQUIRED_COLUMNS,
    "member_id",
    "member_name",
    "member_handle",
    "source",
    "channel",
    "channel_name",
    "text",
    "reply_to",
    "thread",
    "is_bot",
    "attrs",
)
_TRUE = frozenset({"true", "1"})
_FALSE = frozenset({"false", "0", ""})
Record = ChannelRecord | ActivityRecord


def read_lines(path: Path) -> Iterator[str]:
    """Yield the lines of the UTF-8 file ``path`` (line endings kept, BOM dropped).

    Reads one line at a time; raises :class:`ImportFormatError` naming the line and the
    byte offset of the first byte that is not UTF-8, or a line beyond the length limit
    (:mod:`qunyun.ingest.platforms.line_limit`).
    """
    offset = 0
    with path.open("rb") as handle:
        for number, raw in enumerate(bounded_lines(handle, path=str(path)), start=1):
            try:
                text = raw.decode("utf-8")
            except UnicodeDecodeError as error:
                raise ImportFormatError(
                    _("The file is not UTF-8 text (byte %(byte)s).")
                    % {"byte": hex(raw[error.start])},
                    path=str(path),
                    line=number,
                    offset=offset + error.start,
                ) from None
            if number == 1 and text.startswith(codecs.BOM_UTF8.decode("utf-8")):
                text = text[1:]
            offset += len(raw)
            yield text


def check_columns(names: Iterable[str], *, path: Path, line: int) -> None:
    """Raise :class:`ImportFormatError` unless ``names`` are known and complete."""
    present = set(names)
    unknown = sorted(present - set(COLUMNS))
    if unknown:
        raise ImportFormatError(
            _("Unknown column “%(column)s”; the columns are: %(columns)s")
            % {"column": unknown[0], "columns": ", ".join(COLUMNS)},
            path=str(path),
            line=line,
            field=unknown[0],
        )
    for column in REQUIRED_COLUMNS:
        if column not in present:
            raise ImportFormatError(
                _("The required column “%(column)s” is missing.") % {"column": column},
                path=str(path),
                line=line,
                field=column,
            )
    if "member_id" not in present and "member_name" not in present:
        raise ImportFormatError(
            _("Either “member_id” or “member_name” is required."),
            path=str(path),
            line=line,
            field="member_id",
        )


class RowReader:
    """Turns validated rows into records, yielding each channel once before its rows."""

    def __init__(self, path: Path) -> None:
        self.path = str(path)
        self._channels: set[tuple[str, str]] = set()
        self._lines: dict[tuple[str, str, str], int] = {}

    def error(self, problem: str, line: int, field: str | None = None) -> ImportFormatError:
        return ImportFormatError(problem, path=self.path, line=line, field=field)

    def records(self, row: Mapping[str, Any], line: int) -> Iterator[Record]:
        """Yield the channel (the first time it is seen) and the activity of ``row``.

        Everything is validated before anything is yielded.
        """
        unknown = sorted(set(row) - set(COLUMNS))
        if unknown:
            raise self.error(
                _("Unknown field “%(column)s”; the fields are: %(columns)s")
                % {"column": unknown[0], "columns": ", ".join(COLUMNS)},
                line,
                unknown[0],
            )
        values = {column: self.text(row, column, line) for column in COLUMNS if column != "attrs"}
        for column in REQUIRED_COLUMNS:
            if not values[column]:
                raise self.error(_("“%(column)s” is empty.") % {"column": column}, line, column)
        if not values["member_id"] and not values["member_name"]:
            raise self.error(
                _("“member_id” is empty and there is no “member_name”."), line, "member_id"
            )
        kind = self.kind(values["kind"], line)
        occurred_at = self.occurred_at(row["occurred_at"], line)
        is_bot = self.is_bot(row.get("is_bot"), line)
        attrs = self.attrs(row.get("attrs"), line)
        source = values["source"] or DEFAULT_SOURCE
        channel = values["channel"] or DEFAULT_CHANNEL
        key = (source, channel, values["external_id"])
        if key in self._lines:
            raise self.error(
                _("“external_id” %(id)r was already used on line %(line)d.")
                % {"id": values["external_id"], "line": self._lines[key]},
                line,
                "external_id",
            )
        self._lines[key] = line

        if (source, channel) not in self._channels:
            self._channels.add((source, channel))
            yield ChannelRecord(source=source, external_id=channel, name=values["channel_name"])
        yield ActivityRecord(
            source=source,
            channel=channel,
            external_id=values["external_id"],
            kind=kind,
            occurred_at=occurred_at,
            author=PersonRef(
                external_id=values["member_id"] or None,
                display_name=values["member_name"],
                handle=values["member_handle"],
                is_bot=is_bot,
            ),
            text=values["text"],
            reply_to=values["reply_to"] or None,
            thread=values["thread"] or None,
            attrs=attrs,
        )

    def text(self, row: Mapping[str, Any], column: str, line: int) -> str:
        value = row.get(column)
        if value is None:
            return ""
        if isinstance(value, str):
            if len(value) > MAX_TEXT_CHARS:
                raise self.error(
                    _("“%(column)s” is %(length)s characters long; the limit is %(limit)s.")
                    % {
                        "column": column,
                        "length": f"{len(value):,}",
                        "limit": f"{MAX_TEXT_CHARS:,}",
                    },
                    line,
                    column,
                )
            # Ids and names are compared exactly later; stray spaces from a spreadsheet
            # would make two spellings of one person. Message text is kept as written.
            return value if column == "text" else value.strip()
        if isinstance(value, int | float) and not isinstance(value, bool):
            return str(value)
        if isinstance(value, bool) and column == "is_bot":
            return str(value).lower()
        raise self.error(
            _("“%(column)s” must be text, not %(value)r") % {"column": column, "value": value},
            line,
            column,
        )

    def kind(self, value: str, line: int) -> ActivityKind:
        try:
            return ActivityKind(value.lower())
        except ValueError:
            allowed = ", ".join(kind.value for kind in ActivityKind)
            raise self.error(
                _("Unknown kind %(kind)r; the kinds are: %(allowed)s")
                % {"kind": value, "allowed": allowed},
                line,
                "kind",
            ) from None

    def occurred_at(self, value: Any, line: int) -> datetime:
        """Return an aware UTC time from epoch seconds or ISO 8601 with an offset."""
        if isinstance(value, str):
            value = value.strip()
            digits = value[1:] if value.startswith("-") else value
            if digits.isascii() and digits.isdigit():
                value = int(value)
        if isinstance(value, int) and not isinstance(value, bool):
            try:
                return datetime.fromtimestamp(value, tz=UTC)
            except (OverflowError, OSError, ValueError):
                raise self.error(
                    _("“occurred_at” is out of range: %(value)r") % {"value": value},
                    line,
                    "occurred_at",
                ) from None
        try:
            moment = datetime.fromisoformat(value)
        except (TypeError, ValueError):
            raise self.error(
                _("“occurred_at” is neither ISO 8601 nor epoch seconds: %(value)r")
                % {"value": value},
                line,
                "occurred_at",
            ) from None
        if moment.tzinfo is None:
            # Guessing a zone would shift every activity of the file by hours.
            raise self.error(
                _("“occurred_at” has no UTC offset: %(value)r (add “Z” or “+08:00”)")
                % {"value": value},
                line,
                "occurred_at",
            )
        return moment.astimezone(UTC)

    def is_bot(self, value: Any, line: int) -> bool:
        if value is None or isinstance(value, bool):
            return bool(value)
        text = str(value).strip().lower()
        if text in _TRUE:
            return True
        if text in _FALSE:
            return False
        raise self.error(
            _("“is_bot” must be true, false, 1 or 0, not %(value)r") % {"value": value},
            line,
            "is_bot",
        )

    def attrs(self, value: Any, line: int) -> dict[str, Any]:
        if value is None or value == "":
            return {}
        if isinstance(value, str):
            try:
                value = orjson.loads(value)
            except orjson.JSONDecodeError as error:
                raise self.error(
                    _("“attrs” is not valid JSON: %(reason)s") % {"reason": error.msg},
                    line,
                    "attrs",
                ) from None
        if not isinstance(value, dict):
            raise self.error(_("“attrs” is not a JSON object."), line, "attrs")
        return value
