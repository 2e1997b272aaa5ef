"""The scheduler claims each due slot once, runs missed slots once, and keeps each run."""

from __future__ import annotations

from datetime import timedelta
from io import StringIO
from typing import Any

import pytest
from django.core.management import CommandError, call_command
from django_tasks_db.models import DBTaskResult

from qunyun.audit.models import AuditEvent
from qunyun.conftest import utc
from qunyun.scheduling.actions import (
    do_add_schedule,
    do_claim_due_runs,
    do_install_default_schedules,
    do_remove_schedule,
    do_request_run_soon,
    do_run_now,
)
from qunyun.scheduling.jobs import ScheduleError
from qunyun.scheduling.models import RunStatus, Schedule, ScheduledRun
from qunyun.scheduling.running import do_run_scheduled
from qunyun.scheduling.tests import jobs_for_tests  # noqa: F401 — registers the test jobs
from qunyun.scheduling.timetable import last_slot, next_slot, zone_of
from qunyun.workspaces.models import Workspace

pytestmark = pytest.mark.django_db(transaction=True)


def made_at(schedule: Schedule, when: Any) -> Schedule:
    Schedule.objects.filter(pk=schedule.pk).update(created_at=when)
    schedule.refresh_from_db()
    return schedule


def queued_tasks() -> list[list[Any]]:
    return [row.args_kwargs["args"] for row in DBTaskResult.objects.order_by("id")]


def test_timetables_are_read_in_the_workspace_time_zone(workspace: Workspace) -> None:
    zone = zone_of(workspace)  # Asia/Shanghai, UTC+8
    now = utc(2026, 12, 7, 1, 30)  # 09:30 in Shanghai
    assert last_slot("0 9 * * *", zone, now) == utc(2026, 12, 7, 1, 0)
    assert next_slot("0 9 * * *", zone, now) == utc(2026, 12, 8, 1, 0)
    assert last_slot("*/10 * * * *", zone, utc(2026, 12, 7, 1, 20)) == utc(2026, 12, 7, 1, 20)


def test_a_bad_timetable_or_job_is_refused_with_what_to_write(workspace: Workspace) -> None:
    with pytest.raises(ScheduleError, match="“61 \\* \\* \\* \\*” is not a cron timetable"):
        do_add_schedule("test_count", cron="61 * * * *", workspace=workspace)
    with pytest.raises(ScheduleError, match="There is no job “nightly”; the jobs are: .*backup"):
        do_add_schedule("nightly", cron="0 3 * * *")
    with pytest.raises(ScheduleError, match="runs for one workspace"):
        do_add_schedule("test_count", cron="0 3 * * *")
    assert not Schedule.objects.exists()


def test_each_due_slot_is_claimed_once_and_queued_once(workspace: Workspace) -> None:
    schedule = made_at(
        do_add_schedule(
            "test_count", cron="*/10 * * * *", workspace=workspace, params={"note": "n"}
        ),
        utc(2026, 12, 7, 1, 2),
    )
    assert do_claim_due_runs(utc(2026, 12, 7, 1, 9)) == []  # the first slot is 01:10
    first = do_claim_due_runs(utc(2026, 12, 7, 1, 10, 5))
    assert [run.due_at for run in first] == [utc(2026, 12, 7, 1, 10)]
    assert do_claim_due_runs(utc(2026, 12, 7, 1, 11)) == []  # claimed: no second run
    assert queued_tasks() == [[first[0].pk]]

    outcome = do_run_scheduled(first[0])
    assert outcome.status == RunStatus.SUCCEEDED
    run = ScheduledRun.objects.get(pk=first[0].pk)
    assert run.result == {"workspace_id": workspace.pk, "note": "n"}
    assert run.started_at is not None and run.ended_at is not None and run.error == ""
    # A second delivery of the same task does not run the job again.
    assert do_run_scheduled(run).status == RunStatus.SUCCEEDED
    assert ScheduledRun.objects.filter(schedule=schedule).count() == 1


def test_slots_missed_while_down_run_once_when_it_comes_back(workspace: Workspace) -> None:
    made_at(
        do_add_schedule("test_count", cron="*/10 * * * *", workspace=workspace),
        utc(2026, 12, 1, 0, 0),
    )
    # Six days down: 864 slots missed, one run, for the latest slot.
    claimed = do_claim_due_runs(utc(2026, 12, 7, 1, 3))
    assert [run.due_at for run in claimed] == [utc(2026, 12, 7, 1, 0)]
    assert do_claim_due_runs(utc(2026, 12, 7, 1, 9)) == []
    assert len(do_claim_due_runs(utc(2026, 12, 7, 1, 10))) == 1


def test_a_failing_job_leaves_its_error_on_the_run(db: None) -> None:
    schedule = made_at(do_add_schedule("test_fails", cron="0 * * * *"), utc(2026, 12, 7, 0, 0))
    (run,) = do_claim_due_runs(utc(2026, 12, 7, 1, 0))
    outcome = do_run_scheduled(run)
    run.refresh_from_db()
    assert (outcome.status, run.status) == (RunStatus.FAILED, RunStatus.FAILED)
    assert run.error == "RuntimeError: the forum answered 503"
    assert run.ended_at is not None
    assert not schedule.runs.filter(status=RunStatus.RUNNING).exists()


def test_disabled_schedules_and_on_demand_jobs_are_not_claimed(workspace: Workspace) -> None:
    schedule = made_at(do_add_schedule("test_fails", cron="* * * * *"), utc(2026, 12, 7, 0, 0))
    schedule.enabled = False
    schedule.save()
    do_request_run_soon("refresh_after_activities", workspace)
    assert do_claim_due_runs(utc(2026, 12, 7, 5, 0)) == []


def test_many_requests_within_a_minute_make_one_run(workspace: Workspace) -> None:
    first = do_request_run_soon("refresh_after_activities", workspace)
    assert first is not None and first.due_at.second == 0
    assert all(
        do_request_run_soon("refresh_after_activities", workspace) is None for _ in range(20)
    )
    assert ScheduledRun.objects.count() == 1
    assert queued_tasks() == [[first.pk]]


def test_default_schedules_are_installed_once_and_stay_removed(db: None) -> None:
    made = do_install_default_schedules()
    assert {s.job: s.cron for s in made} == {
        "backup": "0 3 * * *",
        "retention_purge": "30 3 * * *",
        "prune_run_history": "45 3 * * *",
    }
    assert do_install_default_schedules() == []
    do_remove_schedule(Schedule.objects.get(job="backup"))
    assert do_install_default_schedules() == []
    assert sorted(Schedule.objects.values_list("job", flat=True)) == [
        "prune_run_history",
        "retention_purge",
    ]


def test_run_now_queues_a_run_outside_the_timetable_and_is_audited(db: None) -> None:
    schedule = do_add_schedule("test_fails", cron="0 3 * * *")
    run = do_run_now(schedule)
    assert run.requested and queued_tasks() == [[run.pk]]
    actions = list(AuditEvent.objects.order_by("id").values_list("action", flat=True))
    assert actions == ["schedule_added", "schedule_run_requested"]
    # A requested run does not count as the timetable's: 03:00 still runs.
    later = run.due_at + timedelta(days=1)
    assert len(do_claim_due_runs(later.replace(hour=19, minute=0))) == 1


def test_the_schedule_command(workspace: Workspace) -> None:
    out = StringIO()
    call_command(
        "schedule", "add", "test_count", "--cron", "*/5  * * * *", "--workspace", "acme", stdout=out
    )
    schedule = Schedule.objects.get()
    assert schedule.cron == "*/5 * * * *"
    assert f"Added schedule {schedule.pk}" in out.getvalue()

    out = StringIO()
    call_command("schedule", "list", stdout=out)
    assert "test_count" in out.getvalue() and "acme" in out.getvalue() and "next:" in out.getvalue()

    call_command("schedule", "disable", str(schedule.pk), stdout=StringIO())
    assert not Schedule.objects.get().enabled
    call_command("schedule", "run-now", str(schedule.pk), stdout=StringIO())
    assert ScheduledRun.objects.get().requested

    with pytest.raises(CommandError, match="No schedule 999"):
        call_command("schedule", "remove", "999")
    with pytest.raises(CommandError, match="not a cron timetable"):
        call_command("schedule", "add", "test_count", "--cron", "every day", "--workspace", "acme")
    call_command("schedule", "remove", str(schedule.pk), stdout=StringIO())
    assert not Schedule.objects.exists()

    out = StringIO()
    call_command("schedule", "jobs", stdout=out)
    assert "retention_purge" in out.getvalue() and "per workspace" in out.getvalue()
