"""The daily backup: a new archive in the backup folder, the oldest beyond N removed."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from django.utils import timezone

from qunyun.backups.archive import do_backup

PREFIX = "qunyun-"


@dataclass(frozen=True)
class Rotation:
    written: Path
    rows: int
    removed: list[str]


def do_scheduled_backup(folder: Path, *, keep: int) -> Rotation:
    """Back up into ``folder`` as ``qunyun-YYYYmmdd-HHMMSS.zip``; keep the newest ``keep``.

    Only this job's own archives (by their name) are ever removed; a half-written one
    (``.partial``) is never counted.
    """
    stamp = timezone.now().strftime("%Y%m%d-%H%M%S")
    summary = do_backup(folder / f"{PREFIX}{stamp}.zip")
    archives = sorted(folder.glob(f"{PREFIX}*.zip"))
    removed = []
    for old in archives[: max(0, len(archives) - keep)]:
        old.unlink(missing_ok=True)
        removed.append(old.name)
    return Rotation(summary.path, summary.rows, removed)
