"""``qunyun sync discourse`` as an operator runs it against a live forum (a local one)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from qunyun.activity.models import Activity, Channel
from qunyun.audit.models import AuditEvent
from qunyun.conftest import channel, message, utc
from qunyun.ingest.models import ImportRun
from qunyun.ingest.pipeline import do_import_records
from qunyun.ingest.platforms.discourse.tests.forum_server import (
    API_KEY,
    Failure,
    FakeForum,
    serve,
)
from qunyun.ingest.selectors import discourse_cursor
from qunyun.workspaces.models import Workspace


@pytest.fixture(autouse=True)
def _no_proxy(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("http_proxy", "HTTP_PROXY", "QUNYUN_DISCOURSE_API_KEY"):
        monkeypatch.delenv(name, raising=False)


@pytest.fixture
def forum() -> Iterator[FakeForum]:
    with serve(FakeForum()) as running:
        yield running


def sync(forum: FakeForum, capsys: Any, **options: Any) -> str:
    options.setdefault("api_key", API_KEY)
    call_command("sync", "discourse", url=forum.url, workspace="forum", no_progress=True, **options)
    return str(capsys.readouterr().out)


def test_a_first_sync_writes_the_forum_and_a_second_adds_nothing(db, forum, capsys):
    first = sync(forum, capsys)
    second = sync(forum, capsys)

    workspace = Workspace.objects.get(slug="forum")
    assert Activity.objects.filter(workspace=workspace, source="discourse").count() == 11
    assert "(posts after #0): 11 records read, 11 activities added" in first
    assert "(posts after #120): 0 records read, 0 activities added" in second
    assert dict(Channel.objects.values_list("external_id", "name")) == {
        "5": "公告 Announcements",
        "7": "问答 Q&A",
        "9": "Telegram",
        "12": "category 12",
    }
    runs = ImportRun.objects.order_by("id")
    assert [(r.format, r.file_name, r.activities_added) for r in runs] == [
        ("discourse", forum.url, 11),
        ("discourse", forum.url, 0),
    ]


def test_a_later_sync_adds_only_the_new_post_linked_to_its_target(db, forum, capsys):
    sync(forum, capsys)
    forum.add_post(
        forum.posts[0]  # post 120, the starter of topic 41
        | {
            "id": 131,
            "post_number": 2,
            "reply_to_post_number": 1,
            "user_id": 3,
            "username": "wangfang",
            "name": None,
            "created_at": "2024-09-25T02:00:00.000Z",
            "updated_at": "2024-09-25T02:00:00.000Z",
            "raw": "很有用，谢谢！Thanks!",
        }
    )

    out = sync(forum, capsys)

    assert "(posts after #120): 1 records read, 1 activities added" in out
    reply = Activity.objects.get(external_id="131")
    assert (reply.kind, reply.reply_to, reply.thread, reply.channel.external_id) == (
        "reply",
        "120",
        "41",
        "12",
    )
    assert discourse_cursor(Workspace.objects.get(slug="forum")) == 131


def test_the_api_key_can_come_from_the_environment(db, forum, capsys, monkeypatch):
    monkeypatch.setenv("QUNYUN_DISCOURSE_API_KEY", API_KEY)

    out = sync(forum, capsys, api_key="")

    assert "11 activities added" in out
    assert forum.requests[0].headers["api-key"] == API_KEY


def test_without_a_key_the_command_says_where_to_put_one(db, forum, capsys):
    with pytest.raises(CommandError, match="QUNYUN_DISCOURSE_API_KEY"):
        sync(forum, capsys, api_key="")


def test_a_refused_key_writes_nothing_and_says_why(db, forum, capsys):
    forum.failures.append(Failure("/posts.json", 401))

    with pytest.raises(CommandError) as caught:
        sync(forum, capsys)

    message = str(caught.value)
    assert "nothing was written" in message
    assert "HTTP 401" in message
    assert API_KEY not in message
    assert Activity.objects.count() == 0
    # A failed first sync into a new workspace leaves no workspace (and so no run) behind;
    # the audit log keeps the failure.
    assert not Workspace.objects.exists() and not ImportRun.objects.exists()
    failed = AuditEvent.objects.get(action="import_failed")
    assert "HTTP 401" in failed.params["message"] and API_KEY not in str(failed.params)


def test_a_failure_after_some_pages_writes_nothing_and_keeps_the_cursor(db, forum, capsys):
    forum.page_size = 4
    sync(forum, capsys)
    forum.add_post(forum.posts[0] | {"id": 140, "post_number": 9, "reply_to_post_number": 1})
    forum.add_post(forum.posts[0] | {"id": 141, "post_number": 10, "raw": "新帖 new"})
    forum.failures.append(Failure("/site.json", 403))  # names are optional: still syncs …
    forum.failures.append(Failure("/t/41.json", 401))  # … but a refused key is not

    with pytest.raises(CommandError, match="nothing was written"):
        sync(forum, capsys)

    assert Activity.objects.count() == 11
    assert discourse_cursor(Workspace.objects.get(slug="forum")) == 120


def test_the_cursor_counts_only_numeric_discourse_ids(db):
    workspace = Workspace.objects.create(slug="mixed", name="Mixed")
    when = utc(2024, 9, 21, 12)
    do_import_records(
        workspace,
        [
            channel("general", source="discourse"),
            message("d-900", when, "1", source="discourse", channel="general"),
            message("99", when, "1", source="discourse", channel="general"),
            message("5000", when, "1", source="telegram"),
        ],
        file_name="mixed.jsonl",
        format_name="jsonl",
    )

    assert discourse_cursor(workspace) == 99
    assert discourse_cursor(Workspace.objects.create(slug="empty", name="Empty")) == 0
