"""The schedules page: what runs on its own, when it ran, how it ended, what is next."""

from __future__ import annotations

from django.contrib import messages
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _

from qunyun.scheduling.actions import do_run_now, do_set_schedule
from qunyun.scheduling.jobs import ScheduleError
from qunyun.scheduling.models import Schedule
from qunyun.scheduling.selectors import recent_runs, schedules_overview
from qunyun.workspaces.models import Workspace
from qunyun.workspaces.pages import WorkspaceRequest, workspace_page
from qunyun.workspaces.permissions import Capability


def _may_change(request: WorkspaceRequest, schedule: Schedule) -> bool:
    """A workspace's own schedules are its owners' and admins'; the installation's are
    the superusers'."""
    return schedule.workspace_id is not None or request.user.is_superuser


@workspace_page(capability=Capability.SCHEDULE)
def schedules(request: WorkspaceRequest, workspace: Workspace) -> HttpResponse:
    if request.method == "POST":
        return _change(request, workspace)
    views = schedules_overview(workspace)
    rows = [
        {
            "view": view,
            "runs": list(recent_runs(view.schedule, 10)),
            "can_change": _may_change(request, view.schedule),
        }
        for view in views
    ]
    return render(
        request,
        "scheduling/schedules.html",
        {"workspace": workspace, "rows": rows, "nav": "schedules"},
    )


def _change(request: WorkspaceRequest, workspace: Workspace) -> HttpResponse:
    schedule = (
        Schedule.objects.filter(pk=request.POST.get("schedule") or 0)
        .filter(workspace__in=[workspace])
        .first()
    ) or Schedule.objects.filter(pk=request.POST.get("schedule") or 0, workspace=None).first()
    if schedule is None:
        raise Http404("schedule")
    if not _may_change(request, schedule):
        messages.error(request, _("Only a superuser changes the installation's schedules."))
        return redirect("schedules", workspace.slug)
    action = request.POST.get("action")
    try:
        if action == "run":
            do_run_now(schedule, acting_user=request.user)
            messages.success(request, _("Queued: a worker runs it now."))
        elif action in ("on", "off"):
            do_set_schedule(schedule, enabled=action == "on", acting_user=request.user)
        elif action == "cron":
            do_set_schedule(schedule, cron=request.POST.get("cron", ""), acting_user=request.user)
            messages.success(request, _("Timetable changed."))
        else:
            messages.error(request, _("Unknown action."))
    except ScheduleError as error:
        messages.error(request, str(error))
    return redirect("schedules", workspace.slug)
