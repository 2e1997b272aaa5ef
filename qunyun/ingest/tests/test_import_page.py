"""Upload an export in the browser, a worker imports it, the page shows the summary."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.urls import reverse

from qunyun.activity.models import Activity
from qunyun.audit.models import AuditEvent
from qunyun.ingest.models import ImportRun
from qunyun.workspaces.models import Role, WorkspaceMembership

TELEGRAM = Path(__file__).resolve().parents[1] / "platforms" / "telegram" / "tests" / "fixtures"


def upload(client, name: str, content: bytes, format_name: str):
    return client.post(
        reverse("imports", args=["acme"]),
        {"format": format_name, "file": SimpleUploadedFile(name, content)},
    )


def run_worker() -> None:
    """The real worker of the database backend, until the queue is empty.

    It closes its database connection when done, so tests that use it run outside a
    wrapping transaction (``transactional_db``).
    """
    call_command("db_worker", batch=True, no_startup_delay=True, verbosity=0)


@pytest.fixture
def queued(client, alice, workspace, transactional_db):
    client.force_login(alice)
    content = (TELEGRAM / "supergroup.json").read_bytes()
    return upload(client, "result.json", content, "telegram")


def test_an_upload_is_queued_then_imported_by_the_worker(client, queued, workspace) -> None:
    run = ImportRun.objects.get()
    assert queued.status_code == 302
    assert queued["Location"] == reverse("import_run", args=["acme", run.pk])
    assert run.status == ImportRun.Status.QUEUED
    assert Path(run.stored_file).is_file()

    run_worker()

    run.refresh_from_db()
    assert run.status == ImportRun.Status.SUCCEEDED
    assert run.activities_added == Activity.objects.filter(workspace=workspace).count() > 0
    assert not Path(run.stored_file).exists()  # the export is not kept
    page = client.get(reverse("import_run", args=["acme", run.pk]), HTTP_ACCEPT_LANGUAGE="en")
    assert "Activities added" in page.content.decode()
    assert 'hx-trigger="every 1s"' not in page.content.decode()
    assert AuditEvent.objects.filter(action="import_started").count() == 1


def test_the_run_page_polls_while_the_import_waits(client, queued) -> None:
    run = ImportRun.objects.get()

    partial = client.get(reverse("import_run", args=["acme", run.pk]), HTTP_HX_REQUEST="true")

    assert 'hx-trigger="every 1s"' in partial.content.decode()
    assert "<html" not in partial.content.decode()


def test_a_broken_upload_fails_with_the_place_and_writes_nothing(
    client, alice, workspace, transactional_db
):
    client.force_login(alice)
    upload(client, "bad.jsonl", b'{"external_id": "1"\n', "jsonl")

    run_worker()

    run = ImportRun.objects.get()
    assert run.status == ImportRun.Status.FAILED
    assert "line 1" in run.errors[0]["message"] or "第 1 行" in run.errors[0]["message"]
    assert Activity.objects.count() == 0
    page = client.get(reverse("import_run", args=["acme", run.pk]), HTTP_ACCEPT_LANGUAGE="en")
    assert "nothing was written" in page.content.decode()


def test_an_empty_file_is_refused_at_upload(client, alice, workspace) -> None:
    client.force_login(alice)

    response = upload(client, "empty.json", b"", "telegram")

    assert response.status_code == 200
    assert ImportRun.objects.count() == 0


def test_an_oversized_upload_is_refused(client, alice, workspace, settings) -> None:
    settings.MAX_UPLOAD_MB = 0
    client.force_login(alice)

    response = upload(client, "big.jsonl", json.dumps({"x": 1}).encode(), "jsonl")

    assert response.status_code == 200
    assert "limit" in response.content.decode() or "上限" in response.content.decode()
    assert ImportRun.objects.count() == 0


def test_an_analyst_sees_imports_but_cannot_upload(client, django_user_model, workspace):
    bob = django_user_model.objects.create_user("bob", password="bob-password-1")
    WorkspaceMembership.objects.create(workspace=workspace, user=bob, role=Role.ANALYST)
    client.force_login(bob)

    page = client.get(reverse("imports", args=["acme"]))
    response = upload(client, "a.jsonl", b"{}", "jsonl")

    assert page.status_code == 200
    assert "upload-form" not in page.content.decode()
    assert response.status_code == 403
