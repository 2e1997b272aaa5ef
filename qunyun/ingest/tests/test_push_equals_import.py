"""Activities pushed through the API end with the same members, segments, scores and
churn risk as the same activities imported from a file (docs/scheduling.md: the
debounced refresh after pushed activities)."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from django.core.management import call_command

from qunyun.members.models import Member
from qunyun.scheduling.models import RunStatus, ScheduledRun
from qunyun.scheduling.running import do_run_scheduled
from qunyun.team.actions import do_create_api_token
from qunyun.testing.communities import ninety_days
from qunyun.workspaces.models import Workspace


def community(seed: int = 7) -> list[dict[str, Any]]:
    """Ninety days of a 60-member group: regulars, fading members, newcomers, replies."""
    return ninety_days(people=60, seed=seed, start=datetime(2026, 8, 1, tzinfo=UTC))


def members_of(workspace: Workspace) -> dict[str, tuple[Any, ...]]:
    return {
        member.identities.get().external_id: (
            member.display_name,
            member.segment,
            round(member.engagement_score, 9),
            None if member.churn_risk is None else round(member.churn_risk, 9),
            member.churn_reasons,
        )
        for member in Member.objects.filter(workspace=workspace).prefetch_related("identities")
    }


@pytest.mark.django_db(transaction=True)
def test_pushed_activities_end_like_the_same_activities_imported(
    client: Any, workspace: Workspace, other_workspace: Workspace, alice: Any, tmp_path: Path
) -> None:
    items = community()
    assert len(items) > 500

    file = tmp_path / "activities.jsonl"
    file.write_text("\n".join(json.dumps(i, ensure_ascii=False) for i in items), encoding="utf-8")
    call_command("import", "jsonl", str(file), "--workspace", other_workspace.slug, "--no-progress")

    _row, secret = do_create_api_token(workspace, alice, name="CRM")
    for start in range(0, len(items), 250):
        answer = client.post(
            f"/api/v1/workspaces/{workspace.slug}/activities",
            {"activities": items[start : start + 250]},
            content_type="application/json",
            HTTP_AUTHORIZATION=f"Bearer {secret}",
        )
        assert answer.status_code == 200, answer.content
    # However many batches, one refresh waits for the next minute.
    (run,) = ScheduledRun.objects.filter(schedule__workspace=workspace)
    assert run.status == RunStatus.QUEUED
    assert do_run_scheduled(run).status == RunStatus.SUCCEEDED

    pushed, imported = members_of(workspace), members_of(other_workspace)
    assert len(pushed) == len({item["member_id"] for item in items}) > 50
    assert pushed == imported
    assert {values[1] for values in pushed.values()} - {""}, "segments were written"
    assert any(values[3] is not None for values in pushed.values()), "churn risk was scored"
    assert any(values[2] > 0 for values in pushed.values()), "scores were written"
