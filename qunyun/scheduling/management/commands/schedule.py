"""``qunyun schedule list|jobs|add|remove|enable|disable|run-now``: the scheduler's timetable."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone
from django.utils.translation import gettext as _

from qunyun.scheduling.actions import (
    do_add_schedule,
    do_remove_schedule,
    do_run_now,
    do_set_schedule,
)
from qunyun.scheduling.jobs import JOBS, ScheduleError
from qunyun.scheduling.models import Schedule
from qunyun.scheduling.selectors import schedules_overview
from qunyun.workspaces.models import Workspace


class Command(BaseCommand):
    help = "List, add, change, remove or run the schedules of background jobs."

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        sub.add_parser("list", help="every schedule with its last and next run")
        sub.add_parser("jobs", help="the jobs a schedule can run")
        add = sub.add_parser("add", help="a new schedule")
        add.add_argument("job")
        add.add_argument("--cron", required=True, help="a cron timetable, e.g. '*/10 * * * *'")
        add.add_argument("--workspace", help="for jobs that run per workspace")
        for name, text in [
            ("remove", "delete a schedule"),
            ("enable", "switch a schedule on"),
            ("disable", "switch a schedule off"),
            ("run-now", "queue a run at once"),
        ]:
            sub.add_parser(name, help=text).add_argument("id", type=int, help="from `list`")

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            self._handle(options)
        except ScheduleError as error:
            raise CommandError(str(error)) from None

    def _handle(self, options: dict[str, Any]) -> None:
        action = options["action"]
        if action == "list":
            return self._list()
        if action == "jobs":
            for job in sorted(JOBS.values(), key=lambda j: j.name):
                scope = _("per workspace") if job.per_workspace else _("installation")
                self.stdout.write(f"{job.name:28} {scope:14} {job.label}")
            return None
        if action == "add":
            workspace = _workspace(options["workspace"]) if options["workspace"] else None
            schedule = do_add_schedule(options["job"], cron=options["cron"], workspace=workspace)
            self.stdout.write(
                _("Added schedule %(id)d: %(s)s.") % {"id": schedule.pk, "s": schedule}
            )
            return None
        schedule = _schedule(options["id"])
        if action == "remove":
            do_remove_schedule(schedule)
            self.stdout.write(_("Removed schedule %(id)d.") % {"id": options["id"]})
        elif action in ("enable", "disable"):
            do_set_schedule(schedule, enabled=action == "enable")
            self.stdout.write(f"{schedule}: {_('on') if schedule.enabled else _('off')}")
        else:
            run = do_run_now(schedule)
            self.stdout.write(
                _("Queued run %(run)d of schedule %(id)d; a worker runs it.")
                % {"run": run.pk, "id": schedule.pk}
            )
        return None

    def _list(self) -> None:
        views = schedules_overview(everything=True)
        if not views:
            self.stdout.write(_("No schedules yet."))
        for view in views:
            schedule, last = view.schedule, view.last_run
            where = schedule.workspace.slug if schedule.workspace else "*"
            state = _("on") if schedule.enabled else _("off")
            last_text = (
                f"{timezone.localtime(last.due_at):%Y-%m-%d %H:%M} {last.get_status_display()}"
                if last
                else "—"
            )
            next_text = (
                f"{timezone.localtime(view.next_due):%Y-%m-%d %H:%M}" if view.next_due else "—"
            )
            timetable = schedule.cron or _("on demand")
            self.stdout.write(
                f"{schedule.pk:>4}  {schedule.job:26} {where:14} {timetable:14} {state:4} "
                f"{_('last')}: {last_text:28} {_('next')}: {next_text}"
            )


def _workspace(slug: str) -> Workspace:
    workspace = Workspace.objects.filter(slug=slug).first()
    if workspace is None:
        raise CommandError(_("No workspace “%(slug)s”.") % {"slug": slug})
    return workspace


def _schedule(pk: int) -> Schedule:
    schedule = Schedule.objects.select_related("workspace").filter(pk=pk).first()
    if schedule is None:
        raise CommandError(_("No schedule %(id)d; “qunyun schedule list” shows them.") % {"id": pk})
    return schedule
