"""The backups app's scheduled work: a daily backup, the last N kept."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from qunyun.backups.tasks import daily_backup
from qunyun.scheduling.jobs import Job, register_job

DAILY_BACKUP = register_job(
    Job(
        name="backup",
        label=_(
            "Backup of the whole database (QUNYUN_BACKUP_DIR, the last QUNYUN_BACKUP_KEEP kept)"
        ),
        task=daily_backup,
        default_cron="0 3 * * *",
    )
)
