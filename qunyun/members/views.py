"""Pages for keeping one profile per person: merge suggestions, merge, unmerge."""

from __future__ import annotations

from django.contrib import messages
from django.core.paginator import Paginator
from django.db import transaction
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_POST

from qunyun.members.merging import MergeError, do_decide_suggestion, do_unmerge_identity
from qunyun.members.selectors import (
    SuggestionFilter,
    get_identity,
    get_merge_suggestion,
    open_merge_suggestions,
)
from qunyun.members.suggestions import do_find_duplicate_members
from qunyun.workspaces.models import Workspace
from qunyun.workspaces.pages import WorkspaceRequest, workspace_page
from qunyun.workspaces.permissions import Capability, may

SUGGESTIONS_PER_PAGE = 50


def _filters(request: HttpRequest) -> SuggestionFilter:
    try:
        min_score = min(1.0, max(0.0, float(request.GET.get("min_score") or 0)))
    except ValueError:
        min_score = 0.0
    kind = request.GET.get("kind", "")
    return SuggestionFilter(min_score=min_score, kind=kind if kind in EVIDENCE_KINDS else "")


EVIDENCE_KINDS = ("name", "nickname", "avatar", "co_activity")


@workspace_page
def merge_suggestions(request: WorkspaceRequest, workspace: Workspace) -> HttpResponse:
    filters = _filters(request)
    page = Paginator(open_merge_suggestions(workspace, filters), SUGGESTIONS_PER_PAGE).get_page(
        request.GET.get("page")
    )
    return render(
        request,
        "members/merge_suggestions.html",
        {
            "workspace": workspace,
            "page": page,
            "filters": filters,
            "evidence_kinds": EVIDENCE_KINDS,
            "can_edit": may(request.workspace_role, Capability.EDIT_MEMBERS),
            "nav": "merge",
        },
    )


@require_POST
@workspace_page(capability=Capability.EDIT_MEMBERS)
def find_duplicates(request: WorkspaceRequest, workspace: Workspace) -> HttpResponse:
    result = do_find_duplicate_members(workspace, acting_user=request.user)
    messages.success(
        request,
        _("%(merged)d merged on a shared verified email or phone; %(open)d suggestions to review.")
        % {"merged": result.auto_merged, "open": result.suggested},
    )
    return redirect("merge_suggestions", slug=workspace.slug)


@require_POST
@workspace_page(capability=Capability.EDIT_MEMBERS)
def decide_suggestion(
    request: WorkspaceRequest, workspace: Workspace, suggestion_id: int
) -> HttpResponse:
    suggestion = get_merge_suggestion(workspace, suggestion_id)
    accept = request.POST.get("decision") == "accept"
    do_decide_suggestion(workspace, suggestion, accept=accept, acting_user=request.user)
    if request.headers.get("HX-Request"):
        return render(
            request,
            "members/_suggestion_done.html",
            {"accepted": accept, "suggestion_id": suggestion_id},
        )
    return redirect("merge_suggestions", slug=workspace.slug)


@require_POST
@workspace_page(capability=Capability.EDIT_MEMBERS)
def decide_suggestions(request: WorkspaceRequest, workspace: Workspace) -> HttpResponse:
    """Accept or reject the ticked suggestions, or every one matching the filter."""
    accept = request.POST.get("decision") == "accept"
    if (request.GET.get("scope") or request.POST.get("scope")) == "filtered":
        chosen = list(open_merge_suggestions(workspace, _filters(request)))
    else:
        ids = [int(i) for i in request.POST.getlist("suggestion") if i.isdigit()]
        chosen = list(open_merge_suggestions(workspace, SuggestionFilter()).filter(pk__in=ids))
    done = 0
    gone: set[int] = set()
    with transaction.atomic():
        for suggestion in chosen:
            # An earlier merge in this batch may have absorbed one of the two members.
            if {suggestion.member_a_id, suggestion.member_b_id} & gone:
                continue
            kept = do_decide_suggestion(
                workspace, suggestion, accept=accept, acting_user=request.user
            )
            if kept is not None:
                gone |= {suggestion.member_a_id, suggestion.member_b_id} - {kept.pk}
            done += 1
    text = (
        ngettext("%(n)d suggestion accepted.", "%(n)d suggestions accepted.", done)
        if accept
        else ngettext("%(n)d suggestion rejected.", "%(n)d suggestions rejected.", done)
    )
    messages.success(request, text % {"n": done})
    return redirect("merge_suggestions", slug=workspace.slug)


@require_POST
@workspace_page(capability=Capability.EDIT_MEMBERS)
def unmerge_identity(
    request: WorkspaceRequest, workspace: Workspace, identity_id: int
) -> HttpResponse:
    identity = get_identity(workspace, identity_id)
    try:
        new = do_unmerge_identity(workspace, identity, acting_user=request.user)
    except MergeError as error:
        messages.error(request, str(error))
        return redirect("member_profile", slug=workspace.slug, member_id=identity.member_id)
    messages.success(
        request,
        _("%(identity)s is a member of its own again.") % {"identity": identity},
    )
    return redirect("member_profile", slug=workspace.slug, member_id=new.pk)
