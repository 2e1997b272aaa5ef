"""``qunyun churn --workspace SLUG [--json] [--horizon 30] [--k 50]``."""

from __future__ import annotations

import json
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils.translation import gettext as _

from qunyun.analytics.churn import DEFAULT_K
from qunyun.members.churn import do_train_churn_model
from qunyun.members.churn_words import feature_label
from qunyun.members.models import ChurnModelRun
from qunyun.members.selectors import churn_report, members_at_risk
from qunyun.workspaces.models import Workspace


class Command(BaseCommand):
    help = "Train the churn model, score every member and print its evaluation."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--workspace", required=True, help="workspace slug")
        parser.add_argument("--json", action="store_true", help="print one JSON object")
        parser.add_argument(
            "--horizon", type=int, default=30, help="days without activity that mean churned"
        )
        parser.add_argument(
            "--k", type=int, default=DEFAULT_K, help="members the team can contact (precision@k)"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            workspace = Workspace.objects.get(slug=options["workspace"])
        except Workspace.DoesNotExist as exc:
            raise CommandError(
                _("No workspace “%(slug)s”.") % {"slug": options["workspace"]}
            ) from exc
        if not 7 <= options["horizon"] <= 365:
            raise CommandError(_("--horizon must be between 7 and 365 days."))
        if options["k"] < 1:
            raise CommandError(_("--k must be at least 1."))
        quiet = options["json"] or options["verbosity"] == 0
        if not quiet:
            self.stdout.write(
                _("Training the churn model for “%(name)s” (horizon %(days)d days)…")
                % {"name": workspace.name, "days": options["horizon"]}
            )
        run = do_train_churn_model(workspace, horizon_days=options["horizon"], k=options["k"])
        report = churn_report(run, list(members_at_risk(workspace)))
        if options["json"]:
            self.stdout.write(json.dumps(report, ensure_ascii=False))
            return
        if run.status != ChurnModelRun.Status.OK:
            self.stdout.write(report["problem"] or "")
            return
        self._summary(report)

    def _summary(self, report: dict[str, Any]) -> None:
        self.stdout.write(
            _(
                "Trained at %(train)s, tested at %(test)s: %(n_train)d members to learn "
                "from, %(n_test)d to test on."
            )
            % {
                "train": report["train_cutoff"],
                "test": report["test_cutoff"],
                "n_train": report["n_train"],
                "n_test": report["n_test"],
            }
        )
        self.stdout.write(
            _("ROC-AUC %(auc).3f (recency alone %(baseline).3f), PR-AUC %(pr_auc).3f.")
            % {
                "auc": report["auc"],
                "baseline": report["baseline_auc"],
                "pr_auc": report["pr_auc"],
            }
        )
        self.stdout.write(
            _(
                "Precision at %(k)d: %(precision).3f (recency alone %(baseline).3f); "
                "Brier %(brier).3f."
            )
            % {
                "k": report["k"],
                "precision": report["precision_at_k"],
                "baseline": report["baseline_precision_at_k"],
                "brier": report["brier"],
            }
        )
        self.stdout.write(
            _("Scored %(count)d members as of %(day)s.")
            % {"count": report["members_scored"], "day": report["as_of"]}
        )
        top = "; ".join(feature_label(f["feature"]) for f in report["top_features"][:3])
        self.stdout.write(_("Strongest signals: %(features)s.") % {"features": top})
        for member in report["at_risk"]:
            reasons = "; ".join(member["reasons"])
            self.stdout.write(
                f"  {member['risk'] * 100:5.1f}%  {member['display_name'] or member['member_id']}"
                f"  — {reasons}"
            )
