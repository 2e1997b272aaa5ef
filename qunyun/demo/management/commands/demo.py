"""``qunyun demo``: build the demo community, write its truth, and serve it."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone
from django.utils.translation import gettext as _

from qunyun.demo.actions import (
    DEMO_PASSWORD,
    DEMO_USERNAME,
    do_build_demo,
    do_ready_demo,
)
from qunyun.demo.generator import DemoPlan
from qunyun.demo.selectors import demo_built_from
from qunyun.ingest.progress import ProgressBar


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
        plan = _plan(options)
        call_command("migrate", verbosity=0, interactive=False)  # a fresh data dir works too
        workspace = None if options["rebuild"] else demo_built_from(options["workspace"], plan)
        if workspace is not None:
            self.stdout.write(_("The demo community is already built; use --rebuild to redo it."))
        else:
            bar = ProgressBar(label=_("Building the demo"), disabled=options["verbosity"] == 0)
            with bar:
                build = do_build_demo(options["workspace"], plan, progress=bar.update)
            workspace = build.workspace
            self.stdout.write(
                _(
                    "Built “%(name)s”: %(members)d members, %(activities)d activities "
                    "in %(seconds).1f s. Planted truth: %(truth)s"
                )
                % {
                    "name": build.workspace.name,
                    "members": build.members,
                    "activities": build.activities,
                    "seconds": build.seconds,
                    "truth": build.truth_path,
                }
            )
        scoring, churn = do_ready_demo(workspace)
        self.stdout.write(
            _("Segments written for %(n)d members; churn model: %(status)s.")
            % {"n": scoring.members_scored, "status": churn.get_status_display()}
        )
        self.stdout.write(
            _("Log in at http://%(addr)s/ as “%(user)s” with password “%(password)s”.")
            % {"addr": options["addrport"], "user": DEMO_USERNAME, "password": DEMO_PASSWORD}
        )
        if not options["no_serve"]:
            call_command("serve", addrport=options["addrport"])


def _plan(options: dict[str, Any]) -> DemoPlan:
    if options["members"] < 1 or options["days"] < 1:
        raise CommandError(_("--members and --days must be at least 1."))
    try:
        end = date.fromisoformat(options["end"]) if options["end"] else _yesterday()
    except ValueError as exc:
        raise CommandError(
            _("--end must be a date like 2026-11-24, not “%(value)s”.") % {"value": options["end"]}
        ) from exc
    return DemoPlan(members=options["members"], days=options["days"], seed=options["seed"], end=end)


def _yesterday() -> date:
    return timezone.localdate() - timedelta(days=1)
