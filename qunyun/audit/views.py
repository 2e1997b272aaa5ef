"""The audit log page: who did what and when, for owners and admins."""

from __future__ import annotations

from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from qunyun.audit.selectors import workspace_audit_actions, workspace_audit_events
from qunyun.workspaces.models import Workspace
from qunyun.workspaces.pages import workspace_page
from qunyun.workspaces.permissions import Capability

EVENTS_PER_PAGE = 50


@workspace_page(capability=Capability.READ_AUDIT)
def audit_log(request: HttpRequest, workspace: Workspace) -> HttpResponse:
    actions = workspace_audit_actions(workspace)
    action = request.GET.get("action", "")
    if action not in actions:
        action = ""
    page = Paginator(workspace_audit_events(workspace, action=action), EVENTS_PER_PAGE).get_page(
        request.GET.get("page")
    )
    return render(
        request,
        "audit/audit_log.html",
        {
            "workspace": workspace,
            "page": page,
            "actions": actions,
            "action": action,
            "nav": "audit",
        },
    )
