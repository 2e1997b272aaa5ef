"""``qunyun kpis --workspace SLUG [--as-of DATE] [--period day|week|month] [--channel ID]
[--json]``."""

from __future__ import annotations

import json
from datetime import date
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils.translation import gettext as _

from qunyun.activity.models import Channel
from qunyun.analytics.metrics import PERIODS
from qunyun.analytics.selectors import workspace_kpis
from qunyun.workspaces.models import Workspace


class Command(BaseCommand):
    help = "Print a workspace's headline KPIs (members, active members, messages)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--workspace", required=True, help="workspace slug")
        parser.add_argument("--as-of", help="the day to report on, YYYY-MM-DD")
        parser.add_argument(
            "--period", default="day", help="day, week (from Monday) or month (default day)"
        )
        parser.add_argument("--channel", help="restrict every figure to this channel id")
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
        period = options["period"]
        if period not in PERIODS:
            raise CommandError(
                _("--period must be day, week or month, not “%(value)s”.") % {"value": period}
            )
        channel_id = _channel_id(workspace, options["channel"])
        kpis = workspace_kpis(workspace, as_of=as_of, period=period, channel_id=channel_id)
        if options["json"]:
            self.stdout.write(json.dumps(kpis, ensure_ascii=False))
            return
        headline = [
            (kpis["as_of"], _("As of")),
            (kpis["members_total"], _("Members")),
            (kpis["active_members_1d"], _("Active members (1 day)")),
            (kpis["active_members_7d"], _("Active members (7 days)")),
            (kpis["active_members_30d"], _("Active members (30 days)")),
            (kpis["stickiness"], _("Stickiness (DAU/MAU)")),
            (kpis["new_members_30d"], _("New members (30 days)")),
            (kpis["messages_total"], _("Messages")),
        ]
        growth, engagement = kpis["growth"], kpis["engagement"]
        labels_extra = [
            (growth["net_growth"], _("Net growth this period")),
            (engagement["engagement_rate"], _("Engagement rate this period")),
            (kpis["questions"]["total"], _("Questions (30 days)")),
            (
                kpis["questions"]["median_first_response_minutes"],
                _("Median minutes to a first response (30 days)"),
            ),
        ]
        for value, label in headline:
            self.stdout.write(f"{label}: {value}")
        for value, label in labels_extra:
            self.stdout.write(f"{label}: {'—' if value is None else value}")


def _channel_id(workspace: Workspace, value: str | None) -> int | None:
    if value is None:
        return None
    if not value.isdigit() or not Channel.objects.filter(workspace=workspace, pk=value).exists():
        raise CommandError(
            _("No channel “%(value)s” in workspace “%(slug)s”.")
            % {"value": value, "slug": workspace.slug}
        )
    return int(value)
