"""Shared test set-up: personas (owner, teammate, outsider) and a clean data dir per test."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import pytest
from django.core.cache import cache
from django.utils import translation

from qunyun.ingest.records import ActivityKind, ActivityRecord, ChannelRecord, PersonRef
from qunyun.workspaces.models import Role, Workspace, WorkspaceMembership


@pytest.fixture(autouse=True)
def data_dir(settings: Any, tmp_path: Any) -> Iterator[Any]:
    settings.DATA_DIR = tmp_path
    settings.SNAPSHOT_DIR = tmp_path / "snapshots"
    cache.clear()
    # Code outside a request speaks English in tests unless a test asks for Chinese;
    # requests pick their language as in production (cookie, Accept-Language, default).
    with translation.override("en"):
        yield tmp_path
    cache.clear()


@pytest.fixture
def client() -> Any:
    """The test client, speaking English unless a request asks for another language."""
    from django.test import Client

    return Client(HTTP_ACCEPT_LANGUAGE="en")


@pytest.fixture
def workspace(db: None) -> Workspace:
    return Workspace.objects.create(slug="acme", name="Acme 用户社区", time_zone="Asia/Shanghai")


@pytest.fixture
def other_workspace(db: None) -> Workspace:
    return Workspace.objects.create(slug="rival", name="Rival community")


@pytest.fixture
def alice(django_user_model: Any, workspace: Workspace) -> Any:
    """Alice owns the Acme workspace."""
    user = django_user_model.objects.create_user("alice", password="alice-password-1")
    WorkspaceMembership.objects.create(workspace=workspace, user=user, role=Role.OWNER)
    return user


@pytest.fixture
def charlie(django_user_model: Any, other_workspace: Workspace) -> Any:
    """Charlie belongs to another workspace only."""
    user = django_user_model.objects.create_user("charlie", password="charlie-password-1")
    WorkspaceMembership.objects.create(workspace=other_workspace, user=user, role=Role.OWNER)
    return user


def utc(*args: int) -> datetime:
    return datetime(*args).replace(tzinfo=UTC)  # type: ignore[arg-type]


def message(
    external_id: str,
    when: datetime,
    person: str,
    *,
    kind: ActivityKind = ActivityKind.MESSAGE,
    name: str = "",
    channel: str = "g1",
    source: str = "telegram",
    text: str = "",
    reply_to: str | None = None,
) -> ActivityRecord:
    """A canonical record, for tests that feed the pipeline directly."""
    return ActivityRecord(
        source=source,
        channel=channel,
        external_id=external_id,
        kind=kind,
        occurred_at=when,
        author=PersonRef(external_id=person, display_name=name or person),
        text=text,
        reply_to=reply_to,
    )


def channel(
    external_id: str = "g1", name: str = "用户群", source: str = "telegram"
) -> ChannelRecord:
    return ChannelRecord(source=source, external_id=external_id, name=name)


# -- the URL coverage gate (docs/security.md) ----------------------------------------------

URL_COVERAGE = "qunyun.testing.url_coverage.UrlCoverageRecorder"


@pytest.fixture(autouse=True, scope="session")
def record_url_coverage() -> Iterator[None]:
    from django.conf import settings as django_settings

    django_settings.MIDDLEWARE = [*django_settings.MIDDLEWARE, URL_COVERAGE]
    yield


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Tests that do not use the suite's database (Spark against DuckDB, real `qunyun`
    processes on their own SQLite file) are marked ``once``: the PostgreSQL pass of
    `make test` leaves them out, having nothing different to check."""
    for item in items:
        if "spark" in getattr(item, "fixturenames", ()):
            item.add_marker(pytest.mark.once)


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    """With QUNYUN_URL_COVERAGE=1 (a full run, as `make test` does), fail when a URL
    pattern or API operation had no successful call in the whole suite."""
    import os

    if os.environ.get("QUNYUN_URL_COVERAGE") != "1" or session.testsfailed:
        return
    from qunyun.testing.url_coverage import missing

    gaps = missing()
    if gaps:
        reporter = session.config.pluginmanager.get_plugin("terminalreporter")
        if reporter is not None:
            reporter.write_line(
                "URL coverage gate: no successful call in any test for:\n  " + "\n  ".join(gaps),
                red=True,
            )
        session.exitstatus = 1
