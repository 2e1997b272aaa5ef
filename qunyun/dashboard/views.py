"""The operator's pages: overview, members list, member profile.

Views stay thin: find the workspace through the access helper, call a selector, render.
"""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render

from qunyun.analytics.selectors import workspace_kpis
from qunyun.ingest.models import ImportRun
from qunyun.members.selectors import (
    DEFAULT_MEMBER_SORT,
    MEMBER_SORTS,
    MemberFilter,
    get_member,
    member_list,
    member_timeline,
    workspace_tags,
)
from qunyun.workspaces.access import workspaces_for_user
from qunyun.workspaces.models import Workspace
from qunyun.workspaces.pages import MEMBER_EDITORS, workspace_page

MEMBERS_PER_PAGE = 50
TIMELINE_PER_PAGE = 50


@login_required
def home(request: HttpRequest) -> HttpResponse:
    """Open the last workspace used, or the first one; explain what to do if none."""
    workspaces = workspaces_for_user(request.user)
    slug = request.session.get("workspace")
    workspace = workspaces.filter(slug=slug).first() if slug else None
    workspace = workspace or workspaces.first()
    if workspace is None:
        return render(request, "dashboard/no_workspace.html")
    return redirect("overview", slug=workspace.slug)


@workspace_page
def overview(request: HttpRequest, workspace: Workspace) -> HttpResponse:
    kpis = workspace_kpis(workspace)
    chart_data = {
        "dates": [d["date"] for d in kpis["series"]["daily"]],
        "dau": [d["active_members"] for d in kpis["series"]["daily"]],
        "wau": [d["wau"] for d in kpis["series"]["daily"]],
        "mau": [d["mau"] for d in kpis["series"]["daily"]],
        "new_members": [d["new_members"] for d in kpis["series"]["daily"]],
        "messages": [d["messages"] for d in kpis["series"]["daily"]],
    }
    last_import = ImportRun.objects.filter(workspace=workspace).first()
    return render(
        request,
        "dashboard/overview.html",
        {
            "workspace": workspace,
            "kpis": kpis,
            "stickiness_percent": round(kpis["stickiness"] * 100, 1),
            "chart_data": chart_data,
            "last_import": last_import,
            "nav": "overview",
        },
    )


@workspace_page
def members(request: HttpRequest, workspace: Workspace) -> HttpResponse:
    sort = request.GET.get("sort", DEFAULT_MEMBER_SORT)
    if sort not in MEMBER_SORTS:
        sort = DEFAULT_MEMBER_SORT
    filters = MemberFilter(
        query=request.GET.get("q", "")[:200], tag=request.GET.get("tag", "")[:64], sort=sort
    )
    page = Paginator(member_list(workspace, filters), MEMBERS_PER_PAGE).get_page(
        request.GET.get("page")
    )
    context = {
        "workspace": workspace,
        "page": page,
        "filters": filters,
        "tags": workspace_tags(workspace),
        "nav": "members",
    }
    template = "dashboard/members.html"
    if request.headers.get("HX-Request") and request.headers.get("HX-Target") == "member-table":
        template = "dashboard/_member_table.html"
    return render(request, template, context)


@workspace_page
def member_profile(request: HttpRequest, workspace: Workspace, member_id: int) -> HttpResponse:
    member = get_member(workspace, member_id)
    timeline = Paginator(member_timeline(workspace, member), TIMELINE_PER_PAGE).get_page(
        request.GET.get("page")
    )
    return render(
        request,
        "dashboard/member_profile.html",
        {
            "workspace": workspace,
            "member": member,
            "timeline": timeline,
            "nav": "members",
            "can_edit": request.workspace_role in MEMBER_EDITORS,  # type: ignore[attr-defined]
        },
    )
