"""Churn risk: who of the active members is likely to go quiet (docs/churn.md).

Features are Ibis expressions over the snapshot (the member × day rollup, plus the raw
activities for what members *received*), so they run on DuckDB and on Spark alike.
Training, evaluation and scoring use scikit-learn on the resulting pandas frames. The
module returns plain data and never touches the ORM.

Method (shared/METRICS.md "Churn"): a member active in the 30 days up to a cutoff T has
*churned* when they show no activity in (T, T + H]. Features use only events on or before
T. The model trains at T0 = as_of − 2H, is tested at T1 = as_of − H (labels complete up to
as_of), then retrained on the T1 labels to score everyone at as_of.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import ibis
import numpy as np
import pandas as pd
from ibis.expr.types import Table
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import average_precision_score, brier_score_loss, roc_auc_score
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import StandardScaler

from qunyun.analytics.backend import connect, execute, read_parquet

#: The model's inputs, in order; each is defined in :func:`member_churn_features`.
FEATURES = (
    "recency_days",
    "active_days_7",
    "active_days_30",
    "active_days_90",
    "messages_30",
    "tenure_days",
    "trend",
    "replies_received_30",
    "reactions_received_30",
    "events_attended_90",
)
#: How many members the team can contact: precision@k is measured at this k.
DEFAULT_K = 50
#: Members active in this many days before a cutoff are the ones who can churn.
ACTIVE_WINDOW = 30
#: At most this many reasons are kept per member.
MAX_REASONS = 3
RANDOM_STATE = 0


@dataclass
class ChurnResult:
    """Everything one training run produced, as plain values."""

    status: str  # "ok" | "insufficient_data"
    horizon_days: int
    as_of: date | None = None
    train_cutoff: date | None = None
    test_cutoff: date | None = None
    #: Why the data did not suffice: a code rendered in words by the members app.
    problem: str = ""
    n_train: int = 0
    n_test: int = 0
    train_churn_rate: float | None = None
    test_churn_rate: float | None = None
    auc: float | None = None
    pr_auc: float | None = None
    precision_at_k: float | None = None
    k: int = 0
    brier: float | None = None
    baseline_auc: float | None = None
    baseline_precision_at_k: float | None = None
    #: [{"feature", "weight"}] of the final model, largest |weight| first.
    feature_importance: list[dict[str, Any]] = field(default_factory=list)
    #: [{"member_id", "risk", "reasons": [{"feature", "value", "contribution"}]}]
    scores: list[dict[str, Any]] = field(default_factory=list)


# --- Features (Ibis) -------------------------------------------------------------------


def _since(day: Any, cutoff: date, days: int) -> Any:
    """``day`` falls in the ``days`` days ending on ``cutoff`` (cutoff included)."""
    return (day > cutoff - timedelta(days=days)) & (day <= cutoff)


def activity_features(member_day: Table, cutoff: date) -> Table:
    """Per member seen by ``cutoff``, from the rollup only (rows after ``cutoff`` ignored).

    - ``recency_days``: days from the last active day (message, reply, reaction or post)
      to ``cutoff``; for a member never active, from their first day.
    - ``active_days_7/30/90``: active days in the 7/30/90 days ending on ``cutoff``.
    - ``messages_30``: messages and replies written in the last 30 days.
    - ``tenure_days``: days since the member's first day (join or first activity), + 1.
    - ``trend``: activities a day in the last 14 days over those in the 28 days before,
      each smoothed by one activity per 28 days (1.0 = unchanged, 0.2 = fell by 80%).
    """
    md = member_day.filter(member_day.day <= cutoff)
    days = md.group_by(["member_id", "day"]).aggregate(
        n_active=md.n_active.sum(), n_messages=md.n_messages.sum()
    )
    active = days.n_active > 0
    per = days.group_by("member_id").aggregate(
        first_day=days.day.min(),
        last_active_day=days.day.max(where=active),
        active_days_7=days.member_id.count(where=active & _since(days.day, cutoff, 7)),
        active_days_30=days.member_id.count(where=active & _since(days.day, cutoff, 30)),
        active_days_90=days.member_id.count(where=active & _since(days.day, cutoff, 90)),
        messages_30=days.n_messages.sum(where=_since(days.day, cutoff, 30)),
        recent_14=days.n_active.sum(where=_since(days.day, cutoff, 14)),
        previous_28=days.n_active.sum(where=_since(days.day, cutoff - timedelta(days=14), 28)),
    )
    today = ibis.literal(cutoff, type="date")
    smoothing = 1.0 / 28
    recent_rate = per.recent_14.fill_null(0).cast("float64") / 14 + smoothing
    previous_rate = per.previous_28.fill_null(0).cast("float64") / 28 + smoothing
    return per.select(
        "member_id",
        recency_days=today.delta(per.last_active_day.fill_null(per.first_day), unit="day"),
        active_days_7=per.active_days_7,
        active_days_30=per.active_days_30,
        active_days_90=per.active_days_90,
        messages_30=per.messages_30.fill_null(0),
        tenure_days=today.delta(per.first_day, unit="day") + 1,
        trend=recent_rate / previous_rate,
    )


def recognition_received(activities: Table, cutoff: date, days: int = 30) -> Table:
    """Replies and reactions others gave a member's messages in the ``days`` up to cutoff.

    A reply or reaction points at its target through ``reply_to`` (the target's external
    id in the same channel); replies to oneself do not count. Sources whose reactions
    carry no target (e.g. exports that only count reactions) give no reactions here.
    """
    given = activities.filter(
        [
            _since(activities.day, cutoff, days),
            activities.reply_to.notnull(),
            activities.kind.isin(["reply", "reaction"]),
        ]
    )
    targets = activities.select(
        target_channel=activities.channel_id,
        target_external_id=activities.external_id,
        target_member=activities.member_id,
    )
    joined = given.join(
        targets,
        [
            given.channel_id == targets.target_channel,
            given.reply_to == targets.target_external_id,
        ],
    )
    joined = joined.filter(joined.member_id != joined.target_member)
    return joined.group_by(joined.target_member.name("member_id")).aggregate(
        replies_received_30=joined.target_member.count(where=joined.kind == "reply"),
        reactions_received_30=joined.target_member.count(where=joined.kind == "reaction"),
    )


def events_attended(activities: Table, cutoff: date, days: int = 90) -> Table:
    """Events a member attended (``event_attended`` activities) in the ``days`` to cutoff."""
    attended = activities.filter(
        [activities.kind == "event_attended", _since(activities.day, cutoff, days)]
    )
    return attended.group_by("member_id").aggregate(events_attended_90=attended.count())


def _left_join(left: Table, right: Table) -> Table:
    right = right.rename(right_member_id="member_id")
    joined = left.left_join(right, left.member_id == right.right_member_id)
    return joined.drop("right_member_id")


def member_churn_features(
    member_day: Table, activities: Table, members: Table, cutoff: date
) -> Table:
    """Every feature of :data:`FEATURES` for each non-bot member seen by ``cutoff``."""
    people = members.filter(~members.is_bot).select("member_id")
    base = activity_features(member_day, cutoff)
    base = base.join(people, "member_id")
    base = _left_join(base, recognition_received(activities, cutoff))
    base = _left_join(base, events_attended(activities, cutoff))
    return base.mutate(
        replies_received_30=base.replies_received_30.fill_null(0),
        reactions_received_30=base.reactions_received_30.fill_null(0),
        events_attended_90=base.events_attended_90.fill_null(0),
    )


def churn_labels(member_day: Table, cutoff: date, horizon_days: int) -> Table:
    """Members with any active day in (cutoff, cutoff + horizon]: ``stayed`` = 1."""
    later = member_day.filter(
        [
            member_day.day > cutoff,
            member_day.day <= cutoff + timedelta(days=horizon_days),
            member_day.n_active > 0,
        ]
    )
    return later.select("member_id").distinct().mutate(stayed=ibis.literal(1))


def labelled_frame(
    member_day: Table, activities: Table, members: Table, cutoff: date, horizon_days: int
) -> pd.DataFrame:
    """Features at ``cutoff`` of members active in the 30 days before it, with ``churned``."""
    features = member_churn_features(member_day, activities, members, cutoff)
    features = features.filter(features.active_days_30 > 0)
    labelled = _left_join(features, churn_labels(member_day, cutoff, horizon_days))
    frame = execute(labelled.order_by("member_id"))
    frame["churned"] = frame["stayed"].isna().astype(int)
    return _typed(frame.drop(columns=["stayed"]))


def _typed(frame: pd.DataFrame) -> pd.DataFrame:
    frame = frame.reset_index(drop=True)
    for name in FEATURES:
        frame[name] = frame[name].astype("float64")
    frame["member_id"] = frame["member_id"].astype("int64")
    return frame


# --- Model (scikit-learn) --------------------------------------------------------------


def build_model() -> Pipeline:
    """Standardized features into an L2 logistic regression.

    Raw values (no log) and a strong penalty (C = 0.1) ranked best overall on the demo
    communities of three seeds, ahead of the recency baseline on each (docs/churn.md).
    """
    return Pipeline(
        [
            ("scale", StandardScaler()),
            ("model", LogisticRegression(C=0.1, max_iter=1000, random_state=RANDOM_STATE)),
        ]
    )


def precision_at_k(labels: Any, scores: Any, k: int) -> float:
    """Share of churners among the ``k`` highest scores (ties kept in input order)."""
    labels, scores = np.asarray(labels), np.asarray(scores, dtype=float)
    if k <= 0 or len(labels) == 0:
        return 0.0
    order = np.argsort(-scores, kind="stable")[:k]
    return float(labels[order].sum() / len(order))


def reasons_for(model: Pipeline, frame: pd.DataFrame) -> list[list[dict[str, Any]]]:
    """Each member's main reasons: the features adding most to their risk.

    A feature's contribution is its coefficient times the member's standardized value;
    the up to three largest positive contributions are kept, largest first.
    """
    x = frame[list(FEATURES)].to_numpy(dtype=float)
    scaled = model[:-1].transform(x)
    contributions = scaled * model[-1].coef_[0]
    reasons = []
    for row, values in zip(contributions, x, strict=True):
        order = np.argsort(-row, kind="stable")[:MAX_REASONS]
        reasons.append(
            [
                {
                    "feature": FEATURES[i],
                    "value": _plain(values[i], FEATURES[i]),
                    "contribution": round(float(row[i]), 3),
                }
                for i in order
                if row[i] > 0
            ]
        )
    return reasons


def _plain(value: float, feature: str) -> float | int:
    return round(float(value), 3) if feature == "trend" else int(round(value))


def _classes(frame: pd.DataFrame) -> int:
    return int(frame["churned"].nunique()) if len(frame) else 0


def _metrics(labels: np.ndarray, risk: np.ndarray, recency: np.ndarray, k: int) -> dict:
    return {
        "auc": round(float(roc_auc_score(labels, risk)), 4),
        "pr_auc": round(float(average_precision_score(labels, risk)), 4),
        "precision_at_k": round(precision_at_k(labels, risk, k), 4),
        "brier": round(float(brier_score_loss(labels, risk)), 4),
        "baseline_auc": round(float(roc_auc_score(labels, recency)), 4),
        "baseline_precision_at_k": round(precision_at_k(labels, recency, k), 4),
    }


def train_churn_model(
    snapshot: Path,
    *,
    horizon_days: int = 30,
    as_of: date | None = None,
    k: int = DEFAULT_K,
    backend: str | None = None,
) -> ChurnResult:
    """Train, evaluate on a later cutoff, retrain and score everyone at ``as_of``.

    ``as_of`` defaults to the last day in the snapshot. The baseline ranks members by
    ``recency_days`` alone (the longer quiet, the likelier gone).
    """
    result = ChurnResult(status="insufficient_data", horizon_days=horizon_days)
    folder = snapshot / "member_day"
    if not folder.is_dir() or not any(folder.glob("*.parquet")):
        result.problem = "no_activity"
        return result
    con = connect(backend)
    member_day = read_parquet(con, folder)
    activities = read_parquet(con, snapshot / "activities")
    members = read_parquet(con, snapshot / "members.parquet")
    end = as_of or _as_date(execute(member_day.day.max()))
    first = _as_date(execute(member_day.day.min()))
    result.as_of = end
    result.test_cutoff = end - timedelta(days=horizon_days)
    result.train_cutoff = end - timedelta(days=2 * horizon_days)
    if result.train_cutoff < first:
        result.problem = "history_too_short"
        return result

    train = labelled_frame(member_day, activities, members, result.train_cutoff, horizon_days)
    test = labelled_frame(member_day, activities, members, result.test_cutoff, horizon_days)
    result.n_train, result.n_test = len(train), len(test)
    result.problem = _labels_problem(train, test)
    if result.problem:
        return result
    _evaluate(result, train, test, k)

    # The final model learns from the latest complete labels, then scores everyone now.
    final = build_model().fit(test[list(FEATURES)].to_numpy(float), test["churned"])
    result.feature_importance = _feature_weights(final)
    now = _typed(execute(member_churn_features(member_day, activities, members, end)))
    result.scores = _risk_scores(final, now)
    result.status = "ok"
    return result


def _labels_problem(train: pd.DataFrame, test: pd.DataFrame) -> str:
    """Why the labelled frames cannot train or test a model ("" when they can)."""
    if _classes(train) < 2:
        return "train_one_class"
    if _classes(test) < 2:
        return "test_one_class"
    return ""


def _evaluate(result: ChurnResult, train: pd.DataFrame, test: pd.DataFrame, k: int) -> None:
    """Fit on ``train``, measure on ``test`` against the recency baseline, into ``result``."""
    result.train_churn_rate = round(float(train["churned"].mean()), 4)
    result.test_churn_rate = round(float(test["churned"].mean()), 4)
    model = build_model().fit(train[list(FEATURES)].to_numpy(float), train["churned"])
    risk = model.predict_proba(test[list(FEATURES)].to_numpy(float))[:, 1]
    result.k = min(k, len(test))
    figures = _metrics(test["churned"].to_numpy(), risk, test["recency_days"].to_numpy(), result.k)
    for name, value in figures.items():
        setattr(result, name, value)


def _feature_weights(model: Pipeline) -> list[dict[str, Any]]:
    """The model's weight per feature (on standardized values), largest |weight| first."""
    coefficients = model[-1].coef_[0]
    return [
        {"feature": FEATURES[i], "weight": round(float(coefficients[i]), 4)}
        for i in np.argsort(-np.abs(coefficients), kind="stable")
    ]


def _risk_scores(model: Pipeline, features: pd.DataFrame) -> list[dict[str, Any]]:
    """Each member's risk and main reasons, by member id, from their current features."""
    now = features.sort_values("member_id", kind="stable").reset_index(drop=True)
    if not len(now):
        return []
    current = model.predict_proba(now[list(FEATURES)].to_numpy(float))[:, 1]
    reasons = reasons_for(model, now)
    return [
        {"member_id": int(member), "risk": round(float(p), 4), "reasons": why}
        for member, p, why in zip(now["member_id"], current, reasons, strict=True)
    ]


def _as_date(value: Any) -> date:
    return pd.Timestamp(value).date()
