"""Point the import page at a forum: the worker syncs it; the key never lands in the queue."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from django.core.management import call_command
from django.urls import reverse
from django_tasks_db.models import DBTaskResult

from qunyun.activity.models import Activity
from qunyun.ingest.models import ImportRun
from qunyun.ingest.platforms.discourse.tests.forum_server import API_KEY, FakeForum, serve


@pytest.fixture
def forum() -> Iterator[FakeForum]:
    with serve(FakeForum()) as running:
        yield running


def test_a_forum_sync_from_the_import_page(client, alice, workspace, transactional_db, forum):
    client.force_login(alice)

    response = client.post(
        reverse("imports", args=["acme"]),
        {"action": "discourse", "url": forum.url, "api_key": API_KEY, "api_username": "system"},
    )
    run = ImportRun.objects.get()
    queued_args = str(list(DBTaskResult.objects.values_list("args_kwargs", flat=True)))
    call_command("db_worker", batch=True, no_startup_delay=True, verbosity=0)

    run.refresh_from_db()
    assert response.status_code == 302
    assert API_KEY not in queued_args
    assert run.status == ImportRun.Status.SUCCEEDED
    assert run.activities_added == 11
    assert Activity.objects.filter(workspace=workspace, source="discourse").count() == 11


def test_a_wrong_key_fails_with_a_clear_message(client, alice, workspace, transactional_db, forum):
    client.force_login(alice)

    client.post(
        reverse("imports", args=["acme"]),
        {"action": "discourse", "url": forum.url, "api_key": "wrong", "api_username": "system"},
    )
    call_command("db_worker", batch=True, no_startup_delay=True, verbosity=0)

    run = ImportRun.objects.get()
    assert run.status == ImportRun.Status.FAILED
    assert run.errors and "wrong" not in run.errors[0]["message"]
    assert Activity.objects.count() == 0
