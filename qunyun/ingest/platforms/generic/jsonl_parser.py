"""Generic JSON Lines: one activity per line, as a JSON object.

Spec: ``docs/import-formats.md`` ("Generic CSV / JSONL") and https://jsonlines.org/.
UTF-8 with or without a BOM; blank lines are skipped; the keys are the CSV columns, and
``attrs`` may be a nested object.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import orjson
from django.utils.translation import gettext as _

from qunyun.ingest.errors import ImportFormatError
from qunyun.ingest.platforms import json_export
from qunyun.ingest.platforms.generic.common import Record, RowReader, read_lines


def parse(path: Path) -> Iterator[Record]:
    """Yield a channel the first time it appears, then the activity of each line.

    Raises :class:`ImportFormatError` with the file, line and field at the first bad
    line; nothing after it is yielded.
    """
    rows = RowReader(path)
    line = 0
    objects = 0
    for line, text in enumerate(read_lines(path), start=1):
        if not text.strip():
            continue
        try:
            row = orjson.loads(text)
        except orjson.JSONDecodeError as error:
            raise json_export.invalid_json(path, error.msg, line=line, column=error.colno) from None
        if not isinstance(row, dict):
            raise ImportFormatError(_("The line is not a JSON object."), path=str(path), line=line)
        objects += 1
        yield from rows.records(row, line)
    if not objects:
        # Like every other format: a file with nothing in it is a mistake, not a success.
        problem = _("The file is empty.") if line == 0 else _("The file holds only blank lines.")
        raise ImportFormatError(problem, path=str(path))
