"""Training the churn model writes every member's risk and reasons (docs/churn.md)."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, timedelta

import pytest
from django.core.management import CommandError, call_command

from qunyun.activity.snapshot import do_refresh_snapshot, snapshot_dir
from qunyun.analytics.backend import connect, execute, read_parquet
from qunyun.audit.models import AuditEvent
from qunyun.conftest import message, utc
from qunyun.demo.generator import DemoPlan, generate
from qunyun.ingest.pipeline import do_import_records
from qunyun.members.churn import do_train_churn_model
from qunyun.members.churn_words import churn_reason_sentences
from qunyun.members.models import ChurnModelRun, Member

DEMO_END = date(2026, 11, 24)


def build_demo(workspace) -> None:
    plan = DemoPlan(members=600, days=150, seed=7, end=DEMO_END)
    do_import_records(workspace, generate(plan), file_name="demo", format_name="demo")


def twins(workspace) -> tuple[Member, Member]:
    """Two members who came every day for two months: one has been quiet for 20 days."""
    records = []
    for name, last in (("Fading Fiona", datetime(2026, 11, 4, 12, tzinfo=UTC)),
                       ("Steady Sam", datetime(2026, 11, 23, 12, tzinfo=UTC))):  # fmt: skip
        records += [
            message(f"{name}{d}", last - timedelta(days=d), name, channel="x") for d in range(60)
        ]
    do_import_records(workspace, records, file_name="twins", format_name="jsonl")
    get = Member.objects.get
    return get(display_name="Fading Fiona"), get(display_name="Steady Sam")


def test_training_scores_every_non_bot_member_in_the_snapshot(workspace) -> None:
    build_demo(workspace)
    fiona, sam = twins(workspace)

    run = do_train_churn_model(workspace)

    assert run.status == ChurnModelRun.Status.OK
    assert run.auc is not None and run.auc >= 0.8
    assert run.auc >= run.baseline_auc
    assert run.n_train > 0 and run.n_test > 0 and run.k == 50
    members = read_parquet(connect(), snapshot_dir(workspace) / "members.parquet")
    in_snapshot = execute(members.filter(~members.is_bot).member_id)
    scored = Member.objects.filter(workspace=workspace, churn_risk__isnull=False)
    assert set(scored.values_list("id", flat=True)) == set(in_snapshot)
    assert run.members_scored == len(in_snapshot)
    assert not Member.objects.filter(workspace=workspace, is_bot=True, churn_risk__isnull=False)
    assert Member.objects.filter(workspace=workspace, scored_at__isnull=True).count() == 0
    event = AuditEvent.objects.get(action="churn_model_trained")
    assert event.params["members_scored"] == run.members_scored

    fiona.refresh_from_db()
    sam.refresh_from_db()
    assert fiona.churn_risk > 3 * sam.churn_risk
    assert [r["feature"] for r in fiona.churn_reasons][:2] == ["recency_days", "active_days_7"]
    assert fiona.churn_reasons[0]["value"] == 20
    assert churn_reason_sentences(fiona.churn_reasons)[:2] == [
        "No activity for 20 days",
        "Not active on any of the last 7 days",
    ]


def test_reasons_read_as_sentences() -> None:
    reasons = [
        {"feature": "recency_days", "value": 41, "contribution": 2.1},
        {"feature": "active_days_30", "value": 2, "contribution": 0.8},
        {"feature": "trend", "value": 0.2, "contribution": 0.5},
        {"feature": "replies_received_30", "value": 0, "contribution": 0.3},
        {"feature": "reactions_received_30", "value": 1, "contribution": 0.2},
        {"feature": "events_attended_90", "value": 0, "contribution": 0.1},
        {"feature": "tenure_days", "value": 1, "contribution": 0.1},
        {"feature": "unknown", "value": 1, "contribution": 0.1},
    ]

    assert churn_reason_sentences(reasons) == [
        "No activity for 41 days",
        "Active on 2 of the last 30 days",
        "Activity fell 80% compared with the 28 days before",
        "Nobody replied to their messages in the last 30 days",
        "Received only 1 reaction in the last 30 days",
        "Attended no events in the last 90 days",
        "Joined 1 day ago",
    ]


def test_too_little_data_is_stored_and_scores_are_kept(workspace) -> None:
    do_import_records(
        workspace,
        [message(str(d), utc(2026, 3, 1 + d, 2), "ann") for d in range(10)],
        file_name="t",
        format_name="jsonl",
    )
    Member.objects.update(churn_risk=0.25)

    run = do_train_churn_model(workspace)

    assert run.status == ChurnModelRun.Status.INSUFFICIENT_DATA
    assert run.error == "history_too_short"
    assert run.auc is None
    assert list(Member.objects.values_list("churn_risk", flat=True)) == [0.25]


def test_the_command_prints_the_evaluation_as_json(workspace, capsys) -> None:
    build_demo(workspace)
    do_refresh_snapshot(workspace)

    call_command("churn", "--workspace", "acme", "--json")

    report = json.loads(capsys.readouterr().out)
    assert set(report) >= {
        "status", "auc", "pr_auc", "precision_at_k", "k", "brier", "baseline_auc",
        "baseline_precision_at_k", "n_train", "n_test", "train_cutoff", "test_cutoff",
        "as_of", "horizon_days", "top_features", "at_risk",
    }  # fmt: skip
    run = ChurnModelRun.objects.get()
    assert report["status"] == "ok"
    assert report["auc"] == run.auc and report["precision_at_k"] == run.precision_at_k
    assert report["test_cutoff"] == "2026-10-25" and report["train_cutoff"] == "2026-09-25"
    assert len(report["at_risk"]) == 20
    risks = [m["risk"] for m in report["at_risk"]]
    assert risks == sorted(risks, reverse=True)
    assert all(m["reasons"] for m in report["at_risk"])
    # only members still around are listed: none quiet for the whole 30 days
    recency = [
        r["value"]
        for m in report["at_risk"]
        for r in m["reason_data"]
        if r["feature"] == "recency_days"
    ]
    assert recency and max(recency) < 30
    assert report["top_features"][0]["feature"] == "recency_days"


def test_the_command_prints_a_summary_and_refuses_bad_input(workspace, capsys) -> None:
    build_demo(workspace)

    call_command("churn", "--workspace", "acme", "--horizon", "30")

    out = capsys.readouterr().out
    assert "ROC-AUC" in out and "Precision at 50" in out and "Scored" in out
    with pytest.raises(CommandError, match="No workspace"):
        call_command("churn", "--workspace", "nope")
    with pytest.raises(CommandError, match="--horizon"):
        call_command("churn", "--workspace", "acme", "--horizon", "3")
