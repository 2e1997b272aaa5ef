"""What a page seen before may skip (benchmarks/web_load.py), and what it must not.

The overview and the profile keep rendered parts in the cache and ask the database only
what tells whether those parts are still right; these tests hold them to being right.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from django.db import connection
from django.urls import reverse

from qunyun.analytics.freshness import latest_activity_id
from qunyun.conftest import channel, message, utc
from qunyun.ingest.pipeline import do_import_records
from qunyun.ingest.records import ActivityKind
from qunyun.members.models import Member


@contextmanager
def statements() -> Iterator[list[str]]:
    """Every SQL statement the block sends (the test client resets Django's own log)."""
    seen: list[str] = []

    def record(execute: Any, sql: str, params: Any, many: bool, context: Any) -> Any:
        seen.append(sql)
        return execute(sql, params, many, context)

    with connection.execute_wrapper(record):
        yield seen


def _import(workspace: Any, *records: Any) -> None:
    do_import_records(workspace, [channel(), *records], file_name="t", format_name="jsonl")


def test_latest_activity_id_follows_imports_of_this_and_other_workspaces(
    workspace, other_workspace
) -> None:
    assert latest_activity_id(workspace) == 0
    _import(workspace, message("1", utc(2026, 3, 1, 9), "ann"))
    first = latest_activity_id(workspace)
    assert first > 0

    _import(other_workspace, message("1", utc(2026, 3, 1, 9), "bob"))
    assert latest_activity_id(workspace) == first
    assert latest_activity_id(other_workspace) > first

    _import(workspace, message("2", utc(2026, 3, 2, 9), "ann"))
    assert latest_activity_id(workspace) > latest_activity_id(other_workspace)


def test_a_page_seen_again_writes_no_session_and_renders_no_figures(
    client, alice, workspace
) -> None:
    _import(workspace, message("1", utc(2026, 3, 1, 9), "ann"))
    client.force_login(alice)
    url = reverse("overview", args=[workspace.slug])
    client.get(url)

    with statements() as sql:
        response = client.get(url)

    assert response.status_code == 200
    assert not [s for s in sql if "django_session" in s and not s.startswith("SELECT")]
    assert not [s for s in sql if "activity_activity" in s and "ORDER BY" in s]


def test_the_overview_shows_an_import_made_after_it_was_cached(client, alice, workspace) -> None:
    def members_shown() -> str:
        html = client.get(url).content.decode()
        return html.split('data-kpi="members_total">', 1)[1].split("<", 1)[0]

    _import(workspace, message("1", utc(2026, 3, 1, 9), "ann"))
    client.force_login(alice)
    url = reverse("overview", args=[workspace.slug])
    assert members_shown() == members_shown() == "1"

    _import(workspace, message("2", utc(2026, 3, 2, 9), "bob"))

    assert members_shown() == "2"


@pytest.mark.parametrize("language", ["en", "zh-hans"])
def test_the_profile_timeline_shows_new_activities_and_the_readers_language(
    client, alice, workspace, language
) -> None:
    _import(workspace, message("1", utc(2026, 3, 1, 9), "ann", text="first words"))
    member = Member.objects.get(identities__external_id="ann")
    client.force_login(alice)
    url = reverse("member_profile", args=[workspace.slug, member.pk])
    assert "first words" in client.get(url, HTTP_ACCEPT_LANGUAGE=language).content.decode()

    _import(
        workspace,
        message("2", utc(2026, 3, 2, 9), "ann", text="second words", kind=ActivityKind.REPLY),
    )
    html = client.get(url, HTTP_ACCEPT_LANGUAGE=language).content.decode()
    other = client.get(url, HTTP_ACCEPT_LANGUAGE="en" if language != "en" else "zh-hans")

    assert "first words" in html and "second words" in html
    assert ("Reply" in html) == (language == "en")
    assert ("回复" in html) == (language != "en")
    assert ("Reply" in other.content.decode()) == (language != "en")
