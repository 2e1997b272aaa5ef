"""``qunyun status``, its page and ``/healthz`` say what runs and what does not."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from io import StringIO
from pathlib import Path
from typing import Any

import pytest
from django.core.management import call_command

from qunyun.scheduling.actions import do_install_default_schedules
from qunyun.scheduling.heartbeat import do_beat

pytestmark = pytest.mark.django_db


def status_json() -> dict[str, Any]:
    out = StringIO()
    call_command("status", "--json", stdout=out)
    return json.loads(out.getvalue())


def test_status_tells_a_dead_worker_and_scheduler_from_live_ones() -> None:
    do_install_default_schedules()
    before = status_json()
    assert before["database"] == "ok" and before["pending_migrations"] == 0
    assert (before["workers"], before["schedulers"], before["healthy"]) == ([], [], False)
    assert {s["job"] for s in before["schedules"]} == {
        "backup",
        "retention_purge",
        "prune_run_history",
    }
    assert all(s["next_due"] and s["last_due"] is None for s in before["schedules"])

    with pytest.raises(SystemExit) as unhealthy:  # what monitoring runs
        call_command("status", "--check", stdout=StringIO())
    assert unhealthy.value.code == 1

    do_beat("worker")
    do_beat("scheduler")
    call_command("status", "--check", stdout=StringIO())  # healthy: returns, exit 0
    after = status_json()
    assert len(after["workers"]) == len(after["schedulers"]) == 1 and after["healthy"]

    out = StringIO()
    call_command("status", stdout=out)
    text = out.getvalue()
    assert "Database" in text and ": ok" in text and "backup" in text and "next:" in text


def test_status_on_a_data_dir_never_migrated_says_what_to_run(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("QUNYUN_")}
    env |= {"QUNYUN_DATA_DIR": str(tmp_path / "bare"), "QUNYUN_LANGUAGE": "en"}
    done = subprocess.run(
        [sys.executable, "-m", "qunyun", "status"], env=env, capture_output=True, text=True,
        timeout=120,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert "migrations not applied — run “qunyun migrate”" in done.stdout
    assert "Traceback" not in done.stderr


def test_healthz_answers_without_a_login_and_without_personal_data(client: Any) -> None:
    answer = client.get("/healthz")
    assert answer.status_code == 200
    assert answer.json() == {
        "status": "degraded",
        "database": True,
        "worker": False,
        "scheduler": False,
        "version": answer.json()["version"],
    }
    do_beat("worker")
    do_beat("scheduler")
    assert client.get("/healthz").json()["status"] == "ok"


def test_the_status_page_is_for_superusers(client: Any, alice: Any, django_user_model: Any) -> None:
    client.force_login(alice)
    assert client.get("/status/").status_code == 302  # to the back-office login
    root = django_user_model.objects.create_superuser("root", password="root-password-1")
    client.force_login(root)
    page = client.get("/status/")
    assert page.status_code == 200
    assert b'data-database="ok"' in page.content and b'data-worker="0"' in page.content
    zh = client.get("/status/", HTTP_ACCEPT_LANGUAGE="zh-hans")
    assert "安装状态".encode() in zh.content


def test_the_back_office_index_links_the_status_page(client: Any, django_user_model: Any) -> None:
    root = django_user_model.objects.create_superuser("root", password="root-password-1")
    client.force_login(root)
    index = client.get("/admin/")
    assert index.status_code == 200
    assert b'id="qunyun-installation"' in index.content and b'href="/status/"' in index.content
    assert b'id="content-main"' in index.content  # the admin's own index is still below
