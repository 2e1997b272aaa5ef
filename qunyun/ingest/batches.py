"""Batches pushed through the API, read as the generic format's rows (docs/api.md).

The API's caller knows its batch as JSON, not as a file: a fault is placed as a JSON
path into the body (``activities[3].occurred_at``), not as a file and a line.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from qunyun.ingest.errors import ImportFormatError
from qunyun.ingest.platforms.generic.common import RowReader
from qunyun.ingest.records import ActivityRecord, ChannelRecord


def batch_records(
    rows: Iterable[Mapping[str, Any]], *, name: str = "activities"
) -> list[ChannelRecord | ActivityRecord]:
    """The records of ``rows``, all validated before any is returned.

    Raises :class:`ImportFormatError` whose ``item`` names the first faulty row and
    field in the body (``name[index].field``).
    """
    reader = RowReader(Path(name))
    records: list[ChannelRecord | ActivityRecord] = []
    for index, row in enumerate(rows):
        try:
            records.extend(reader.records(row, index))
        except ImportFormatError as error:
            where = f"{name}[{index}]" + (f".{error.field}" if error.field else "")
            raise ImportFormatError(error.problem, field=error.field, item=where) from None
    return records
