"""Two schedulers and two task workers, real processes on one database: each due run
happens exactly once, and a slot missed while everything was down runs once."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from qunyun.testing.processes import database_env as fresh_database
from qunyun.testing.processes import qunyun

SCRIPT = """
import json, os, time, django
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "qunyun.settings")
django.setup()
from datetime import timedelta
from django.utils import timezone
from django_tasks_db.models import DBTaskResult
from qunyun.scheduling.actions import do_install_default_schedules, do_remove_schedule
from qunyun.scheduling.models import Schedule, ScheduledRun

if os.environ["ACTION"] == "set-up":
    do_install_default_schedules()
    do_remove_schedule(Schedule.objects.get(job="retention_purge"))
    # One slot a year (1 January 00:00), the schedule made two years ago, everything down
    # since: both slots were missed, one run is due now.
    Schedule.objects.filter(job="backup").update(
        cron="0 0 1 1 *", created_at=timezone.now() - timedelta(days=730)
    )
else:
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline and not ScheduledRun.objects.filter(ended_at__isnull=False):
        time.sleep(0.2)
    time.sleep(3)  # both schedulers keep ticking, about 15 times more each
    print(json.dumps({
        "runs": list(ScheduledRun.objects.values_list("schedule__job", "status")),
        "tasks": list(DBTaskResult.objects.values_list("status", flat=True)),
    }))
"""


@pytest.fixture(params=["sqlite", "postgresql"])
def database_env(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[dict[str, str]]:
    with fresh_database(request.param, tmp_path / "data", "qunyun_sched") as env:
        yield env | {"QUNYUN_BACKUP_DIR": str(tmp_path / "backups")}


def script(env: dict[str, str], action: str) -> str:
    return subprocess.run(
        [sys.executable, "-c", SCRIPT], env=env | {"ACTION": action},
        capture_output=True, text=True, check=True, timeout=180,
    ).stdout  # fmt: skip


def test_two_schedulers_and_two_workers_run_a_due_run_exactly_once(
    database_env: dict[str, str], tmp_path: Path
) -> None:
    env = database_env
    qunyun(env, "migrate", "--verbosity", "0")
    script(env, "set-up")

    processes = [
        subprocess.Popen([sys.executable, "-m", "qunyun", *args], env=env)
        for args in (
            ["scheduler", "--interval", "0.2"],
            ["scheduler", "--interval", "0.2"],
            ["db_worker", "--interval", "0.2", "--no-reload", "--no-startup-delay"],
            ["db_worker", "--interval", "0.2", "--no-reload", "--no-startup-delay"],
        )
    ]
    try:
        state = json.loads(script(env, "wait"))
        assert all(p.poll() is None for p in processes), "a scheduler or worker died"
    finally:
        for process in processes:
            process.terminate()
        for process in processes:
            process.wait(timeout=30)

    assert state["runs"] == [["backup", "succeeded"]]
    assert state["tasks"] == ["SUCCESSFUL"]  # queued once, run once
    assert len(list((tmp_path / "backups").glob("qunyun-*.zip"))) == 1
