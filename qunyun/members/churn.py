"""Churn risk in the members app: train the model and write its scores back.

``do_train_churn_model`` is the one write (the churn page, ``qunyun churn``, the demo and every
import's follow-up share it); the model itself lives in :mod:`qunyun.analytics.churn` and returns
plain data. Reading the runs and the members at risk is in :mod:`qunyun.members.selectors`;
the reasons stay structured on ``Member.churn_reasons`` and become sentences only in
:mod:`qunyun.members.churn_words`, in the reader's language.
"""

from __future__ import annotations

import logging
from typing import Any

from django.contrib.auth.models import User
from django.db import transaction
from django.utils import timezone

from qunyun.activity.snapshot import snapshot_dir
from qunyun.analytics.churn import DEFAULT_K, ChurnResult, train_churn_model
from qunyun.analytics.freshness import ensure_snapshot
from qunyun.audit.actions import record_event
from qunyun.audit.events import AuditAction
from qunyun.members.models import ChurnModelRun, Member
from qunyun.workspaces.models import Workspace

logger = logging.getLogger(__name__)

BULK_BATCH = 2000


def do_train_churn_model(
    workspace: Workspace,
    *,
    horizon_days: int = 30,
    k: int = DEFAULT_K,
    acting_user: User | None = None,
) -> ChurnModelRun:
    """Train and evaluate the churn model on the snapshot, then score every member.

    Writes ``churn_risk``, ``churn_reasons`` and ``scored_at`` of every non-bot member
    in the snapshot (bots are cleared), stores the evaluation as a ``ChurnModelRun`` and
    an audit event. With too little data the run is stored as ``insufficient_data`` and
    the members keep their previous scores; an unexpected error is stored as ``failed``.
    """
    ensure_snapshot(workspace)
    try:
        result = train_churn_model(snapshot_dir(workspace), horizon_days=horizon_days, k=k)
    except Exception as exc:  # the page shows the error rather than a server error
        logger.exception("churn model training failed for workspace %s", workspace.pk)
        result = ChurnResult(status=ChurnModelRun.Status.FAILED, horizon_days=horizon_days)
        result.problem = f"{type(exc).__name__}: {exc}"
    with transaction.atomic():
        run = ChurnModelRun.objects.create(workspace=workspace, **_run_fields(result))
        if result.status == ChurnModelRun.Status.OK:
            run.members_scored = _write_scores(workspace, result)
            run.save(update_fields=["members_scored"])
        record_event(
            AuditAction.CHURN_MODEL_TRAINED,
            workspace=workspace,
            actor=acting_user,
            target=f"churn_model_run:{run.pk}",
            status=run.status,
            horizon_days=horizon_days,
            auc=run.auc,
            members_scored=run.members_scored,
        )
    return run


def _run_fields(result: ChurnResult) -> dict[str, Any]:
    return {
        "horizon_days": result.horizon_days,
        "as_of": result.as_of,
        "train_cutoff": result.train_cutoff,
        "test_cutoff": result.test_cutoff,
        "n_train": result.n_train,
        "n_test": result.n_test,
        "test_churn_rate": result.test_churn_rate,
        "auc": result.auc,
        "pr_auc": result.pr_auc,
        "precision_at_k": result.precision_at_k,
        "k": result.k,
        "brier": result.brier,
        "baseline_auc": result.baseline_auc,
        "baseline_precision_at_k": result.baseline_precision_at_k,
        "feature_importance": result.feature_importance,
        "status": result.status,
        "error": result.problem,
    }


def _write_scores(workspace: Workspace, result: ChurnResult) -> int:
    scores = {row["member_id"]: row for row in result.scores}
    now = timezone.now()
    members = list(Member.objects.filter(workspace=workspace).only("id", "is_bot"))
    changed = []
    for member in members:
        row = None if member.is_bot else scores.get(member.pk)
        member.churn_risk = row["risk"] if row else None
        member.churn_reasons = row["reasons"] if row else []
        member.scored_at = now
        changed.append(member)
    Member.objects.bulk_update(
        changed, ["churn_risk", "churn_reasons", "scored_at"], batch_size=BULK_BATCH
    )
    return sum(1 for m in changed if m.churn_risk is not None)
