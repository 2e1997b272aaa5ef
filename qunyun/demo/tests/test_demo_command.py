"""`qunyun demo` end to end: the dashboard's figures equal the truth the demo planted."""

from __future__ import annotations

import json

from django.core.management import call_command
from django.utils import translation

from qunyun.activity.models import Activity
from qunyun.analytics.selectors import workspace_kpis
from qunyun.members.models import Member
from qunyun.workspaces.models import Workspace


def build(settings, capsys, *extra: str) -> dict:
    with translation.override("en"):
        call_command(
            "demo",
            "--members",
            "120",
            "--days",
            "21",
            "--seed",
            "5",
            "--end",
            "2026-11-24",
            "--no-serve",
            "-v",
            "0",
            *extra,
        )
    capsys.readouterr()
    return json.loads((settings.DATA_DIR / "demo" / "demo-truth.json").read_text())


def test_kpis_of_the_demo_equal_its_planted_truth(db, settings, capsys) -> None:
    truth = build(settings, capsys)
    workspace = Workspace.objects.get(slug="demo")

    kpis = workspace_kpis(workspace)

    assert kpis["as_of"] == "2026-11-24"
    assert kpis["messages_total"] == truth["messages_total"]
    assert [
        (d["date"], d["active_members"], d["new_members"], d["messages"])
        for d in kpis["series"]["daily"]
    ] == [(d["date"], d["active_members"], d["new_members"], d["messages"]) for d in truth["daily"]]
    seen = Member.objects.filter(workspace=workspace, activities__isnull=False).distinct()
    assert seen.count() == truth["members_total"]
    left = sum(
        1
        for member in seen
        if (
            last := member.activities.filter(kind__in=["join", "leave"])
            .order_by("-occurred_at")
            .first()
        )
        and last.kind == "leave"
    )
    assert kpis["members_total"] == truth["members_total"] - left


def test_the_demo_is_deterministic_and_not_built_twice(db, settings, capsys) -> None:
    first = build(settings, capsys)
    count = Activity.objects.count()
    second = build(settings, capsys)

    assert first == second
    assert Activity.objects.count() == count


def test_the_demo_user_can_log_in_and_owns_the_workspace(db, settings, capsys, client) -> None:
    build(settings, capsys)

    assert client.login(username="demo", password="qunyun-demo")
    assert client.get("/w/demo/").status_code == 200
