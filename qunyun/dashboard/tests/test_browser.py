"""In a real browser: log in, see the dashboard's charts drawn, switch the language.

Drives Debian's Chromium through Playwright (never a downloaded browser).
"""

from __future__ import annotations

import os
import re
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


OVERVIEW_CHARTS = ("growth", "engagement", "response", "lifecycle", "retention", "segments",
                   "hours")  # fmt: skip


def test_the_overview_charts_draw_in_both_languages_and_follow_the_period(
    browser, live_server, seeded, tmp_path
):
    page = browser.new_page(locale="zh-CN", viewport={"width": 1280, "height": 900})
    problems: list[str] = []
    page.on("console", lambda msg: problems.append(msg.text) if msg.type == "error" else None)
    page.on("pageerror", lambda error: problems.append(str(error)))
    page.goto(f"{live_server.url}/")
    page.fill("#id_username", "alice")
    page.fill("#id_password", "alice-password-1")
    page.click("button[type=submit].primary")
    page.wait_for_url(f"{live_server.url}/w/acme/")

    def charts_drawn() -> None:
        for chart in OVERVIEW_CHARTS:
            page.wait_for_selector(f'[data-chart="{chart}"][data-rendered="true"]', timeout=15000)
            assert page.locator(f'[data-chart="{chart}"] svg.main-svg').count() >= 1, chart

    def points(chart: str) -> int:
        return page.evaluate(f"document.querySelector('[data-chart={chart}]').data[0].x.length")

    charts_drawn()
    # February 2026 by week: the weeks of Jan 26, Feb 2, 9, 16 and 23.
    assert points("growth") == 5
    assert points("hours") == 24
    assert set(page.locator('[data-chart="hours"] .ytick text').all_text_contents()) == {
        "星期一", "星期二", "星期三", "星期四", "星期五", "星期六", "星期日"
    }  # fmt: skip
    assert page.locator("#filter-period").input_value() == "week"
    page.screenshot(path=str(tmp_path / "overview-sections-zh.png"), full_page=True)

    page.select_option("#filter-period", "month")
    page.wait_for_url(re.compile(r"/w/acme/\?period=month"))
    for _ in range(100):  # wait_for_function would eval a string, which the CSP forbids
        if page.evaluate("document.querySelector('[data-chart=growth]').data?.[0].x.length") == 1:
            break
        page.wait_for_timeout(100)
    charts_drawn()
    assert points("lifecycle") == 1
    assert "period=month" in page.locator('[data-export="cohorts-csv"]').get_attribute("href")

    page.click('button[data-lang="en"]')
    page.wait_for_selector('html[lang="en"]')
    charts_drawn()
    assert page.locator("#filter-period").input_value() == "month"
    assert page.get_by_text("Growth: members who joined and left per period").is_visible()
    assert "Monday" in page.locator('[data-chart="hours"] .ytick text').all_text_contents()
    page.screenshot(path=str(tmp_path / "overview-sections-en.png"), full_page=True)
    assert problems == []


def test_the_manage_menu_keeps_the_top_bar_on_one_line_and_leads_to_its_pages(
    browser, live_server, seeded
):
    page = browser.new_page(locale="en-US", viewport={"width": 1280, "height": 800})
    page.goto(f"{live_server.url}/")
    page.fill("#id_username", "alice")
    page.fill("#id_password", "alice-password-1")
    page.click("button[type=submit].primary")
    page.wait_for_url(f"{live_server.url}/w/acme/")
    page.click('button[data-lang="en"]')
    page.wait_for_selector("html[lang=en]")

    brand = page.locator(".topbar .brand").bounding_box()
    language = page.locator(".topbar form.language").bounding_box()
    assert abs(brand["y"] - language["y"]) < brand["height"], "the top bar wrapped"
    team = page.locator(".navmenu-items a", has_text="Team")
    assert not team.is_visible()  # folded until asked for

    page.click(".navmenu > summary")
    assert team.is_visible()
    page.keyboard.press("Escape")
    assert not team.is_visible()

    page.click(".navmenu > summary")
    page.click(".navmenu-items a:has-text('Team')")
    page.wait_for_url(f"{live_server.url}/w/acme/team/")
    assert page.locator('.navmenu > summary[aria-current="page"]').count() == 1
    page.close()
