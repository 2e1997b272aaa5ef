"""Generic CSV: one activity per row, for platforms without a dedicated importer.

Spec: ``docs/import-formats.md`` ("Generic CSV / JSONL"). UTF-8 with or without a BOM,
comma-separated, a header row naming the columns (any order), RFC 4180 quoting; a
field may span lines inside quotes. Errors name the physical line where the row starts.
"""

from __future__ import annotations

import csv
from collections.abc import Iterator
from pathlib import Path

from django.utils.translation import gettext as _

from qunyun.ingest.errors import ImportFormatError
from qunyun.ingest.platforms.generic.common import Record, RowReader, check_columns, read_lines


def parse(path: Path) -> Iterator[Record]:
    """Yield a channel the first time it appears, then the activity of each row.

    Raises :class:`ImportFormatError` with the file, line and column at the first bad
    row; nothing after it is yielded.
    """
    reader = csv.reader(read_lines(path), strict=True)
    rows = RowReader(path)
    header: list[str] | None = None
    last_line = 0  # the physical line the previous row ended on
    try:
        for fields in reader:
            line, last_line = last_line + 1, reader.line_num
            if not any(field.strip() for field in fields):
                continue  # blank line
            if header is None:
                header = [name.strip().lower() for name in fields]
                _check_header(header, path, line)
                continue
            if len(fields) > len(header):
                raise ImportFormatError(
                    _("The row has %(count)d fields but the header has %(columns)d.")
                    % {"count": len(fields), "columns": len(header)},
                    path=str(path),
                    line=line,
                )
            # Unnamed columns (a trailing comma in the header) carry nothing.
            row = {name: value for name, value in zip(header, fields, strict=False) if name}
            yield from rows.records(row, line)
    except csv.Error as error:
        raise ImportFormatError(
            _("The CSV is malformed: %(reason)s") % {"reason": error},
            path=str(path),
            line=reader.line_num,
        ) from None
    if header is None:
        raise ImportFormatError(
            _("The file is empty: a header row is required."), path=str(path), line=1
        )


def _check_header(header: list[str], path: Path, line: int) -> None:
    named = [name for name in header if name]
    duplicates = sorted({name for name in named if named.count(name) > 1})
    if duplicates:
        raise ImportFormatError(
            _("The column “%(column)s” appears twice.") % {"column": duplicates[0]},
            path=str(path),
            line=line,
            field=duplicates[0],
        )
    check_columns(named, path=path, line=line)
