"""``qunyun demo``: build the demo community, write its truth, and serve it."""

from __future__ import annotations

import json
from datetime import date
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import transaction
from django.utils.translation import gettext as _

from qunyun.activity.snapshot import do_refresh_snapshot
from qunyun.analytics.selectors import workspace_kpis
from qunyun.demo.generator import DemoPlan, generate
from qunyun.demo.truth import ground_truth
from qunyun.ingest.pipeline import do_import_records
from qunyun.ingest.progress import ProgressBar
from qunyun.members.actions import do_tag_members
from qunyun.members.churn import do_train_churn_model
from qunyun.members.models import Member
from qunyun.members.scoring import do_update_segments
from qunyun.team.actions import do_add_workspace_member, do_get_or_create_workspace
from qunyun.workspaces.models import Role, Workspace

DEMO_USERNAME = "demo"
DEMO_PASSWORD = "qunyun-demo"  # noqa: S105 — the demo's published login, local only


class Command(BaseCommand):
    help = "Build the bilingual demo community (deterministic) and start the web server."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--members", type=int, default=2000, help="members (default 2000)")
        parser.add_argument("--days", type=int, default=180, help="days of history (default 180)")
        parser.add_argument("--seed", type=int, default=7, help="random seed (default 7)")
        parser.add_argument(
            "--end", help="last day of the history, YYYY-MM-DD (default: yesterday)"
        )
        parser.add_argument("--workspace", default="demo", help="workspace slug (default demo)")
        parser.add_argument("--rebuild", action="store_true", help="rebuild even if it exists")
        parser.add_argument("--no-serve", action="store_true", help="build, then exit")
        parser.add_argument("--addrport", default="127.0.0.1:8000", help="where to serve")

    def handle(self, *args: Any, **options: Any) -> None:
        if options["members"] < 1 or options["days"] < 1:
            raise CommandError(_("--members and --days must be at least 1."))
        try:
            end = date.fromisoformat(options["end"]) if options["end"] else _yesterday()
        except ValueError as exc:
            raise CommandError(
                _("--end must be a date like 2026-11-24, not “%(value)s”.")
                % {"value": options["end"]}
            ) from exc
        plan = DemoPlan(
            members=options["members"], days=options["days"], seed=options["seed"], end=end
        )
        call_command("migrate", verbosity=0, interactive=False)  # a fresh data dir works too
        slug = options["workspace"]
        truth_path = settings.DATA_DIR / "demo" / f"{slug}-truth.json"
        existing = Workspace.objects.filter(slug=slug).first()
        plan_key = json.dumps(_plan_dict(plan), sort_keys=True)
        if existing and not options["rebuild"] and _built_with(truth_path, plan_key):
            self.stdout.write(_("The demo community is already built; use --rebuild to redo it."))
            workspace = existing
        else:
            if existing:
                with transaction.atomic():
                    existing.delete()
            workspace = do_get_or_create_workspace(
                slug, name="群运示例社区 · Qunyun Demo", time_zone=plan.time_zone
            )
            bar = ProgressBar(label=_("Building the demo"), disabled=options["verbosity"] == 0)
            with bar:
                run = do_import_records(
                    workspace,
                    generate(plan),
                    file_name=f"demo seed={plan.seed}",
                    format_name="demo",
                    progress=bar.update,
                )
            _tag_demo_members(workspace)
            truth = ground_truth(plan)
            truth_path.parent.mkdir(parents=True, exist_ok=True)
            truth_path.write_text(json.dumps(truth, ensure_ascii=False, indent=1))
            self.stdout.write(
                _(
                    "Built “%(name)s”: %(members)d members, %(activities)d activities "
                    "in %(seconds).1f s. Planted truth: %(truth)s"
                )
                % {
                    "name": workspace.name,
                    "members": Member.objects.filter(workspace=workspace).count(),
                    "activities": run.activities_added,
                    "seconds": run.duration_seconds or 0,
                    "truth": truth_path,
                }
            )
        do_refresh_snapshot(workspace)
        scoring = do_update_segments(workspace)
        churn = do_train_churn_model(workspace)
        self.stdout.write(
            _("Segments written for %(n)d members; churn model: %(status)s.")
            % {"n": scoring.members_scored, "status": churn.get_status_display()}
        )
        workspace_kpis(workspace)  # warm the cache so the first page is fast
        user = _demo_user()
        do_add_workspace_member(workspace, user, Role.OWNER)
        self.stdout.write(
            _("Log in at http://%(addr)s/ as “%(user)s” with password “%(password)s”.")
            % {"addr": options["addrport"], "user": DEMO_USERNAME, "password": DEMO_PASSWORD}
        )
        if not options["no_serve"]:
            call_command("serve", addrport=options["addrport"])


def _tag_demo_members(workspace: Workspace) -> None:
    """Sample tags an operator would set: the most active 2% and the bots."""
    members = Member.objects.filter(workspace=workspace)
    top = max(1, members.count() // 50)
    core = members.filter(is_bot=False).order_by("-message_count").values_list("pk", flat=True)
    do_tag_members(workspace, "KOC", list(core[:top]), color="#d97706")
    bots = members.filter(is_bot=True).values_list("pk", flat=True)
    do_tag_members(workspace, "机器人", list(bots), color="#64748b")


def _yesterday() -> date:
    from datetime import timedelta

    from django.utils import timezone

    return timezone.localdate() - timedelta(days=1)


def _plan_dict(plan: DemoPlan) -> dict[str, Any]:
    return {
        "members": plan.members,
        "days": plan.days,
        "seed": plan.seed,
        "end": plan.end.isoformat(),
        "time_zone": plan.time_zone,
    }


def _built_with(truth_path: Any, plan_key: str) -> bool:
    if not truth_path.exists():
        return False
    try:
        truth = json.loads(truth_path.read_text())
    except ValueError:
        return False
    plan = truth.get("plan", {})
    plan = {**plan, "end": str(plan.get("end"))}
    return json.dumps(plan, sort_keys=True) == plan_key


def _demo_user() -> Any:
    user_model = get_user_model()
    user, created = user_model.objects.get_or_create(
        username=DEMO_USERNAME, defaults={"is_staff": True, "is_superuser": True}
    )
    if created or not user.check_password(DEMO_PASSWORD):
        user.set_password(DEMO_PASSWORD)
        user.save()
    return user
