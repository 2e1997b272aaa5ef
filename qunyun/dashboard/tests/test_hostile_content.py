"""Chat text, names and file names are untrusted. Import hostile ones, open every page that
shows them in a real browser, and check that nothing ran and the layout held.
"""

from __future__ import annotations

from typing import Any

import pytest

from qunyun.audit.actions import record_event
from qunyun.audit.events import AuditAction
from qunyun.conftest import message, utc
from qunyun.dashboard.tests.test_browser import browser  # noqa: F401  (the Chromium fixture)
from qunyun.ingest.models import ImportRun
from qunyun.ingest.pipeline import do_import_records
from qunyun.ingest.records import ActivityKind
from qunyun.members.models import Member, MergeSuggestion
from qunyun.workspaces.models import Role, Workspace, WorkspaceMembership

pytestmark = pytest.mark.browser

PAYLOADS = [
    "<script>window.__xss = 1</script>",
    '<img src=x onerror="window.__xss = 2">',
    '"><svg onload="window.__xss = 3">',
    "javascript:window.__xss = 4",
    "<a href=\"javascript:window.__xss=5\">click</a><iframe src='javascript:window.__xss=6'>",
    "{{ 7*7 }} {% now 'Y' %} ${7*7}",
]
RTL = "\u202eevil.exe\u202c gpj.txt"
ZERO_WIDTH = "z\u200bw\u200cj\u200d\ufeffs"
LONG_LINE = "长" * 1000 + "A" * (1_000_000 - 1000)  # 1 MB without a single space


@pytest.fixture
def hostile(transactional_db: None, django_user_model: Any) -> dict[str, Any]:
    workspace = Workspace.objects.create(slug="acme", name="<b>Acme</b> 社区")
    user = django_user_model.objects.create_user("alice", password="alice-password-1")
    WorkspaceMembership.objects.create(workspace=workspace, user=user, role=Role.OWNER)
    records = []
    names = [*PAYLOADS, RTL, ZERO_WIDTH, "X" * 300]
    for n, name in enumerate(names):
        for day in range(1, 6):
            records.append(
                message(
                    f"{n}-{day}",
                    utc(2026, 3, day, 8, n),
                    f"p{n}",
                    name=name,
                    text=f"{PAYLOADS[n % len(PAYLOADS)]} 怎么办？",
                    channel="<script>window.__xss=9</script>",
                )
            )
    records.append(message("long", utc(2026, 3, 6, 8), "p0", name=names[0], text=LONG_LINE))
    records.append(
        message("reply", utc(2026, 3, 6, 9), "p1", name=names[1], text=RTL,
                kind=ActivityKind.REPLY, reply_to="0-1")
    )  # fmt: skip
    do_import_records(
        workspace, records, file_name='<img src=x onerror="window.__xss=8">.jsonl',
        format_name="jsonl",
    )  # fmt: skip
    ImportRun.objects.create(
        workspace=workspace,
        file_name=RTL,
        format="csv",
        status=ImportRun.Status.FAILED,
        errors=[{"message": PAYLOADS[1] + LONG_LINE[:5000]}],
    )
    members = list(Member.objects.filter(workspace=workspace).order_by("id"))
    MergeSuggestion.objects.create(
        workspace=workspace, member_a=members[0], member_b=members[1], score=0.9,
        evidence=[{"kind": "name", "detail": PAYLOADS[0] + " ≈ " + PAYLOADS[2]}],
    )  # fmt: skip
    record_event(AuditAction.MEMBERS_TAGGED, workspace=workspace, actor=user, target=PAYLOADS[0],
                 tag=PAYLOADS[1])  # fmt: skip
    return {"workspace": workspace, "member": members[0], "run": ImportRun.objects.first()}


def test_hostile_content_runs_nothing_and_keeps_the_layout(browser, live_server, hostile):  # noqa: F811
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    dialogs: list[str] = []
    errors: list[str] = []
    page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.goto(f"{live_server.url}/accounts/login/")
    page.fill("#id_username", "alice")
    page.fill("#id_password", "alice-password-1")
    page.click("button[type=submit].primary")
    page.wait_for_url(f"{live_server.url}/w/acme/")

    member, run = hostile["member"], hostile["run"]
    pages = {
        "overview": "/w/acme/?period=week",
        "members": "/w/acme/members/",
        "profile": f"/w/acme/members/{member.pk}/",
        "duplicates": "/w/acme/merge/",
        "imports": "/w/acme/imports/",
        "import run": f"/w/acme/imports/{run.pk}/",
        "audit log": "/w/acme/audit/",
        "churn": "/w/acme/churn/",
    }
    for name, path in pages.items():
        page.goto(live_server.url + path)
        page.wait_for_load_state("networkidle")
        assert page.evaluate("window.__xss") is None, f"a payload ran on the {name} page"
        overflow = page.evaluate(
            "document.documentElement.scrollWidth - document.documentElement.clientWidth"
        )
        assert overflow <= 1, f"the {name} page is {overflow}px wider than the window"
        assert (
            page.locator("script:not([src])").count()
            == page.locator("script[type='application/json']").count()
        ), f"an inline script element on the {name} page"
    assert dialogs == []
    assert [e for e in errors if "__xss" in e] == []

    page.goto(f"{live_server.url}/w/acme/members/{member.pk}/")
    # The payloads are shown as the text they are, not dropped.
    assert page.get_by_text("<script>window.__xss = 1</script>", exact=False).count() >= 1
    page.close()
