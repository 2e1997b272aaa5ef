"""``qunyun kpis --workspace SLUG [--as-of DATE] [--json]``."""

from __future__ import annotations

import json
from datetime import date
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils.translation import gettext as _

from qunyun.analytics.selectors import workspace_kpis
from qunyun.workspaces.models import Workspace


class Command(BaseCommand):
    help = "Print a workspace's headline KPIs (members, active members, messages)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--workspace", required=True, help="workspace slug")
        parser.add_argument("--as-of", help="the day to report on, YYYY-MM-DD")
        parser.add_argument("--json", action="store_true", help="print one JSON object")

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            workspace = Workspace.objects.get(slug=options["workspace"])
        except Workspace.DoesNotExist as exc:
            raise CommandError(
                _("No workspace “%(slug)s”.") % {"slug": options["workspace"]}
            ) from exc
        as_of = None
        if options["as_of"]:
            try:
                as_of = date.fromisoformat(options["as_of"])
            except ValueError as exc:
                raise CommandError(
                    _("--as-of must be a date like 2026-11-24, not “%(value)s”.")
                    % {"value": options["as_of"]}
                ) from exc
        kpis = workspace_kpis(workspace, as_of=as_of)
        if options["json"]:
            self.stdout.write(json.dumps(kpis, ensure_ascii=False))
            return
        labels = [
            ("as_of", _("As of")),
            ("members_total", _("Members")),
            ("active_members_1d", _("Active members (1 day)")),
            ("active_members_7d", _("Active members (7 days)")),
            ("active_members_30d", _("Active members (30 days)")),
            ("stickiness", _("Stickiness (DAU/MAU)")),
            ("new_members_30d", _("New members (30 days)")),
            ("messages_total", _("Messages")),
        ]
        for key, label in labels:
            self.stdout.write(f"{label}: {kpis[key]}")
