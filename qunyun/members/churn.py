"""Churn risk in the members app: train, write the scores back, read them, say them in words.

``do_train_churn_model`` is the one write (the page, the CLI and the admin share it); the
model itself lives in :mod:`qunyun.analytics.churn` and returns plain data. The reasons
stay structured on ``Member.churn_reasons`` and become sentences only here
(:func:`churn_reason_sentences`), in the reader's language.
"""

from __future__ import annotations

import logging
from datetime import datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from django.db import transaction
from django.db.models import Exists, OuterRef, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from qunyun.activity.kinds import ACTIVE_KINDS
from qunyun.activity.models import Activity
from qunyun.activity.snapshot import snapshot_dir
from qunyun.analytics.churn import ACTIVE_WINDOW, DEFAULT_K, ChurnResult, train_churn_model
from qunyun.analytics.selectors import ensure_snapshot
from qunyun.audit.actions import record_event
from qunyun.members.models import ChurnModelRun, Member
from qunyun.workspaces.models import Workspace

logger = logging.getLogger(__name__)

BULK_BATCH = 2000
AT_RISK_SHOWN = 20


def do_train_churn_model(
    workspace: Workspace,
    *,
    horizon_days: int = 30,
    k: int = DEFAULT_K,
    acting_user: Any = None,
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
            "churn_model_trained",
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


# --- Reads -----------------------------------------------------------------------------


def latest_churn_run(workspace: Workspace) -> ChurnModelRun | None:
    return ChurnModelRun.objects.filter(workspace=workspace).first()


def members_at_risk(workspace: Workspace, limit: int = AT_RISK_SHOWN) -> QuerySet[Member]:
    """Non-bot members active in the 30 days up to the last run's day (the people the
    model is for) whose churn risk is highest, highest first.

    Members quiet for longer have gone already; they keep a score but are not listed.
    """
    members = Member.objects.filter(workspace=workspace, is_bot=False, churn_risk__isnull=False)
    run = ChurnModelRun.objects.filter(workspace=workspace, status=ChurnModelRun.Status.OK).first()
    if run is not None and run.as_of is not None:
        zone = ZoneInfo(workspace.time_zone)
        since = datetime.combine(run.as_of - timedelta(days=ACTIVE_WINDOW - 1), time(), zone)
        until = datetime.combine(run.as_of + timedelta(days=1), time(), zone)
        recent = Activity.objects.filter(
            member=OuterRef("pk"),
            occurred_at__gte=since,
            occurred_at__lt=until,
            kind__in=[str(kind) for kind in ACTIVE_KINDS],
        )
        members = members.filter(Exists(recent))
    return members.order_by("-churn_risk", "id")[:limit]


def churn_report(run: ChurnModelRun, at_risk: list[Member]) -> dict[str, Any]:
    """The run and the members most at risk as plain data (``qunyun churn --json``)."""
    return {
        "status": run.status,
        "problem": churn_problem_text(run) if run.status != ChurnModelRun.Status.OK else None,
        "horizon_days": run.horizon_days,
        "as_of": _iso(run.as_of),
        "train_cutoff": _iso(run.train_cutoff),
        "test_cutoff": _iso(run.test_cutoff),
        "n_train": run.n_train,
        "n_test": run.n_test,
        "test_churn_rate": run.test_churn_rate,
        "auc": run.auc,
        "pr_auc": run.pr_auc,
        "precision_at_k": run.precision_at_k,
        "k": run.k,
        "brier": run.brier,
        "baseline_auc": run.baseline_auc,
        "baseline_precision_at_k": run.baseline_precision_at_k,
        "top_features": run.feature_importance[:5],
        "members_scored": run.members_scored,
        "at_risk": [
            {
                "member_id": m.pk,
                "display_name": m.display_name,
                "risk": m.churn_risk,
                "reasons": churn_reason_sentences(m.churn_reasons),
                "reason_data": m.churn_reasons,
            }
            for m in at_risk
        ],
    }


def _iso(value: Any) -> str | None:
    return value.isoformat() if value else None


# --- Words -----------------------------------------------------------------------------


def churn_problem_text(run: ChurnModelRun) -> str:
    """Why a run could not train, in a sentence."""
    if run.status == ChurnModelRun.Status.FAILED:
        return _("Training failed: %(error)s") % {"error": run.error}
    problems = {
        "no_activity": _("There is no activity in this workspace yet."),
        "history_too_short": _(
            "The history is too short: the model needs at least %(days)d days of activity "
            "(twice the horizon)."
        )
        % {"days": 2 * run.horizon_days},
        "train_one_class": _(
            "In the training period either nobody or everybody went quiet, so there is "
            "nothing to learn from yet."
        ),
        "test_one_class": _(
            "In the test period either nobody or everybody went quiet, so the model "
            "cannot be evaluated yet."
        ),
    }
    return problems.get(run.error, run.error)


def churn_reason_sentences(reasons: list[dict[str, Any]]) -> list[str]:
    """Each stored reason ({"feature", "value", …}) as a sentence, in the active language."""
    return [s for s in (_reason_sentence(r) for r in reasons or []) if s]


def _reason_sentence(reason: dict[str, Any]) -> str:
    feature, value = reason.get("feature"), reason.get("value", 0)
    n = int(round(value or 0))
    if feature == "recency_days":
        return ngettext("No activity for %(days)d day", "No activity for %(days)d days", n) % {
            "days": n
        }
    if feature in ("active_days_7", "active_days_30", "active_days_90"):
        window = int(feature.rsplit("_", 1)[1])
        if n == 0:
            return _("Not active on any of the last %(window)d days") % {"window": window}
        return ngettext(
            "Active on %(days)d of the last %(window)d days",
            "Active on %(days)d of the last %(window)d days",
            n,
        ) % {"days": n, "window": window}
    if feature == "messages_30":
        if n == 0:
            return _("Wrote no messages in the last 30 days")
        return ngettext(
            "Wrote only %(count)d message in the last 30 days",
            "Wrote only %(count)d messages in the last 30 days",
            n,
        ) % {"count": n}
    if feature == "tenure_days":
        return ngettext("Joined %(days)d day ago", "Joined %(days)d days ago", n) % {"days": n}
    if feature == "trend":
        change = round((float(value or 0) - 1) * 100)
        if change < 0:
            return _("Activity fell %(percent)d%% compared with the 28 days before") % {
                "percent": -change
            }
        return _("Activity rose %(percent)d%% compared with the 28 days before") % {
            "percent": change
        }
    if feature == "replies_received_30":
        if n == 0:
            return _("Nobody replied to their messages in the last 30 days")
        return ngettext(
            "Received only %(count)d reply in the last 30 days",
            "Received only %(count)d replies in the last 30 days",
            n,
        ) % {"count": n}
    if feature == "reactions_received_30":
        if n == 0:
            return _("Nobody reacted to their messages in the last 30 days")
        return ngettext(
            "Received only %(count)d reaction in the last 30 days",
            "Received only %(count)d reactions in the last 30 days",
            n,
        ) % {"count": n}
    if feature == "events_attended_90":
        if n == 0:
            return _("Attended no events in the last 90 days")
        return ngettext(
            "Attended only %(count)d event in the last 90 days",
            "Attended only %(count)d events in the last 90 days",
            n,
        ) % {"count": n}
    return ""


def feature_label(feature: str) -> str:
    """A feature's name for the model page."""
    labels = {
        "recency_days": _("Days since last activity"),
        "active_days_7": _("Active days, last 7 days"),
        "active_days_30": _("Active days, last 30 days"),
        "active_days_90": _("Active days, last 90 days"),
        "messages_30": _("Messages, last 30 days"),
        "tenure_days": _("Days since joining"),
        "trend": _("Trend (last 14 days vs the 28 before)"),
        "replies_received_30": _("Replies received, last 30 days"),
        "reactions_received_30": _("Reactions received, last 30 days"),
        "events_attended_90": _("Events attended, last 90 days"),
    }
    return labels.get(feature, feature)
