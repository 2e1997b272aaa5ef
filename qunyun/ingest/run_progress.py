"""How far a queued import has come, kept in the cache while the worker runs it.

The worker writes at most every :data:`PROGRESS_EVERY_SECONDS` (the import page polls,
and writing on every batch would cost the import time); the page reads it back through
:func:`qunyun.ingest.selectors.import_progress`. Nothing here touches the database.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

from django.core.cache import cache

from qunyun.ingest.position import ReadPosition

PROGRESS_EVERY_SECONDS = 0.5


def progress_key(run_id: int) -> str:
    return f"import-progress:{run_id}"


class RunProgress:
    """The pipeline's ``progress`` callback for the run ``run_id``: records so far, rate,
    elapsed time, and with a ``source`` file whose read position is known, the share read
    and the time left."""

    def __init__(self, run_id: int, source: Path | None = None) -> None:
        self.key = progress_key(run_id)
        self.started = time.perf_counter()
        self.last = 0.0
        self.position = ReadPosition(source) if source is not None else None

    def __call__(self, records: int) -> None:
        now = time.perf_counter()
        if now - self.last < PROGRESS_EVERY_SECONDS:
            return
        self.last = now
        elapsed = now - self.started
        progress: dict[str, Any] = {
            "records": records,
            "rate": records / elapsed if elapsed else 0.0,
            "elapsed": elapsed,
        }
        position = self.position() if self.position is not None else None
        if position:  # known and past the start, so the file has a size
            share = position / self.position.size  # type: ignore[union-attr,operator]
            progress["percent"] = round(100 * share, 1)
            progress["eta"] = elapsed * (1 - share) / share
        cache.set(self.key, progress, timeout=3600)

    def clear(self) -> None:
        """Forget the progress once the run has ended (its record tells the outcome)."""
        cache.delete(self.key)
