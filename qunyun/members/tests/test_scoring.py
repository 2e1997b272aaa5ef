"""Segments and scores written back to members (``do_update_segments``, ``qunyun segments``)."""

from __future__ import annotations

import json
from datetime import date
from typing import Any

import pytest
from django.core.management import CommandError, call_command
from django.utils import translation

from qunyun.analytics.segments import RulesError
from qunyun.conftest import message, utc
from qunyun.demo.generator import DemoPlan, _Community
from qunyun.ingest.pipeline import do_import_records
from qunyun.ingest.records import ActivityKind as K
from qunyun.ingest.records import ActivityRecord, PersonRef
from qunyun.members.models import Identity, Member
from qunyun.members.scoring import do_update_segments
from qunyun.members.selectors import segment_counts
from qunyun.workspaces.models import Workspace


def on(month: int, day: int, person: str, kind: K = K.MESSAGE, **extra: Any) -> Any:
    return message(f"{person}-{month}-{day}-{kind}", utc(2026, month, day, 2), person, kind=kind,
                   **extra)  # fmt: skip


def load(workspace) -> None:
    """As of 06-30: a core member, a newcomer, a silent joiner, a churned one and a bot."""
    bot = PersonRef(external_id="bot", display_name="Bot", is_bot=True)
    records = [
        on(4, 1, "gone"),
        on(6, 1, "quiet", K.JOIN),
        on(6, 25, "newbie"),
        on(5, 1, "star"),
        *(on(6, d, "star", K.REPLY) for d in range(20, 31)),
        message("d1", utc(2026, 6, 30, 2), "star-dc", source="discord", channel="general"),
        ActivityRecord(
            source="telegram",
            channel="g1",
            external_id="bot-1",
            kind=K.MESSAGE,
            occurred_at=utc(2026, 6, 30, 2),
            author=bot,
        ),
    ]
    do_import_records(workspace, records, file_name="t", format_name="jsonl")


def member(workspace, external_id: str) -> Member:
    return Identity.objects.get(workspace=workspace, external_id=external_id).member


def test_segments_and_scores_are_written_to_members(workspace) -> None:
    load(workspace)
    outsider = Member.objects.create(
        workspace=workspace, display_name="typed in", segment="core", engagement_score=9.0
    )

    run = do_update_segments(workspace)

    assert run.as_of == date(2026, 6, 30)
    assert run.members_scored == 5  # every human seen: gone, quiet, newbie, star, star-dc
    assert run.members_cleared == 2  # the bot and the member the snapshot never saw
    assert run.counts == {
        "churned": 1,
        "silent": 1,
        "new": 2,  # newbie, and star-dc (first seen 06-30: a member of their own)
        "core": 1,
        "at_risk": 0,
        "active": 0,
        "casual": 0,
    }
    star = member(workspace, "star")
    assert star.segment == "core"
    # 11 replies on 06-20..06-30 (2 points each, ages 10..0) and a message 60 days back
    expected = sum(2 * 0.5 ** (age / 30) for age in range(11)) + 0.25
    assert star.engagement_score == pytest.approx(expected, abs=1e-4)
    assert star.engagement_by_platform == {"telegram": pytest.approx(expected, abs=1e-4)}
    assert star.scored_at is not None
    assert member(workspace, "star-dc").engagement_by_platform == {"discord": 1.0}
    assert member(workspace, "gone").segment == "churned"
    assert member(workspace, "quiet").segment == "silent"
    assert member(workspace, "quiet").engagement_score == 0.0
    bot = member(workspace, "bot")
    assert (bot.segment, bot.engagement_score, bot.engagement_by_platform) == ("", 0.0, {})
    outsider.refresh_from_db()
    assert (outsider.segment, outsider.engagement_score) == ("", 0.0)
    assert outsider.scored_at == star.scored_at
    assert segment_counts(workspace) == run.counts


def test_a_second_run_writes_the_same_figures(workspace) -> None:
    load(workspace)
    do_update_segments(workspace)
    first = list(
        Member.objects.filter(workspace=workspace)
        .order_by("id")
        .values_list("id", "segment", "engagement_score", "engagement_by_platform")
    )

    again = do_update_segments(workspace)

    assert again.members_scored == 5
    assert (
        list(
            Member.objects.filter(workspace=workspace)
            .order_by("id")
            .values_list("id", "segment", "engagement_score", "engagement_by_platform")
        )
        == first
    )


def test_only_the_workspace_scored_is_touched(workspace, other_workspace) -> None:
    load(workspace)
    stranger = Member.objects.create(
        workspace=other_workspace, display_name="x", segment="core", engagement_score=4.0
    )

    do_update_segments(workspace)

    stranger.refresh_from_db()
    assert (stranger.segment, stranger.engagement_score, stranger.scored_at) == ("core", 4.0, None)


def test_workspace_overrides_change_the_segments(workspace) -> None:
    load(workspace)
    workspace.analytics_settings = {"segments": {"churned_inactive_days": 120, "new_days": 1}}
    workspace.save()

    run = do_update_segments(workspace)

    assert member(workspace, "gone").segment == "casual"  # 90 days < 120
    assert member(workspace, "newbie").segment == "casual"
    assert member(workspace, "star-dc").segment == "new"  # first seen on as_of itself
    assert run.counts["churned"] == 0


def test_a_bad_override_stops_the_run_and_names_the_key(workspace) -> None:
    load(workspace)
    workspace.analytics_settings = {"segments": {"new_dayz": 3}}
    workspace.save()

    with pytest.raises(RulesError, match="“new_dayz” is not a segment rule"):
        do_update_segments(workspace)
    with pytest.raises(CommandError, match="“new_dayz” is not a segment rule"):
        call_command("segments", "--workspace", "acme")
    assert not Member.objects.filter(workspace=workspace, scored_at__isnull=False).exists()


def test_the_command_prints_members_per_segment(workspace, capsys) -> None:
    load(workspace)

    call_command("segments", "--workspace", "acme", "--json")
    result = json.loads(capsys.readouterr().out)
    call_command("segments", "--workspace", "acme")
    text = capsys.readouterr().out

    assert result["as_of"] == "2026-06-30"
    assert result["members_scored"] == 5
    assert result["counts"]["core"] == 1
    assert "Core (KOC): 1" in text
    assert "5 members scored as of 2026-06-30" in text
    with pytest.raises(CommandError, match="No workspace “nope”"):
        call_command("segments", "--workspace", "nope")


def test_an_empty_workspace_clears_every_member(workspace) -> None:
    Member.objects.create(workspace=workspace, display_name="x", segment="new")

    run = do_update_segments(workspace)

    assert (run.as_of, run.members_scored, run.members_cleared) == (None, 0, 1)
    assert segment_counts(workspace)["new"] == 0


def test_the_demo_segments_agree_with_what_was_planted(db, settings, capsys) -> None:
    plan = DemoPlan(members=120, days=21, seed=5, end=date(2026, 11, 24))
    with translation.override("en"):
        call_command(
            "demo", "--members", "120", "--days", "21", "--seed", "5", "--end", "2026-11-24",
            "--no-serve", "-v", "0",
        )  # fmt: skip
    capsys.readouterr()
    workspace = Workspace.objects.get(slug="demo")
    planted = {m.person.external_id: m for m in _Community(plan).members}

    run = do_update_segments(workspace)

    stored = dict(
        Identity.objects.filter(workspace=workspace).values_list("external_id", "member__segment")
    )
    assert run.as_of == date(2026, 11, 24)
    assert sum(run.counts.values()) == run.members_scored > 0
    for external_id, cast in planted.items():
        if external_id not in stored:
            continue
        if cast.segment == "bot":
            assert stored[external_id] == ""
        elif cast.segment == "silent" and not cast.churned:  # never acts, never leaves
            assert stored[external_id] in ("", "silent"), external_id
        elif cast.segment == "silent":  # churned when the platform announced the leave
            assert stored[external_id] in ("", "silent", "churned"), external_id
    core = [e for e, m in planted.items() if m.segment == "core" and e in stored]
    assert core and all(stored[e] in ("core", "active", "new", "at_risk") for e in core)
