"""A table (rows + columns with translatable headers) written as CSV or XLSX, row by row.

Whole lists go out, not the page on screen, so both writers stream: CSV in chunks of
text, XLSX through openpyxl's write-only mode (rows go to a temporary file, not memory).
CSV starts with a byte-order mark so that Excel reads Chinese as UTF-8.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import date, datetime, tzinfo
from typing import IO, Any

from django.utils import timezone
from django.utils.functional import Promise
from openpyxl import Workbook

EXPORT_FORMATS = ("csv", "xlsx")
CSV_CHUNK_ROWS = 2000
UTF8_BOM = "\ufeff"


@dataclass(frozen=True)
class Column:
    """One column: the row key it reads and its header (lazy, so it follows the language)."""

    key: str
    label: str | Promise


Row = dict[str, Any]


def headers(columns: list[Column]) -> list[str]:
    return [str(column.label) for column in columns]


_PLAIN = (str, int, float, bool)


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
        return value  # type: ignore[no-any-return]
    value = _cell(value, zone)
    if value is None:
        return ""
    if isinstance(value, datetime):
        return value.strftime("%Y-%m-%d %H:%M")
    if isinstance(value, date):
        return value.isoformat()
    return str(value)


def csv_chunks(columns: list[Column], rows: Iterable[Row]) -> Iterator[bytes]:
    """The table as UTF-8 CSV with a BOM, in chunks of :data:`CSV_CHUNK_ROWS` rows."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    buffer.write(UTF8_BOM)
    writer.writerow(headers(columns))
    zone = timezone.get_current_timezone()  # once: looking it up per cell costs more
    keys = [column.key for column in columns]
    for count, row in enumerate(rows, start=1):
        writer.writerow([_text(row.get(key), zone) for key in keys])
        if count % CSV_CHUNK_ROWS == 0:
            yield buffer.getvalue().encode("utf-8")
            buffer.seek(0)
            buffer.truncate()
    yield buffer.getvalue().encode("utf-8")


def write_xlsx(
    columns: list[Column], rows: Iterable[Row], target: IO[bytes], *, title: str
) -> None:
    """Write the table as one XLSX sheet named ``title`` to ``target`` (write-only mode)."""
    workbook = Workbook(write_only=True)
    # Sheet names: at most 31 characters, none of []:*?/\ (Excel's rules).
    sheet = workbook.create_sheet(title="".join(c for c in title if c not in "[]:*?/\\")[:31])
    sheet.append(headers(columns))
    zone = timezone.get_current_timezone()
    keys = [column.key for column in columns]
    for row in rows:
        sheet.append([_cell(row.get(key), zone) for key in keys])
    workbook.save(target)
