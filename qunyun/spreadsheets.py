"""Tables (rows + columns with translatable headers) written as CSV or XLSX, row by row.

Every sheet Qunyun writes — the dashboards' and member lists' exports, a member's data
export, the pseudonymized export — goes through this module, so that text a member
wrote can never become a spreadsheet formula (OWASP "CSV injection"): in CSV a text that
starts with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return is prefixed with ``'``;
in XLSX every text is a string cell, never a formula, and characters a worksheet cannot
hold (control characters) are dropped instead of failing the export.

Whole lists go out, not the page on screen, so both writers stream: CSV in chunks of
text, XLSX through openpyxl's write-only mode (rows go to a temporary file, not memory).
CSV starts with a byte-order mark so that Excel reads Chinese as UTF-8.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import date, datetime, tzinfo
from typing import IO, Any

from django.utils import timezone
from django.utils.functional import Promise
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.worksheet._write_only import WriteOnlyWorksheet

EXPORT_FORMATS = ("csv", "xlsx")
CSV_CHUNK_ROWS = 2000
UTF8_BOM = "\ufeff"
#: What a spreadsheet may read as the start of a formula (OWASP's list).
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


@dataclass(frozen=True)
class Column:
    """One column: the row key it reads and its header (lazy, so it follows the language)."""

    key: str
    label: str | Promise


Row = dict[str, Any]


def headers(columns: list[Column]) -> list[str]:
    return [str(column.label) for column in columns]


_PLAIN = (str, int, float, bool)


def csv_text(text: str) -> str:
    """``text`` as a CSV cell that no spreadsheet runs: a formula start gets a ``'``."""
    return "'" + text if text.startswith(FORMULA_STARTS) else text


def _cell(value: Any, zone: tzinfo) -> Any:
    """A value Excel understands: datetimes local and naive, lists joined, None empty."""
    if value is None or value.__class__ in _PLAIN:  # the common case first: it runs per cell
        return value
    if isinstance(value, datetime):
        if value.tzinfo is not None:
            value = value.astimezone(zone)
        return value.replace(tzinfo=None, microsecond=0)
    if isinstance(value, list | tuple):
        return ", ".join(str(item) for item in value)
    if isinstance(value, Promise):
        return str(value)
    return value


def _text(value: Any, zone: tzinfo) -> str:
    if value.__class__ is str:
        return csv_text(value)
    value = _cell(value, zone)
    if value is None:
        return ""
    if isinstance(value, datetime):
        return value.strftime("%Y-%m-%d %H:%M")
    if isinstance(value, date):
        return value.isoformat()
    return csv_text(str(value))


def csv_row(values: Sequence[Any], zone: tzinfo | None = None) -> list[str]:
    """One row of CSV cells (text made safe, datetimes in ``zone``)."""
    zone = zone or timezone.get_current_timezone()
    return [_text(value, zone) for value in values]


def csv_chunks(columns: list[Column], rows: Iterable[Row]) -> Iterator[bytes]:
    """The table as UTF-8 CSV with a BOM, in chunks of :data:`CSV_CHUNK_ROWS` rows."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    buffer.write(UTF8_BOM)
    writer.writerow(csv_row(headers(columns)))
    zone = timezone.get_current_timezone()  # once: looking it up per cell costs more
    keys = [column.key for column in columns]
    for count, row in enumerate(rows, start=1):
        writer.writerow([_text(row.get(key), zone) for key in keys])
        if count % CSV_CHUNK_ROWS == 0:
            yield buffer.getvalue().encode("utf-8")
            buffer.seek(0)
            buffer.truncate()
    yield buffer.getvalue().encode("utf-8")


def csv_document(header: Sequence[str], rows: Iterable[Sequence[Any]]) -> str:
    """A whole small CSV text (no BOM), every cell made safe as in :func:`csv_chunks`."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    zone = timezone.get_current_timezone()
    writer.writerow(csv_row(header, zone))
    for row in rows:
        writer.writerow(csv_row(row, zone))
    return buffer.getvalue()


class SafeSheet:
    """A write-only worksheet whose text cells are always text (see the module's note)."""

    def __init__(self, workbook: Workbook, title: str) -> None:
        # Sheet names: at most 31 characters, none of []:*?/\ (Excel's rules).
        name = "".join(c for c in title if c not in "[]:*?/\\")[:31]
        self.sheet: WriteOnlyWorksheet = workbook.create_sheet(title=name)
        self.zone = timezone.get_current_timezone()

    def append(self, values: Iterable[Any]) -> None:
        self.sheet.append([self.cell(value) for value in values])

    def cell(self, value: Any) -> Any:
        value = _cell(value, self.zone)
        if value.__class__ is not str:
            return value
        if ILLEGAL_CHARACTERS_RE.search(value):
            value = ILLEGAL_CHARACTERS_RE.sub("", value)
        if value.startswith("="):  # the one start openpyxl would write as a formula
            cell = WriteOnlyCell(self.sheet, value=value)
            cell.data_type = "s"
            return cell
        return value


def write_xlsx(
    columns: list[Column], rows: Iterable[Row], target: IO[bytes], *, title: str
) -> None:
    """Write the table as one XLSX sheet named ``title`` to ``target`` (write-only mode)."""
    workbook = Workbook(write_only=True)
    sheet = SafeSheet(workbook, title)
    sheet.append(headers(columns))
    keys = [column.key for column in columns]
    for row in rows:
        sheet.append([row.get(key) for key in keys])
    workbook.save(target)
