"""The task worker survives a busy or lost database, as real processes: SQLite's write lock
held by someone else for 15 s (a long CLI import beside it), PostgreSQL dropping its
connections. Each time the worker is still alive afterwards and an upload queued
meanwhile, as the web queues it, ends ``succeeded``."""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest
from django.db import connection

from qunyun.testing.processes import database_env, qunyun

FIXTURE = (
    Path(__file__).resolve().parents[2] / "ingest/platforms/telegram/tests/fixtures/supergroup.json"
)

#: Queues the fixture's import as the import page does (the upload stored under the data
#: dir, the run recorded and audited, the task queued on commit), then waits for the run.
SCRIPT = """
import os, time, django
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "qunyun.settings")
django.setup()
from django.core.files.uploadedfile import SimpleUploadedFile
from qunyun.ingest.actions import do_queue_uploaded_import
from qunyun.workspaces.models import Workspace

workspace, _ = Workspace.objects.get_or_create(slug="acme", defaults={"name": "Acme"})
upload = SimpleUploadedFile("result.json", open(os.environ["EXPORT"], "rb").read())
run = do_queue_uploaded_import(workspace, upload, format_name="telegram", acting_user=None)
deadline = time.monotonic() + 60
while run.status in {"queued", "running"} and time.monotonic() < deadline:
    time.sleep(0.2)
    run.refresh_from_db()
print(run.status, run.activities_added)
"""


#: Queues a task that runs for 3 s.
TAKE_TIME = """
import os, django
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "qunyun.settings")
django.setup()
from qunyun.scheduling.tests.jobs_for_tests import take_time
take_time.enqueue(3)
"""


def upload(env: dict[str, str]) -> subprocess.Popen[str]:
    """The upload of the fixture, running; it ends with the run's status and activities."""
    return subprocess.Popen(
        [sys.executable, "-c", SCRIPT], env=env | {"EXPORT": str(FIXTURE)},
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip


def outcome(process: subprocess.Popen[str]) -> tuple[str, int]:
    out, err = process.communicate(timeout=120)
    assert process.returncode == 0, err
    status, added = out.split()
    return status, int(added)


@pytest.fixture
def worker_started() -> Iterator[list[subprocess.Popen[str]]]:
    """Worker processes a test starts, stopped at its end whatever happened."""
    started: list[subprocess.Popen[str]] = []
    yield started
    for process in started:
        if process.poll() is None:
            process.terminate()
            process.communicate(timeout=30)


def start_worker(
    env: dict[str, str], started: list[subprocess.Popen[str]]
) -> subprocess.Popen[str]:
    worker = subprocess.Popen(
        [sys.executable, "-m", "qunyun", "worker", "--interval", "0.2", "--no-reload",
         "--no-startup-delay"],
        env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
    )  # fmt: skip
    started.append(worker)
    return worker


def wait_for_heartbeat(beats: int, worker: subprocess.Popen[str]) -> None:
    deadline = time.monotonic() + 60
    while not beats():
        assert worker.poll() is None, worker.communicate()[0]
        assert time.monotonic() < deadline, "the worker never beat"
        time.sleep(0.2)


@pytest.mark.once
def test_the_worker_outlives_sqlites_write_lock_held_for_15_seconds(
    tmp_path: Path, worker_started: list[subprocess.Popen[str]]
) -> None:
    data_dir = tmp_path / "data"
    with database_env("sqlite", data_dir, "unused") as env:
        qunyun(env, "migrate", "--verbosity", "0")
        # Its busy timeout far below the 15 s the lock is held (the default is 30 s): the
        # worker meets "database is locked" again and again, as beside an hour-long import.
        worker = start_worker(env | {"QUNYUN_SQLITE_BUSY_TIMEOUT_SECONDS": "1"}, worker_started)
        database = data_dir / "qunyun.sqlite3"

        def beats() -> int:
            with sqlite3.connect(database) as con:
                return con.execute("SELECT count(*) FROM scheduling_heartbeat").fetchone()[0]

        wait_for_heartbeat(beats, worker)
        lock = sqlite3.connect(database, isolation_level=None)
        lock.execute("BEGIN IMMEDIATE")  # SQLite's one write lock, ours for 15 s
        locked_at = time.monotonic()
        uploading = upload(env)  # it waits for the lock, as the web's upload does
        time.sleep(15 - (time.monotonic() - locked_at))
        assert uploading.poll() is None, "the upload did not wait for the lock"
        assert worker.poll() is None, "the worker died while the database was locked"
        lock.execute("ROLLBACK")
        lock.close()

        status, added = outcome(uploading)
        assert status == "succeeded" and added > 0
        assert worker.poll() is None, "the worker died after the lock"
        worker.terminate()
        log = worker.communicate(timeout=30)[0]
    assert "database is locked" in log  # it met the lock and tried again
    with sqlite3.connect(database) as con:
        assert con.execute("SELECT status FROM django_tasks_database_dbtaskresult").fetchall() == [
            ("SUCCESSFUL",)
        ]


@pytest.mark.once
def test_a_task_that_ends_while_the_database_is_locked_keeps_its_outcome(
    tmp_path: Path, worker_started: list[subprocess.Popen[str]]
) -> None:
    data_dir = tmp_path / "data"
    with database_env("sqlite", data_dir, "unused") as env:
        qunyun(env, "migrate", "--verbosity", "0")
        worker = start_worker(env | {"QUNYUN_SQLITE_BUSY_TIMEOUT_SECONDS": "1"}, worker_started)
        database = data_dir / "qunyun.sqlite3"
        subprocess.run(
            [sys.executable, "-c", TAKE_TIME], env=env, check=True, timeout=120,
            capture_output=True,
        )  # fmt: skip

        def statuses() -> list[str]:
            with sqlite3.connect(database) as con:
                rows = con.execute("SELECT status FROM django_tasks_database_dbtaskresult")
                return [status for (status,) in rows]

        deadline = time.monotonic() + 60
        while statuses() != ["RUNNING"]:
            assert worker.poll() is None and time.monotonic() < deadline, "the task never ran"
            time.sleep(0.1)
        lock = sqlite3.connect(database, isolation_level=None)
        lock.execute("BEGIN IMMEDIATE")  # the task ends 3 s into these 8 s
        time.sleep(8)
        assert worker.poll() is None, "the worker died writing the task's outcome"
        lock.execute("ROLLBACK")
        lock.close()
        deadline = time.monotonic() + 60
        while statuses() == ["RUNNING"] and time.monotonic() < deadline:
            time.sleep(0.2)
        assert statuses() == ["SUCCESSFUL"]
        assert worker.poll() is None
        worker.terminate()
        log = worker.communicate(timeout=30)[0]
    assert "could not record a task's success (OperationalError: database is locked)" in log


def test_the_worker_outlives_postgresql_dropping_its_connections(
    tmp_path: Path, worker_started: list[subprocess.Popen[str]]
) -> None:
    with database_env("postgresql", tmp_path / "data", "qunyun_survive") as env:
        qunyun(env, "migrate", "--verbosity", "0")
        worker = start_worker(env, worker_started)
        url = env["QUNYUN_DATABASE_URL"]

        def beats() -> int:
            with psycopg.connect(url) as con:
                return con.execute("SELECT count(*) FROM scheduling_heartbeat").fetchone()[0]

        wait_for_heartbeat(beats, worker)
        with psycopg.connect(url, autocommit=True) as con:
            for _ in range(3):  # a restarted server, a proxy that drops idle connections
                con.execute(
                    "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                    "WHERE datname = current_database() AND pid <> pg_backend_pid()"
                )
                time.sleep(1)
        assert worker.poll() is None, "the worker died with its connection"
        status, added = outcome(upload(env))
        assert status == "succeeded" and added > 0
        assert worker.poll() is None, "the worker died after its connection came back"


@pytest.mark.django_db
def test_sqlite_waits_30_seconds_for_the_write_lock_by_default() -> None:
    if connection.vendor != "sqlite":
        pytest.skip("SQLite's busy timeout")
    assert "QUNYUN_SQLITE_BUSY_TIMEOUT_SECONDS" not in os.environ
    with connection.cursor() as cursor:
        cursor.execute("PRAGMA busy_timeout")
        assert cursor.fetchone() == (30_000,)
