"""``qunyun serve`` stops cleanly when told to by a signal, as a service manager does."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from qunyun.ingest.tests.test_import_command import run_cli


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _processes_mentioning(text: str) -> list[int]:
    """Living processes whose command line or environment contains ``text``."""
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit() and int(entry.name) != os.getpid():
            try:
                seen = (entry / "cmdline").read_bytes() + (entry / "environ").read_bytes()
                state = (entry / "stat").read_text().rsplit(")", 1)[1].split()[0]
            except OSError:
                continue
            if state != "Z" and text.encode() in seen:
                found.append(int(entry.name))
    return found


@pytest.mark.skipif(not Path("/proc").is_dir(), reason="reads the process table from /proc")
@pytest.mark.parametrize("stop", [signal.SIGTERM, signal.SIGINT], ids=["SIGTERM", "SIGINT"])
def test_a_signal_stops_gunicorn_and_the_task_worker_too(tmp_path: Path, stop: int) -> None:
    assert run_cli("migrate", "-v", "0", data_dir=tmp_path).returncode == 0
    port = _free_port()
    env = {
        **os.environ,
        "QUNYUN_DATA_DIR": str(tmp_path),
        "QUNYUN_DATABASE_URL": "",
        "QUNYUN_LANGUAGE": "en",
    }
    serve = subprocess.Popen(  # noqa: S603 — our own interpreter and command
        [sys.executable, "-m", "qunyun", "serve", f"127.0.0.1:{port}", "--workers", "1",
         "--threads", "1"],
        env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                with urllib.request.urlopen(  # noqa: S310 — our own server on loopback
                    f"http://127.0.0.1:{port}/accounts/login/", timeout=2
                ) as answer:
                    assert answer.status == 200
                    break
            except OSError:
                assert serve.poll() is None, "serve exited before answering"
                assert time.monotonic() < deadline, "serve did not answer within 60 s"
                time.sleep(0.3)
        assert len(_processes_mentioning(f"127.0.0.1:{port}")) >= 3  # serve, gunicorn ×2
        worker = [
            p
            for p in _processes_mentioning(str(tmp_path))
            if "qunyun\x00worker\x00"
            in Path(f"/proc/{p}/cmdline").read_bytes().decode(errors="replace")
        ]
        assert len(worker) == 1  # the background task worker

        serve.send_signal(stop)
        # serve gives gunicorn up to 15 s and then the worker up to 10 s to stop (about
        # 3.5 s on an idle machine): wait beyond both, for a loaded CI machine.
        assert serve.wait(timeout=60) is not None
    finally:
        if serve.poll() is None:
            serve.kill()

    deadline = time.monotonic() + 20
    while _processes_mentioning(f"127.0.0.1:{port}") and time.monotonic() < deadline:
        time.sleep(0.2)
    assert _processes_mentioning(f"127.0.0.1:{port}") == []
    assert _processes_mentioning(str(tmp_path)) == []  # no task worker left either
    with socket.socket() as s:
        assert s.connect_ex(("127.0.0.1", port)) != 0  # nobody listens any more


def _helpers_of(data_dir: Path, command: str) -> list[int]:
    return [
        p
        for p in _processes_mentioning(str(data_dir))
        if command in Path(f"/proc/{p}/cmdline").read_bytes().decode(errors="replace")
    ]


@pytest.mark.skipif(not Path("/proc").is_dir(), reason="reads the process table from /proc")
def test_a_killed_task_worker_or_scheduler_is_started_again(tmp_path: Path) -> None:
    assert run_cli("migrate", "-v", "0", data_dir=tmp_path).returncode == 0
    env = {
        **os.environ,
        "QUNYUN_DATA_DIR": str(tmp_path),
        "QUNYUN_DATABASE_URL": "",
        "QUNYUN_LANGUAGE": "en",
    }
    serve = subprocess.Popen(  # noqa: S603 — our own interpreter and command
        [sys.executable, "-m", "qunyun", "serve", f"127.0.0.1:{_free_port()}", "--workers", "1",
         "--threads", "1"],
        env=env, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True,
    )  # fmt: skip
    try:
        for command in ("qunyun\x00worker\x00", "qunyun\x00scheduler"):
            deadline = time.monotonic() + 60
            while len(_helpers_of(tmp_path, command)) != 1:
                assert time.monotonic() < deadline, f"no {command} started"
                time.sleep(0.2)
            (first,) = _helpers_of(tmp_path, command)
            os.kill(first, signal.SIGKILL)
            deadline = time.monotonic() + 30
            while [p for p in _helpers_of(tmp_path, command) if p != first] == []:
                assert serve.poll() is None, "serve died with its helper"
                assert time.monotonic() < deadline, f"the killed {command} was not restarted"
                time.sleep(0.2)
    finally:
        serve.send_signal(signal.SIGTERM)
        output, _ = serve.communicate(timeout=60)
    assert output.count("exited (code -9); starting it again.") == 2
    assert _processes_mentioning(str(tmp_path)) == []
