"""The scheduler's own scheduled work: its history pruned, daily."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from qunyun.scheduling.jobs import Job, register_job
from qunyun.scheduling.tasks import prune_run_history

PRUNE_RUN_HISTORY = register_job(
    Job(
        name="prune_run_history",
        label=_("Old rows of runs and background tasks deleted (QUNYUN_RUN_HISTORY_DAYS)"),
        task=prune_run_history,
        default_cron="45 3 * * *",
    )
)
