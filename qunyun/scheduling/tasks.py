"""The one task the scheduler queues: run a claimed run (Django's Tasks API)."""

from __future__ import annotations

from django_tasks import task

from qunyun.scheduling.models import ScheduledRun
from qunyun.scheduling.running import do_run_scheduled


@task()
def run_scheduled(run_id: int) -> str:
    """Run the job of the claimed run ``run_id``; the run's row keeps the outcome."""
    run = ScheduledRun.objects.select_related("schedule", "schedule__workspace").get(pk=run_id)
    return do_run_scheduled(run).status
