"""The tasks of the scheduler itself (Django's Tasks API): run a claimed run, and prune
the history of runs."""

from __future__ import annotations

from django_tasks import task

from qunyun.scheduling.housekeeping import do_prune_run_history
from qunyun.scheduling.models import ScheduledRun
from qunyun.scheduling.running import do_run_scheduled


@task()
def run_scheduled(run_id: int) -> str:
    """Run the job of the claimed run ``run_id``; the run's row keeps the outcome."""
    run = ScheduledRun.objects.select_related("schedule", "schedule__workspace").get(pk=run_id)
    return do_run_scheduled(run).status


@task()
def prune_run_history() -> dict[str, int]:
    """Delete the rows of runs and tasks older than the kept history."""
    pruned = do_prune_run_history()
    return {"runs": pruned.runs, "tasks": pruned.tasks}
