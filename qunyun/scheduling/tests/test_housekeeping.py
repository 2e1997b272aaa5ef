"""The scheduler's history is pruned: runs and task rows that ended before
QUNYUN_RUN_HISTORY_DAYS go, the newest timed run of each schedule stays (the scheduler
reads it to know the last slot), and nothing running or recent is touched."""

from __future__ import annotations

from datetime import timedelta

import pytest
import time_machine
from django_tasks.base import TaskResultStatus
from django_tasks_db.models import DBTaskResult

from qunyun.conftest import utc
from qunyun.scheduling.actions import do_add_schedule, do_claim_due_runs
from qunyun.scheduling.housekeeping import do_prune_run_history
from qunyun.scheduling.models import RunStatus, Schedule, ScheduledRun

pytestmark = pytest.mark.django_db

NOW = utc(2026, 12, 7, 12)


def run(schedule: Schedule, days_ago: float, status: str, *, requested: bool = False) -> int:
    ended = NOW - timedelta(days=days_ago)
    made = ScheduledRun.objects.create(
        schedule=schedule,
        due_at=ended - timedelta(minutes=1),
        requested=requested,
        status=status,
        started_at=ended - timedelta(seconds=30) if status != RunStatus.QUEUED else None,
        ended_at=ended if status in (RunStatus.SUCCEEDED, RunStatus.FAILED) else None,
    )
    return made.pk


def test_old_rows_go_and_the_newest_run_of_each_schedule_and_recent_ones_stay(settings) -> None:
    settings.RUN_HISTORY_DAYS = 30
    daily = do_add_schedule("backup", cron="0 3 * * *")
    quiet = do_add_schedule("retention_purge", cron="0 4 1 1 *")
    old = [run(daily, 90, RunStatus.SUCCEEDED), run(daily, 60, RunStatus.FAILED)]
    old_asked = run(daily, 40, RunStatus.SUCCEEDED, requested=True)
    recent = run(daily, 3, RunStatus.FAILED)
    running = run(daily, 45, RunStatus.RUNNING)  # its worker may still be at it
    only_one = run(quiet, 300, RunStatus.SUCCEEDED)  # a yearly job's last run

    pruned = do_prune_run_history(NOW)

    assert pruned.runs == 3
    left = set(ScheduledRun.objects.values_list("pk", flat=True))
    assert left == {recent, running, only_one}
    assert not left & {*old, old_asked}


def test_a_pruned_history_does_not_bring_back_a_slot_that_already_ran(settings) -> None:
    settings.RUN_HISTORY_DAYS = 1
    with time_machine.travel(utc(2026, 11, 1), tick=False):
        schedule = do_add_schedule("backup", cron="0 3 * * *")
    slots = []
    for day in (3, 4, 5):  # 03:00 in the installation's time zone (Asia/Shanghai)
        with time_machine.travel(utc(2026, 11, day, 12), tick=False):
            (claimed,) = do_claim_due_runs()
        slots.append(claimed.due_at)
        ScheduledRun.objects.filter(pk=claimed.pk).update(
            status=RunStatus.SUCCEEDED, ended_at=claimed.due_at + timedelta(minutes=1)
        )

    with time_machine.travel(utc(2026, 11, 20, 12), tick=False):
        assert do_prune_run_history().runs == 2
        assert list(schedule.runs.values_list("due_at", flat=True)) == [slots[-1]]
        # The slots since the last one left, missed while "down", run once — not the
        # pruned ones again.
        (caught_up,) = do_claim_due_runs()
        assert do_claim_due_runs() == []
    assert caught_up.due_at == slots[-1] + timedelta(days=15)


def test_finished_task_rows_older_than_the_history_go(settings) -> None:
    settings.RUN_HISTORY_DAYS = 30
    rows = {}
    for name, status, days in [
        ("old_ok", TaskResultStatus.SUCCESSFUL, 31),
        ("old_failed", TaskResultStatus.FAILED, 45),
        ("new_ok", TaskResultStatus.SUCCESSFUL, 2),
        ("waiting", TaskResultStatus.READY, 90),
    ]:
        row = DBTaskResult.objects.create(
            task_path="qunyun.scheduling.tasks.prune_run_history",
            args_kwargs={"args": [], "kwargs": {}},
            status=status,
            queue_name="default",
            backend_name="default",
            finished_at=None if status == TaskResultStatus.READY else NOW - timedelta(days=days),
        )
        rows[name] = row.pk

    pruned = do_prune_run_history(NOW)

    assert pruned.tasks == 2
    assert set(DBTaskResult.objects.values_list("pk", flat=True)) == {
        rows["new_ok"],
        rows["waiting"],
    }
