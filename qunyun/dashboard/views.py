"""The operator's pages: overview (filtered by period and channel), members list, profile.

Views stay thin: find the workspace through the access helper, call a selector, render.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.utils.dates import WEEKDAYS
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _

from qunyun.analytics.kpi_types import LIFECYCLE_STATES, Kpis
from qunyun.dashboard.filters import (
    PERIODS,
    InvalidFilter,
    OverviewFilter,
    parse_member_filter,
    parse_overview_filter,
)
from qunyun.dashboard.selectors import overview_sections_html, workspace_channels
from qunyun.dashboard.tables import (
    cohort_table,
    percent,
    segment_label,
    top_contributors_table,
    unanswered_questions_table,
    week_label,
)
from qunyun.ingest.models import ImportRun
from qunyun.members.models import Segment
from qunyun.members.selectors import (
    MemberFilter,
    get_member,
    member_list_rows,
    member_timeline,
    with_platforms_and_tags,
    workspace_tags,
)
from qunyun.workspaces.access import workspaces_for_user
from qunyun.workspaces.models import Workspace
from qunyun.workspaces.pages import MEMBER_EDITORS, workspace_page
from qunyun.workspaces.permissions import Capability, may

MEMBERS_PER_PAGE = 50
TIMELINE_PER_PAGE = 50
#: Unanswered questions listed on the overview; the export holds all of them.
UNANSWERED_SHOWN = 20


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
    """The overview, filtered by period and channel; htmx asks for the sections only."""
    context: dict[str, Any] = {
        "workspace": workspace,
        "channels": workspace_channels(workspace),
        "periods": PERIODS,
        "nav": "overview",
    }
    status = 200
    try:
        filters = parse_overview_filter(workspace, request.GET)
    except InvalidFilter as exc:
        context.update(filters=OverviewFilter(), filter_error=str(exc))
        status = 400
    else:

        def render_sections(kpis: Kpis, last_import: ImportRun | None) -> str:
            sections_context = {
                **context,
                **overview_sections(workspace, kpis, filters),
                "last_import": last_import,
            }
            return render_to_string(
                "dashboard/_overview_sections.html", sections_context, request=request
            )

        sections = overview_sections_html(workspace, filters, render=render_sections)
        context.update(filters=filters, sections_html=mark_safe(sections))  # noqa: S308
    if (
        request.headers.get("HX-Request")
        and request.headers.get("HX-Target") == "overview-sections"
    ):
        if "sections_html" in context:
            return HttpResponse(context["sections_html"], status=status)
        return render(request, "dashboard/_overview_sections.html", context, status=status)
    return render(request, "dashboard/overview.html", context, status=status)


def overview_sections(workspace: Workspace, kpis: Kpis, filters: OverviewFilter) -> dict[str, Any]:
    """What the overview's sections show: cards, chart data, the first rows of each table."""
    context: dict[str, Any] = {
        "kpis": kpis,
        "filters": filters,
        "export_query": urlencode(filters.as_query()),
    }
    if kpis["as_of"] is None:
        return context
    questions = kpis["questions"]
    by_period = kpis["series"]["by_period"]
    cohorts = cohort_table(workspace, kpis)
    weeks = [column.key for column in cohorts.columns[2:]]
    context.update(
        period_start=by_period[-1]["period_start"] if by_period else None,
        median_first_response=duration_text(questions["median_first_response_minutes"]),
        stickiness_percent=round(kpis["stickiness"] * 100, 1),
        growth=kpis["growth"],
        growth_rate_percent=percent(kpis["growth"]["growth_rate"]),
        engagement=kpis["engagement"],
        engagement_percent={
            key: percent(kpis["engagement"][key])
            for key in ("engagement_rate", "reply_rate", "top_1pct_share", "top_10pct_share")
        },
        questions=questions,
        answered_1h_percent=percent(questions["answered_1h_share"]),
        answered_24h_percent=percent(questions["answered_24h_share"]),
        chart_data=overview_chart_data(kpis),
        top_contributors=top_contributors_table(workspace, kpis),
        unanswered=unanswered_questions_table(workspace, kpis, limit=UNANSWERED_SHOWN),
        # Every one, not the newest the KPIs keep (the export holds them all).
        unanswered_total=questions["total"] - questions["answered"],
        cohort_rows=[
            {
                "start": row["cohort_start"],
                "size": row["size"],
                "values": [row.get(week) for week in weeks],
            }
            for row in cohorts.rows
        ],
    )
    return context


def duration_text(minutes: float | None) -> str:
    """42.0 → "42 min", 150 → "2.5 h", 4000 → "2.8 days" (in the operator's language)."""
    if minutes is None:
        return ""
    if minutes < 60:
        return _("%(minutes)s min") % {"minutes": round(minutes)}
    if minutes < 48 * 60:
        return _("%(hours)s h") % {"hours": round(minutes / 60, 1)}
    return _("%(days)s days") % {"days": round(minutes / 1440, 1)}


def overview_chart_data(kpis: Kpis) -> dict[str, Any]:
    """The series the charts draw (charts.js), with the labels that are data, translated."""
    daily = kpis["series"]["daily"]
    by_period = kpis["series"]["by_period"]
    questions = kpis["questions"]
    retention = kpis["retention"]
    lifecycle = kpis["lifecycle"]
    segments = kpis["segments"]
    return {
        "dates": [d["date"] for d in daily],
        "dau": [d["active_members"] for d in daily],
        "wau": [d["wau"] for d in daily],
        "mau": [d["mau"] for d in daily],
        "new_members": [d["new_members"] for d in daily],
        "messages": [d["messages"] for d in daily],
        "periods": {
            "starts": [p["period_start"] for p in by_period],
            "joined": [p["joined"] for p in by_period],
            "left": [p["left"] for p in by_period],
            "net_growth": [p["net_growth"] for p in by_period],
            "engagement_rate": [percent(p["engagement_rate"]) for p in by_period],
            "messages_per_active_member": [p["messages_per_active_member"] for p in by_period],
        },
        "questions": {
            "total": questions["total"],
            "answered": percent(
                questions["answered"] / questions["total"] if questions["total"] else None
            ),
            "within_24h": percent(questions["answered_24h_share"]),
            "within_1h": percent(questions["answered_1h_share"]),
        },
        "retention": {
            "cohorts": [c["cohort_start"] for c in retention["cohorts"]],
            "sizes": [c["size"] for c in retention["cohorts"]],
            "weeks": [week_label(week) for week in range(retention["weeks"] + 1)],
            "z": [[percent(share) for share in c["retention"]] for c in retention["cohorts"]],
        },
        "lifecycle": {
            "starts": [p["period_start"] for p in lifecycle],
            **{key: [p[key] for p in lifecycle] for key in LIFECYCLE_STATES},
        },
        "segments": {
            "keys": [key for key in Segment.values if key in segments],
            "labels": [segment_label(key) for key in Segment.values if key in segments],
            "counts": [segments[key] for key in Segment.values if key in segments],
        },
        "hour_of_week": {
            "days": [str(WEEKDAYS[day]) for day in range(7)],
            "z": kpis["heatmap"]["hour_of_week"],
        },
    }


@workspace_page
def members(request: HttpRequest, workspace: Workspace) -> HttpResponse:
    status = 200
    filter_error = ""
    try:
        filters = parse_member_filter(workspace, request.GET)
    except InvalidFilter as exc:
        filters, filter_error, status = MemberFilter(), str(exc), 400
    page = Paginator(member_list_rows(workspace, filters), MEMBERS_PER_PAGE).get_page(
        request.GET.get("page")
    )
    page.object_list = with_platforms_and_tags(list(page.object_list))
    context = {
        "workspace": workspace,
        "page": page,
        "filters": filters,
        "filter_error": filter_error,
        "tags": workspace_tags(workspace),
        "segments": Segment.choices,
        "channels": workspace_channels(workspace),
        "export_query": urlencode(filters.as_query()),
        "nav": "members",
    }
    template = "dashboard/members.html"
    if request.headers.get("HX-Request") and request.headers.get("HX-Target") == "member-table":
        template = "dashboard/_member_table.html"
    return render(request, template, context, status=status)


@workspace_page
def member_profile(request: HttpRequest, workspace: Workspace, member_id: int) -> HttpResponse:
    member = get_member(workspace, member_id)
    role = request.workspace_role  # type: ignore[attr-defined]
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
            "can_edit": role in MEMBER_EDITORS,
            "can_log_privacy": may(role, Capability.PRIVACY),
        },
    )
