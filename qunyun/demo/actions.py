"""Writes of the demo: build the demo community from a plan (or keep the one already built
from the same plan), then make it ready to look at. ``qunyun demo`` calls these."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from django.contrib.auth import get_user_model
from django.db import transaction

from qunyun.activity.snapshot import do_refresh_snapshot
from qunyun.analytics.selectors import workspace_kpis
from qunyun.demo.generator import DemoPlan, generate
from qunyun.demo.selectors import truth_path_for
from qunyun.demo.truth import ground_truth
from qunyun.ingest.pipeline import do_import_records
from qunyun.members.actions import do_tag_members
from qunyun.members.churn import do_train_churn_model
from qunyun.members.models import ChurnModelRun, Member
from qunyun.members.scoring import ScoringRun, do_update_segments
from qunyun.team.actions import do_add_workspace_member, do_get_or_create_workspace
from qunyun.workspaces.models import Role, Workspace

DEMO_USERNAME = "demo"
DEMO_PASSWORD = "qunyun-demo"  # noqa: S105 — the demo's published login, local only
DEMO_NAME = "群运示例社区 · Qunyun Demo"


@dataclass
class DemoBuild:
    """What building the demo produced."""

    workspace: Workspace
    truth_path: Path
    members: int
    activities: int
    seconds: float


def do_build_demo(slug: str, plan: DemoPlan, *, progress: Callable[[int], None]) -> DemoBuild:
    """The demo community ``slug`` built afresh from ``plan`` (replacing one of that slug),
    with its planted truth written beside it."""
    truth_path = truth_path_for(slug)
    existing = Workspace.objects.filter(slug=slug).first()
    if existing:
        with transaction.atomic():
            existing.delete()
    workspace = do_get_or_create_workspace(slug, name=DEMO_NAME, time_zone=plan.time_zone)
    run = do_import_records(
        workspace,
        generate(plan),
        file_name=f"demo seed={plan.seed}",
        format_name="demo",
        progress=progress,
    )
    _tag_demo_members(workspace)
    truth_path.parent.mkdir(parents=True, exist_ok=True)
    truth_path.write_text(json.dumps(ground_truth(plan), ensure_ascii=False, indent=1))
    return DemoBuild(
        workspace,
        truth_path=truth_path,
        members=Member.objects.filter(workspace=workspace).count(),
        activities=run.activities_added,
        seconds=run.duration_seconds or 0,
    )


def do_ready_demo(workspace: Workspace) -> tuple[ScoringRun, ChurnModelRun]:
    """Snapshot, segments and churn model written, the overview's figures warmed, and
    the demo login made an owner of the workspace."""
    do_refresh_snapshot(workspace)
    scoring = do_update_segments(workspace)
    churn = do_train_churn_model(workspace)
    workspace_kpis(workspace)  # warm the cache so the first page is fast
    do_add_workspace_member(workspace, _demo_user(), Role.OWNER)
    return scoring, churn


def _tag_demo_members(workspace: Workspace) -> None:
    """Sample tags an operator would set: the most active 2% and the bots."""
    members = Member.objects.filter(workspace=workspace)
    top = max(1, members.count() // 50)
    core = members.filter(is_bot=False).order_by("-message_count").values_list("pk", flat=True)
    do_tag_members(workspace, "KOC", list(core[:top]), color="#d97706")
    bots = members.filter(is_bot=True).values_list("pk", flat=True)
    do_tag_members(workspace, "机器人", list(bots), color="#64748b")


def _demo_user() -> Any:
    user_model = get_user_model()
    user, created = user_model.objects.get_or_create(
        username=DEMO_USERNAME, defaults={"is_staff": True, "is_superuser": True}
    )
    if created or not user.check_password(DEMO_PASSWORD):
        user.set_password(DEMO_PASSWORD)
        user.save()
    return user
