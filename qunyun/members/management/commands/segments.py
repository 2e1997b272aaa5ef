"""``qunyun segments --workspace SLUG [--json]``."""

from __future__ import annotations

import json
from dataclasses import asdict
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils.translation import gettext as _

from qunyun.analytics.segments import RulesError
from qunyun.members.models import Segment
from qunyun.members.scoring import do_update_segments
from qunyun.workspaces.models import Workspace


class Command(BaseCommand):
    help = "Recompute every member's segment and engagement score and print members per segment."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--workspace", required=True, help="workspace slug")
        parser.add_argument("--json", action="store_true", help="print one JSON object")

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            workspace = Workspace.objects.get(slug=options["workspace"])
        except Workspace.DoesNotExist as exc:
            raise CommandError(
                _("No workspace “%(slug)s”.") % {"slug": options["workspace"]}
            ) from exc
        try:
            run = do_update_segments(workspace)
        except RulesError as exc:
            raise CommandError(str(exc)) from exc
        if options["json"]:
            result = asdict(run)
            result["as_of"] = run.as_of.isoformat() if run.as_of else None
            self.stdout.write(json.dumps(result, ensure_ascii=False))
            return
        labels = dict(Segment.choices)
        for segment, members in run.counts.items():
            self.stdout.write(f"{labels[segment]}: {members}")
        self.stdout.write(
            _("%(members)s members scored as of %(day)s in %(seconds)s s.")
            % {
                "members": run.members_scored,
                "day": run.as_of.isoformat() if run.as_of else "—",
                "seconds": run.seconds,
            }
        )
