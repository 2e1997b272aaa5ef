"""Background work of the backups app (Django's Tasks API)."""

from __future__ import annotations

from django.conf import settings
from django_tasks import task

from qunyun.backups.rotation import do_scheduled_backup


@task()
def daily_backup() -> dict[str, object]:
    """Back up into ``settings.BACKUP_DIR``, keeping the newest ``settings.BACKUP_KEEP``."""
    rotation = do_scheduled_backup(settings.BACKUP_DIR, keep=settings.BACKUP_KEEP)
    return {"file": str(rotation.written), "rows": rotation.rows, "removed": rotation.removed}
