"""Reads of the demo: where its planted truth lives, and whether the community of a slug
was built from the very plan asked for (then ``qunyun demo`` keeps it)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from django.conf import settings

from qunyun.demo.generator import DemoPlan
from qunyun.workspaces.models import Workspace


def truth_path_for(slug: str) -> Path:
    return settings.DATA_DIR / "demo" / f"{slug}-truth.json"


def demo_built_from(slug: str, plan: DemoPlan) -> Workspace | None:
    """The demo community ``slug`` when it was already built from this very plan."""
    existing = Workspace.objects.filter(slug=slug).first()
    return existing if existing and _built_with(truth_path_for(slug), plan) else None


def _plan_key(plan: dict[str, Any]) -> str:
    return json.dumps({**plan, "end": str(plan.get("end"))}, sort_keys=True)


def _built_with(truth_path: Path, plan: DemoPlan) -> bool:
    if not truth_path.exists():
        return False
    try:
        truth = json.loads(truth_path.read_text())
    except ValueError:
        return False
    wanted = {
        "members": plan.members,
        "days": plan.days,
        "seed": plan.seed,
        "end": plan.end.isoformat(),
        "time_zone": plan.time_zone,
    }
    return _plan_key(truth.get("plan", {})) == _plan_key(wanted)
