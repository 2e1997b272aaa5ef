"""An import killed with SIGKILL writes nothing; its run, left "running", is marked
interrupted at the next start of a worker, serve or ``qunyun status``, and its page
offers the re-run."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from django.core.management import call_command

from qunyun.ingest.interrupted import do_mark_interrupted_imports
from qunyun.ingest.models import ImportRun
from qunyun.scheduling.startup import run_startup_checks
from qunyun.workspaces.models import Workspace

pytestmark = pytest.mark.django_db


def killed_process() -> int:
    child = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    os.kill(child.pid, signal.SIGKILL)
    child.wait()
    return child.pid


def left_running(workspace: Workspace, *, pid: int, stored_file: str = "") -> ImportRun:
    import socket

    return ImportRun.objects.create(
        workspace=workspace, file_name="result.json", format="telegram",
        host=socket.gethostname(), pid=pid, stored_file=stored_file,
    )  # fmt: skip


def test_a_run_whose_process_is_gone_is_marked_interrupted_and_a_live_one_is_not(
    workspace: Workspace,
) -> None:
    dead = left_running(workspace, pid=killed_process())
    alive = left_running(workspace, pid=os.getpid())
    elsewhere = ImportRun.objects.create(
        workspace=workspace, file_name="x", format="csv", host="another-machine", pid=1
    )
    assert run_startup_checks() == 1
    dead.refresh_from_db()
    assert dead.status == ImportRun.Status.INTERRUPTED and dead.finished_at is not None
    assert "ended before it finished" in dead.errors[0]["message"]
    assert ImportRun.objects.get(pk=alive.pk).status == ImportRun.Status.RUNNING
    assert ImportRun.objects.get(pk=elsewhere.pk).status == ImportRun.Status.RUNNING
    assert do_mark_interrupted_imports() == 0


def test_qunyun_status_marks_them_too(workspace: Workspace) -> None:
    run = left_running(workspace, pid=killed_process())
    call_command("status", "--json", stdout=open(os.devnull, "w"))  # noqa: SIM115
    run.refresh_from_db()
    assert run.status == ImportRun.Status.INTERRUPTED


def test_the_page_of_an_interrupted_upload_offers_the_rerun(
    client: Any, alice: Any, workspace: Workspace, tmp_path: Path
) -> None:
    upload = tmp_path / "activities.jsonl"
    upload.write_text(
        '{"external_id": "1", "kind": "message", "occurred_at": "2026-03-01T10:00:00Z", '
        '"member_id": "u1"}\n',
        encoding="utf-8",
    )
    run = left_running(workspace, pid=killed_process(), stored_file=str(upload))
    ImportRun.objects.filter(pk=run.pk).update(format="jsonl")
    run_startup_checks()
    client.force_login(alice)
    page = client.get(f"/w/acme/imports/{run.pk}/")
    assert b"data-interrupted" in page.content and b"Import it again" in page.content

    answer = client.post(f"/w/acme/imports/{run.pk}/rerun/")
    again = ImportRun.objects.exclude(pk=run.pk).get()
    assert answer.status_code == 302 and answer.url == f"/w/acme/imports/{again.pk}/"
    assert again.stored_file == str(upload) and again.status == ImportRun.Status.QUEUED
    assert ImportRun.objects.get(pk=run.pk).stored_file == ""
    # Run again: the old run no longer offers it.
    assert b"Import it again" not in client.get(f"/w/acme/imports/{run.pk}/").content
    answer = client.post(f"/w/acme/imports/{run.pk}/rerun/", follow=True)
    assert b"Only an interrupted import" in answer.content
