"""In a real browser: log in, see the dashboard's charts drawn, switch the language.

Drives Debian's Chromium through Playwright (never a downloaded browser).
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from typing import Any

import pytest

from qunyun.conftest import channel, message, utc
from qunyun.ingest.pipeline import do_import_records
from qunyun.ingest.records import ActivityKind
from qunyun.workspaces.models import Role, Workspace, WorkspaceMembership

pytestmark = pytest.mark.browser

CHROMIUM = os.environ.get("QUNYUN_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    if not shutil.which(CHROMIUM):
        pytest.fail(f"Chromium not found at {CHROMIUM}: apt-get install -y chromium")
    # Playwright's sync API runs an event loop in this thread; the live server's ORM
    # calls happen in the server thread, the test's own set-up before the loop starts.
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def seeded(transactional_db: None, django_user_model: Any) -> Workspace:
    workspace = Workspace.objects.create(slug="acme", name="Acme 用户社区")
    user = django_user_model.objects.create_user("alice", password="alice-password-1")
    WorkspaceMembership.objects.create(workspace=workspace, user=user, role=Role.OWNER)
    records = [channel()]
    for day in range(1, 29):
        for person in range(day % 7 + 3):
            records.append(
                message(f"{day}-{person}", utc(2026, 2, day, 12, person), f"user{person}")
            )
    records.append(message("r", utc(2026, 2, 28, 13), "user1", kind=ActivityKind.REACTION))
    do_import_records(workspace, records, file_name="seed", format_name="jsonl")
    return workspace


def test_log_in_see_the_charts_and_switch_language(browser, live_server, seeded, tmp_path):
    page = browser.new_page(locale="zh-CN")
    problems: list[str] = []
    page.on("console", lambda msg: problems.append(msg.text) if msg.type == "error" else None)
    page.on("pageerror", lambda error: problems.append(str(error)))

    page.goto(f"{live_server.url}/")
    page.fill("#id_username", "alice")
    page.fill("#id_password", "alice-password-1")
    page.click("button[type=submit].primary")
    page.wait_for_url(f"{live_server.url}/w/acme/")

    for chart in ("active", "new", "messages"):
        page.wait_for_selector(f'[data-chart="{chart}"][data-rendered="true"]', timeout=15000)
        assert page.locator(f'[data-chart="{chart}"] svg.main-svg').count() >= 1
    assert page.locator('[data-chart="active"] .scatterlayer .trace').count() == 3
    assert page.locator('[data-kpi="members_total"]').inner_text() == "9"
    assert page.locator("html").get_attribute("lang") == "zh-hans"
    assert page.get_by_text("每日消息数").is_visible()
    page.screenshot(path=str(tmp_path / "overview-zh.png"), full_page=True)

    page.click('button[data-lang="en"]')
    page.wait_for_selector('html[lang="en"]')
    page.wait_for_selector('[data-chart="messages"][data-rendered="true"]')
    assert page.get_by_text("Messages per day").is_visible()

    page.click('button[data-lang="zh-hans"]')
    page.wait_for_selector('html[lang="zh-hans"]')
    assert page.get_by_text("每日消息数").is_visible()
    assert problems == []
