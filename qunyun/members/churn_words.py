"""The churn model in words: why a run could not train, each reason as a sentence, each
feature's name.

The reasons are stored structured (``Member.churn_reasons``: feature and value) so that
they are said in the reader's language when shown, never in the language of the run;
pages take them through :mod:`qunyun.members.templatetags.churn_tags`, the CLI and the
messages of the churn page call these functions directly.
"""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from qunyun.members.models import ChurnModelRun


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
    return [reason["text"] for reason in churn_reasons_said(reasons)]


def churn_reasons_said(reasons: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The stored reasons that can be said, each with its ``text`` in the active language
    (the REST API's form: the same sentences as the pages, beside the feature and value)."""
    said = []
    for reason in reasons or []:
        text = _reason_sentence(reason)
        if text:
            said.append(
                {
                    "feature": reason.get("feature", ""),
                    "value": reason.get("value", 0),
                    "text": text,
                }
            )
    return said


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
