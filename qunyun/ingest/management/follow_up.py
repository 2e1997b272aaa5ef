"""The lines every import command prints after its own summary."""

from __future__ import annotations

from django.core.management.base import OutputWrapper
from django.utils.translation import gettext as _

from qunyun.ingest.after_import import FollowUp
from qunyun.members.churn_words import churn_problem_text
from qunyun.members.models import ChurnModelRun


def write_follow_up(out: OutputWrapper, follow_up: FollowUp) -> None:
    duplicates, refresh = follow_up.duplicates, follow_up.refresh
    out.write(
        _(
            "Duplicate members: %(merged)d merged on a shared verified email or phone, "
            "%(open)d suggestions to review."
        )
        % {"merged": duplicates.auto_merged, "open": duplicates.suggested}
    )
    out.write(
        _("Analytics snapshot refreshed: %(added)d activities added in %(seconds).2f s.")
        % {"added": refresh.activities_added, "seconds": refresh.seconds}
    )
    out.write(
        _("Segments and engagement scores written for %(n)d members.")
        % {"n": follow_up.scoring.members_scored}
    )
    churn = follow_up.churn
    if churn.status == ChurnModelRun.Status.OK:
        out.write(
            _("Churn model retrained (test ROC-AUC %(auc).2f); %(n)d members scored.")
            % {"auc": churn.auc or 0.0, "n": churn.members_scored}
        )
    else:
        out.write(_("Churn model not retrained: %(why)s") % {"why": churn_problem_text(churn)})
