"""The scale path: tasks queued on Redis (``QUNYUN_TASKS_BACKEND=rq``) and run by a real
``qunyun rq_worker`` process. An upload queued as the web queues it ends ``succeeded``.
Skipped when no Redis server answers on 127.0.0.1:6379 (CI starts one)."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.core.management import CommandError, call_command

from qunyun.scheduling.tests.test_worker_survives import outcome, upload
from qunyun.settings import env_redis_url
from qunyun.testing.processes import database_env, qunyun

pytestmark = pytest.mark.once

redis = pytest.importorskip("redis", reason="the rq extra is not installed")
registry = pytest.importorskip("rq.registry", reason="the rq extra is not installed")

CLAIM = "qunyun-test:claimed-by"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def parent_of(pid: int) -> int:
    return int(Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[1])


def processes_running(data_dir: str, command: str) -> list[int]:
    """Living processes whose environment names ``data_dir`` and whose command line
    holds ``command`` (NUL-separated arguments)."""
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit() and int(entry.name) != os.getpid():
            try:
                cmdline = (entry / "cmdline").read_bytes().decode(errors="replace")
                environ = (entry / "environ").read_bytes().decode(errors="replace")
                state = (entry / "stat").read_text().rsplit(")", 1)[1].split()[0]
            except OSError:
                continue
            if state != "Z" and data_dir in environ and command in cmdline:
                found.append(int(entry.name))
    return found


@pytest.fixture
def redis_db() -> Iterator[int]:
    """A Redis database (1–15) no one else uses now, emptied afterwards: other test runs
    on this machine may be using the server at the same time."""
    try:
        redis.Redis(host="127.0.0.1", port=6379, socket_connect_timeout=1).ping()
    except redis.exceptions.ConnectionError:
        pytest.skip("no Redis server answers on 127.0.0.1:6379")
    for number in range(1, 16):
        server = redis.Redis(host="127.0.0.1", port=6379, db=number)
        if server.set(CLAIM, os.getpid(), nx=True, ex=600):
            if server.dbsize() == 1:
                break
            server.delete(CLAIM)  # keys of something else: leave this database alone
    else:
        pytest.skip("every Redis database 1–15 is in use")
    yield number
    server.flushdb()


def test_an_upload_queued_on_redis_is_run_by_an_rq_worker(tmp_path: Path, redis_db: int) -> None:
    with database_env("sqlite", tmp_path / "data", "unused") as env:
        env |= {
            "QUNYUN_TASKS_BACKEND": "rq",
            "QUNYUN_REDIS_URL": f"redis://127.0.0.1:6379/{redis_db}",
        }
        qunyun(env, "migrate", "--verbosity", "0")
        worker = subprocess.Popen(
            [sys.executable, "-m", "qunyun", "rq_worker", "--verbosity", "2"],
            env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
        )  # fmt: skip
        try:
            status, added = outcome(upload(env))
            assert worker.poll() is None, "the rq worker died"
        finally:
            worker.terminate()
            try:
                log = worker.communicate(timeout=15)[0]
            except subprocess.TimeoutExpired:
                # Now and then rq 3.0 waits up to a minute for its pub/sub thread after its
                # warm shut-down has ended (the worker has already "registered its death").
                worker.kill()
                log = worker.communicate()[0]
                assert "registering death" in log, log
    assert (status, added > 0) == ("succeeded", True), log
    server = redis.Redis(host="127.0.0.1", port=6379, db=redis_db)
    done = registry.FinishedJobRegistry("default", connection=server)
    failed = registry.FailedJobRegistry("default", connection=server)
    assert (len(done.get_job_ids()), len(failed.get_job_ids())) == (1, 0), log
    assert "qunyun.ingest.tasks.run_import" in log  # RQ ran Qunyun's import task


def test_serve_on_redis_starts_an_rq_worker_that_runs_uploads(
    tmp_path: Path, redis_db: int
) -> None:
    port = free_port()
    with database_env("sqlite", tmp_path / "data", "unused") as env:
        env |= {
            "QUNYUN_TASKS_BACKEND": "rq",
            "QUNYUN_REDIS_URL": f"redis://127.0.0.1:6379/{redis_db}",
        }
        qunyun(env, "migrate", "--verbosity", "0")
        serve = subprocess.Popen(
            [sys.executable, "-m", "qunyun", "serve", f"127.0.0.1:{port}", "--workers", "1",
             "--threads", "1"],
            env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )  # fmt: skip
        try:
            status, added = outcome(upload(env))
            helpers = processes_running(str(tmp_path / "data"), "qunyun\x00rq_worker")
            # One rq worker started by serve (RQ forks its scheduler beside it).
            assert [parent_of(p) for p in helpers].count(serve.pid) == 1, helpers
            assert not processes_running(str(tmp_path / "data"), "qunyun\x00worker\x00")
        finally:
            serve.send_signal(signal.SIGTERM)
            try:
                serve.wait(timeout=60)
            except subprocess.TimeoutExpired:
                serve.kill()
    assert (status, added > 0) == ("succeeded", True)


def test_rq_worker_refuses_when_tasks_queue_in_the_database() -> None:
    with pytest.raises(CommandError, match="not on Redis: set QUNYUN_TASKS_BACKEND=rq"):
        call_command("rq_worker")


def test_the_database_worker_points_to_the_rq_worker_when_tasks_queue_on_redis(
    tmp_path: Path,
) -> None:
    with database_env("sqlite", tmp_path / "data", "unused") as env:
        env |= {"QUNYUN_TASKS_BACKEND": "rq", "QUNYUN_REDIS_URL": "redis://127.0.0.1:6379/15"}
        qunyun(env, "migrate", "--verbosity", "0")
        done = subprocess.run(
            [sys.executable, "-m", "qunyun", "worker"], env=env, capture_output=True, text=True,
            timeout=120,
        )  # fmt: skip
    assert done.returncode == 2
    assert "run “qunyun rq_worker” instead of “qunyun worker”" in done.stderr
    assert "Traceback" not in done.stderr


@pytest.mark.parametrize("url", ["redis://cache:6379/2", "rediss://:secret@cache:6380/0"])
def test_a_redis_url_is_taken_as_given(monkeypatch: pytest.MonkeyPatch, url: str) -> None:
    monkeypatch.setenv("QUNYUN_REDIS_URL", url)
    assert env_redis_url("QUNYUN_REDIS_URL", "redis://127.0.0.1:6379/0") == url


@pytest.mark.parametrize(
    ("url", "says"),
    [("http://cache:6379", "must start with redis://"), ("redis://cache:port/0", "is not a URL")],
)
def test_a_bad_redis_url_is_refused_by_name(
    monkeypatch: pytest.MonkeyPatch, url: str, says: str
) -> None:
    monkeypatch.setenv("QUNYUN_REDIS_URL", url)
    with pytest.raises(ImproperlyConfigured, match=f"QUNYUN_REDIS_URL {says}"):
        env_redis_url("QUNYUN_REDIS_URL", "redis://127.0.0.1:6379/0")
