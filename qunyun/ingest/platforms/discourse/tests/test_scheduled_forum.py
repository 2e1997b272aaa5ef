"""A forum configured once (``qunyun forum add``) is synced by the scheduler on its own:
the scheduler's tick claims the due slot, the task worker runs it against a live forum
(a local one), and each run keeps how it ended."""

from __future__ import annotations

import zipfile
from collections.abc import Iterator
from datetime import datetime
from io import StringIO
from pathlib import Path
from typing import Any

import pytest
import time_machine
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection

from qunyun.activity.models import Activity
from qunyun.audit.models import AuditEvent
from qunyun.backups.archive import do_backup, do_restore
from qunyun.conftest import utc
from qunyun.encryption import unseal
from qunyun.ingest.models import Forum, ImportRun
from qunyun.ingest.platforms.discourse.tests.forum_server import (
    API_KEY,
    Failure,
    FakeForum,
    serve,
)
from qunyun.scheduling.models import RunStatus, Schedule, ScheduledRun
from qunyun.workspaces.models import Workspace

pytestmark = pytest.mark.django_db(transaction=True)

ADDED_AT = utc(2026, 12, 7, 1, 2)


@pytest.fixture(autouse=True)
def _no_proxy(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("http_proxy", "HTTP_PROXY", "QUNYUN_DISCOURSE_API_KEY"):
        monkeypatch.delenv(name, raising=False)


@pytest.fixture
def forum() -> Iterator[FakeForum]:
    with serve(FakeForum()) as running:
        yield running


def forum_command(*args: str) -> str:
    out = StringIO()
    call_command("forum", *args, stdout=out)
    return out.getvalue()


def add_forum(forum: FakeForum, *extra: str, key: str = API_KEY) -> Forum:
    with time_machine.travel(ADDED_AT, tick=False):
        forum_command(
            "add", "--workspace", "forum", "--url", forum.url + "/", "--api-key", key, *extra
        )
    return Forum.objects.select_related("schedule").get()


def tick_and_work(at: datetime) -> list[ScheduledRun]:
    """What ``qunyun serve``'s scheduler and worker do at ``at``: claim the due runs,
    then run every task that is due; return the sync runs, oldest first."""
    with time_machine.travel(at, tick=True):
        call_command("scheduler", once=True, stdout=StringIO())
        call_command("db_worker", batch=True, no_startup_delay=True, verbosity=0)
    return list(ScheduledRun.objects.filter(schedule__job="discourse_sync").order_by("due_at"))


def stored_key_column() -> str:
    with connection.cursor() as cursor:
        cursor.execute("SELECT api_key_sealed FROM ingest_forum")
        (value,) = cursor.fetchone()
    return str(value)


def test_adding_a_forum_checks_the_key_stores_it_encrypted_and_schedules_it(forum):
    out = StringIO()
    with time_machine.travel(ADDED_AT, tick=False):
        call_command(
            "forum",
            "add",
            "--workspace",
            "forum",
            "--url",
            forum.url + "/",
            "--api-key",
            API_KEY,
            stdout=out,
        )

    stored = Forum.objects.select_related("schedule", "workspace").get()
    schedule = Schedule.objects.get()
    assert forum.paths() == ["/posts.json"]  # the key was tried once
    assert (stored.workspace.slug, stored.base_url, stored.api_username) == (
        "forum",
        forum.url,
        "system",
    )
    assert (schedule.job, schedule.workspace, schedule.cron, schedule.enabled) == (
        "discourse_sync",
        stored.workspace,
        "*/10 * * * *",
        True,
    )
    assert stored.schedule == schedule
    assert f"Added forum {stored.pk}: {forum.url} into “forum”" in out.getvalue()
    # The database holds a Fernet token, not the key; only the secret key opens it.
    column = stored_key_column()
    assert API_KEY not in column and column.startswith("gAAAAA")
    assert unseal(column) == API_KEY
    added = AuditEvent.objects.get(action="forum_added")
    assert added.params["url"] == forum.url and API_KEY not in str(added.params)
    assert API_KEY not in out.getvalue()


def test_the_due_run_imports_the_forum_and_the_next_run_only_what_is_new(forum):
    add_forum(forum, "--no-check")

    (first,) = tick_and_work(utc(2026, 12, 7, 1, 10, 5))

    assert (first.due_at, first.status, first.error) == (
        utc(2026, 12, 7, 1, 10),
        RunStatus.SUCCEEDED,
        "",
    )
    assert first.result == {
        "forum": forum.url,
        "after_post": 0,
        "records_read": 11,
        "activities_added": 11,
        "already_present": 0,
        "members_added": first.result["members_added"],
        "refresh_requested": True,
    }
    assert first.result["members_added"] > 0
    assert Activity.objects.filter(source="discourse").count() == 11
    # The refresh of members, segments and scores waits for the next minute, debounced.
    refresh = ScheduledRun.objects.get(schedule__job="refresh_after_activities")
    assert (refresh.due_at, refresh.status) == (utc(2026, 12, 7, 1, 11), RunStatus.QUEUED)

    forum.add_post(
        forum.posts[0]
        | {"id": 131, "post_number": 2, "reply_to_post_number": 1, "raw": "谢谢 Thanks!"}
    )
    first_run, second = tick_and_work(utc(2026, 12, 7, 1, 20, 5))

    assert first_run == first
    assert (second.due_at, second.status) == (utc(2026, 12, 7, 1, 20), RunStatus.SUCCEEDED)
    assert second.result is not None
    assert (second.result["after_post"], second.result["records_read"]) == (120, 1)
    assert second.result["activities_added"] == 1
    ids = list(Activity.objects.filter(source="discourse").values_list("external_id", flat=True))
    assert len(ids) == len(set(ids)) == 12
    refresh.refresh_from_db()
    assert refresh.status == RunStatus.SUCCEEDED
    assert refresh.result is not None and refresh.result["activities_added"] == 11


def test_a_slot_without_new_posts_writes_no_import_run(forum):
    add_forum(forum, "--no-check")
    tick_and_work(utc(2026, 12, 7, 1, 10, 5))

    runs = tick_and_work(utc(2026, 12, 7, 1, 20, 5))

    assert [run.status for run in runs] == [RunStatus.SUCCEEDED] * 2
    assert runs[1].result is not None and runs[1].result["records_read"] == 0
    assert ImportRun.objects.count() == 1  # only the run that imported the forum
    assert ScheduledRun.objects.filter(schedule__job="refresh_after_activities").count() == 1


def test_a_refused_key_fails_the_run_with_the_reason_and_the_next_slot_tries_again(forum):
    add_forum(forum)
    forum.failures.append(Failure("/posts.json", 403))

    (failed,) = tick_and_work(utc(2026, 12, 7, 1, 10, 5))

    assert failed.status == RunStatus.FAILED and failed.ended_at is not None
    assert failed.error == (
        f"Syncing {forum.url} failed; nothing was written and the next run tries again. "
        "The forum refused /posts.json (HTTP 403): check the API key, its user "
        "(Api-Username) and that its scope allows reading."
    )
    assert Activity.objects.count() == 0

    runs = tick_and_work(utc(2026, 12, 7, 1, 20, 5))

    assert [run.status for run in runs] == [RunStatus.FAILED, RunStatus.SUCCEEDED]
    assert Activity.objects.filter(source="discourse").count() == 11


def test_a_wrong_key_is_refused_when_added_and_never_shown_when_it_fails_later(forum):
    wrong = "not-the-key-7d1e"
    with pytest.raises(CommandError, match="HTTP 403"):
        add_forum(forum, key=wrong)
    assert not Forum.objects.exists() and not Workspace.objects.filter(slug="forum").exists()
    assert not Schedule.objects.filter(job="discourse_sync").exists()

    add_forum(forum, "--no-check", key=wrong)
    (failed,) = tick_and_work(utc(2026, 12, 7, 1, 10, 5))

    assert failed.status == RunStatus.FAILED
    assert "HTTP 403" in failed.error and wrong not in failed.error
    assert not ImportRun.objects.exists()  # refused before any import began


def test_a_changed_secret_key_fails_the_run_saying_what_to_do(forum, settings):
    add_forum(forum, "--no-check")
    settings.ENCRYPTION_KEYS = ["another-installation-secret-key-0123456789"]

    (failed,) = tick_and_work(utc(2026, 12, 7, 1, 10, 5))

    assert failed.status == RunStatus.FAILED
    assert "A stored secret cannot be decrypted" in failed.error
    assert "QUNYUN_ENCRYPTION_KEY" in failed.error
    assert forum.requests == []  # nothing was sent without a key

    # The old key after a new one still opens it (rotation).
    settings.ENCRYPTION_KEYS = ["another-installation-secret-key-0123456789", settings.SECRET_KEY]
    assert unseal(Forum.objects.get().api_key_sealed) == API_KEY


def test_forum_list_shows_the_last_and_next_sync_and_remove_takes_the_schedule(forum):
    stored = add_forum(forum, "--no-check")
    assert stored.schedule is not None
    tick_and_work(utc(2026, 12, 7, 1, 10, 5))

    with time_machine.travel(utc(2026, 12, 7, 1, 12), tick=False):
        listing = forum_command("list")

    assert forum.url in listing and "*/10 * * * *" in listing
    assert "last: 2026-12-07 09:10 succeeded" in listing  # in Asia/Shanghai
    assert "next: 2026-12-07 09:20" in listing
    assert API_KEY not in listing and stored.api_key_sealed not in listing

    out = forum_command("remove", str(stored.pk))

    assert f"Removed forum {stored.pk}" in out
    assert not Forum.objects.exists()
    assert not Schedule.objects.filter(pk=stored.schedule.pk).exists()
    assert Activity.objects.filter(source="discourse").count() == 11  # the imports stay
    assert AuditEvent.objects.filter(action="forum_removed").count() == 1
    assert "No forums yet" in forum_command("list")


def test_one_forum_per_workspace_and_bad_input_say_what_is_wrong(forum):
    add_forum(forum, "--no-check")

    with pytest.raises(CommandError, match="already syncs .* a workspace syncs one forum"):
        add_forum(forum, "--no-check")
    with pytest.raises(CommandError, match="is not a cron timetable"):
        forum_command(
            "add", "--workspace", "other", "--url", forum.url, "--api-key", "k", "--no-check",
            "--cron", "every ten minutes",
        )  # fmt: skip
    with pytest.raises(CommandError, match="is not an http:// or https:// address"):
        forum_command("add", "--workspace", "other", "--url", "forum.example", "--api-key", "k")
    with pytest.raises(CommandError, match="No API key: set QUNYUN_DISCOURSE_API_KEY"):
        forum_command("add", "--workspace", "other", "--url", forum.url)
    with pytest.raises(CommandError, match="No forum 999"):
        forum_command("remove", "999")
    assert Forum.objects.count() == 1
    assert not Workspace.objects.filter(slug="other").exists()


def test_a_backup_holds_the_key_only_encrypted_and_restores_the_forum(forum, tmp_path: Path):
    add_forum(forum, "--no-check")

    do_backup(tmp_path / "backup.zip")

    with zipfile.ZipFile(tmp_path / "backup.zip") as archive:
        contents = b"".join(archive.read(name) for name in archive.namelist())
    assert Forum.objects.get().api_key_sealed.encode() in contents
    assert API_KEY.encode() not in contents

    forum_command("remove", str(Forum.objects.get().pk))
    do_restore(tmp_path / "backup.zip")

    restored = Forum.objects.select_related("schedule").get()
    assert restored.schedule is not None and restored.schedule.job == "discourse_sync"
    assert unseal(restored.api_key_sealed) == API_KEY


def test_the_key_may_come_from_the_environment(forum, monkeypatch: Any):
    monkeypatch.setenv("QUNYUN_DISCOURSE_API_KEY", API_KEY)

    forum_command("add", "--workspace", "forum", "--url", forum.url)

    assert unseal(Forum.objects.get().api_key_sealed) == API_KEY
    assert forum.requests[0].headers["api-key"] == API_KEY


def test_a_forum_added_with_a_wrong_key_syncs_after_set_key(forum):
    wrong = "not-the-key-7d1e"
    stored = add_forum(forum, "--no-check", key=wrong)
    (failed,) = tick_and_work(utc(2026, 12, 7, 1, 10, 5))
    assert failed.status == RunStatus.FAILED

    with pytest.raises(CommandError, match="HTTP 403"):  # a new key is tried first, too
        forum_command("set-key", str(stored.pk), "--api-key", "still-not-it")
    with pytest.raises(CommandError, match="No forum 999"):
        forum_command("set-key", "999", "--api-key", API_KEY)
    said = forum_command("set-key", str(stored.pk), "--api-key", API_KEY)

    assert f"Forum {stored.pk} ({forum.url}) has a new API key, stored encrypted." in said
    assert API_KEY not in stored_key_column() and unseal(stored_key_column()) == API_KEY
    replaced = AuditEvent.objects.get(action="forum_key_replaced")
    assert API_KEY not in str(replaced.params) and replaced.target == f"forum:{stored.pk}"
    runs = tick_and_work(utc(2026, 12, 7, 1, 20, 5))
    assert [run.status for run in runs] == [RunStatus.FAILED, RunStatus.SUCCEEDED]
    assert Activity.objects.filter(source="discourse").count() == 11
