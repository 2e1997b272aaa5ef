"""The privacy app's scheduled work: each workspace's retention policy, daily."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from qunyun.privacy.tasks import purge_expired
from qunyun.scheduling.jobs import Job, register_job

RETENTION_PURGE = register_job(
    Job(
        name="retention_purge",
        label=_("Retention purge (each workspace's retention policy)"),
        task=purge_expired,
        default_cron="30 3 * * *",
    )
)
