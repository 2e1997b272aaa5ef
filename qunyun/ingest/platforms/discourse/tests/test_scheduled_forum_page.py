"""The imports page's "forum synced on a schedule": add it once, see its last and next
sync, stop it; the key is never shown back."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from django.core.management import call_command
from django.urls import reverse

from qunyun.activity.models import Activity
from qunyun.audit.models import AuditEvent
from qunyun.conftest import utc
from qunyun.ingest.models import Forum
from qunyun.ingest.platforms.discourse.tests.forum_server import (
    API_KEY,
    Failure,
    FakeForum,
    serve,
)
from qunyun.ingest.platforms.discourse.tests.test_scheduled_forum import tick_and_work
from qunyun.scheduling.models import RunStatus, Schedule, ScheduledRun
from qunyun.team.actions import do_add_workspace_member
from qunyun.workspaces.models import Role

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def forum() -> Iterator[FakeForum]:
    with serve(FakeForum()) as running:
        yield running


def add(client: Any, forum: FakeForum, key: str = API_KEY) -> Any:
    return client.post(
        reverse("imports", args=["acme"]),
        {
            "action": "forum_add",
            "scheduled-url": forum.url,
            "scheduled-api_key": key,
            "scheduled-api_username": "system",
        },
        follow=True,
    )


def test_an_owner_adds_the_forum_and_sees_it_without_its_key(client, alice, workspace, forum):
    client.force_login(alice)

    page = add(client, forum).content.decode()

    stored = Forum.objects.get(workspace=workspace)
    assert stored.schedule is not None and stored.schedule.cron == "*/10 * * * *"
    assert "The forum is synced every 10 minutes from now on." in page
    assert forum.url in page and "Last sync" in page and "not yet" in page
    assert API_KEY not in page and stored.api_key_sealed not in page
    assert 'id="forum-add-form"' not in page  # one forum per workspace


def test_a_refused_key_is_said_on_the_form_and_nothing_is_saved(client, alice, workspace, forum):
    client.force_login(alice)

    page = add(client, forum, key="wrong-key-5150").content.decode()

    assert "HTTP 403" in page and "check the API key" in page
    assert "wrong-key-5150" not in page
    assert not Forum.objects.exists() and not Schedule.objects.filter(job="discourse_sync")


def test_a_failed_sync_shows_its_reason_and_stopping_removes_the_schedule(
    client, alice, workspace, forum
):
    client.force_login(alice)
    add(client, forum)
    stored = Forum.objects.get()
    Schedule.objects.filter(pk=stored.schedule_id).update(created_at=utc(2026, 12, 7, 1, 2))
    forum.failures.append(Failure("/posts.json", 401))
    tick_and_work(utc(2026, 12, 7, 1, 10, 5))

    page = client.get(reverse("imports", args=["acme"])).content.decode()
    assert 'data-forum-last="failed"' in page and "HTTP 401" in page

    response = client.post(
        reverse("imports", args=["acme"]), {"action": "forum_remove", "forum": stored.pk}
    )

    assert response.status_code == 302
    assert not Forum.objects.exists()
    assert not Schedule.objects.filter(pk=stored.schedule_id).exists()


def test_a_role_without_import_may_not_add_or_remove(
    client, django_user_model, workspace, forum, alice
):
    analyst = django_user_model.objects.create_user("ann", password="a-long-password-1")
    do_add_workspace_member(workspace, analyst, Role.ANALYST)
    client.force_login(analyst)

    assert add(client, forum).status_code == 403
    page = client.get(reverse("imports", args=["acme"])).content.decode()
    assert 'id="forum-add-form"' not in page and "No forum is synced" in page
    assert not Forum.objects.exists()


def test_a_configured_forum_syncs_now_from_its_row_without_its_key_again(
    client, alice, workspace, forum
):
    client.force_login(alice)
    page = add(client, forum).content.decode()
    assert 'id="discourse-form"' not in page  # the one-off form would ask for the key again
    stored = Forum.objects.get()

    queued = client.post(
        reverse("imports", args=["acme"]),
        {"action": "forum_sync_now", "forum": stored.pk},
        follow=True,
    ).content.decode()

    assert "A sync of the forum is queued" in queued
    (run,) = ScheduledRun.objects.filter(schedule=stored.schedule)
    assert run.requested and run.status == RunStatus.QUEUED
    call_command("db_worker", batch=True, no_startup_delay=True, verbosity=0)
    run.refresh_from_db()
    assert run.status == RunStatus.SUCCEEDED
    assert Activity.objects.filter(workspace=workspace, source="discourse").count() == 11
    assert AuditEvent.objects.filter(action="schedule_run_requested", actor=alice).count() == 1
    missing = client.post(
        reverse("imports", args=["acme"]), {"action": "forum_sync_now", "forum": stored.pk + 99}
    )
    assert missing.status_code == 404


def test_without_a_configured_forum_the_one_off_sync_form_is_there(client, alice, workspace):
    client.force_login(alice)
    page = client.get(reverse("imports", args=["acme"])).content.decode()
    assert 'id="discourse-form"' in page and 'id="forum-add-form"' in page
