"""The privacy-requests page (owners and admins): the log of data subjects' requests with
their deadlines, the export and erasure that answer them, and the retention policy."""

from __future__ import annotations

import json

from django.contrib import messages
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _

from qunyun.privacy.actions import do_set_retention_policy
from qunyun.privacy.errors import PrivacyRequestError
from qunyun.privacy.forms import ErasureConfirmForm, PrivacyRequestForm, RetentionForm
from qunyun.privacy.models import PrivacyRequest
from qunyun.privacy.requests import (
    do_answer_erasure_request,
    do_answer_export_request,
    do_close_privacy_request,
    do_log_privacy_request,
)
from qunyun.privacy.selectors import get_privacy_request, member_data_xlsx, privacy_request_rows
from qunyun.workspaces.models import Workspace
from qunyun.workspaces.pages import WorkspaceRequest, workspace_page
from qunyun.workspaces.permissions import Capability

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@workspace_page(capability=Capability.PRIVACY)
def privacy_requests(request: WorkspaceRequest, workspace: Workspace) -> HttpResponse:
    request_form = PrivacyRequestForm(
        workspace,
        initial={"member": request.GET.get("member"), "received_on": timezone.localdate()},
    )
    retention_form = RetentionForm(initial={"retention_days": workspace.retention_days})
    status = 200
    if request.method == "POST":
        action = request.POST.get("action")
        if action == "log":
            request_form = PrivacyRequestForm(workspace, request.POST)
            if request_form.is_valid():
                return _log(request, workspace, request_form)
        elif action == "retention":
            retention_form = RetentionForm(request.POST)
            if retention_form.is_valid():
                return _set_retention(request, workspace, retention_form)
        elif action == "close":
            return _close(request, workspace)
        else:
            messages.error(request, _("Unknown action."))
            return redirect("privacy_requests", workspace.slug)
        status = 400
    context = {
        "workspace": workspace,
        "nav": "privacy",
        "rows": privacy_request_rows(workspace, timezone.localdate()),
        "request_form": request_form,
        "retention_form": retention_form,
    }
    return render(request, "privacy/requests.html", context, status=status)


def _log(request: WorkspaceRequest, workspace: Workspace, form: PrivacyRequestForm) -> HttpResponse:
    logged = do_log_privacy_request(
        workspace,
        form.cleaned_data["member"],
        kind=form.cleaned_data["kind"],
        law=form.cleaned_data["law"],
        received_on=form.cleaned_data["received_on"],
        note=form.cleaned_data["note"],
        acting_user=request.user,
    )
    messages.success(request, _("Request %(id)d logged.") % {"id": logged.pk})
    return redirect("privacy_requests", workspace.slug)


def _set_retention(
    request: WorkspaceRequest, workspace: Workspace, form: RetentionForm
) -> HttpResponse:
    days = form.cleaned_data["retention_days"]
    do_set_retention_policy(workspace, days, acting_user=request.user)
    if days is None:
        messages.success(request, _("Retention policy removed: everything is kept."))
    else:
        messages.success(
            request,
            _("Retention policy: activities older than %(days)d days are deleted every day.")
            % {"days": days},
        )
    return redirect("privacy_requests", workspace.slug)


def _close(request: WorkspaceRequest, workspace: Workspace) -> HttpResponse:
    request_id = request.POST.get("request", "")
    privacy_request = _request_or_404(workspace, int(request_id) if request_id.isdigit() else 0)
    try:
        do_close_privacy_request(
            privacy_request, request.POST.get("reason", ""), acting_user=request.user
        )
    except PrivacyRequestError as error:
        messages.error(request, str(error))
    else:
        messages.success(request, _("Request %(id)d closed.") % {"id": privacy_request.pk})
    return redirect("privacy_requests", workspace.slug)


def _request_or_404(workspace: Workspace, request_id: int) -> PrivacyRequest:
    found = get_privacy_request(workspace, request_id)
    if found is None:
        raise Http404("privacy request")
    return found


@workspace_page(capability=Capability.PRIVACY)
def export_for_request(
    request: WorkspaceRequest, workspace: Workspace, request_id: int
) -> HttpResponse:
    """POST: the member's data as a download (JSON, or XLSX with ``format=xlsx``)."""
    privacy_request = _request_or_404(workspace, request_id)
    if request.method != "POST":
        return redirect("privacy_requests", workspace.slug)
    try:
        data = do_answer_export_request(privacy_request, acting_user=request.user)
    except PrivacyRequestError as error:
        messages.error(request, str(error))
        return redirect("privacy_requests", workspace.slug)
    name = f"member-{privacy_request.member_number}-data"
    if request.POST.get("format") == "xlsx":
        response = HttpResponse(member_data_xlsx(data), content_type=XLSX)
        response["Content-Disposition"] = f'attachment; filename="{name}.xlsx"'
        return response
    body = json.dumps(data, ensure_ascii=False, indent=1)
    response = HttpResponse(body, content_type="application/json; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{name}.json"'
    return response


@workspace_page(capability=Capability.PRIVACY)
def erase_for_request(
    request: WorkspaceRequest, workspace: Workspace, request_id: int
) -> HttpResponse:
    """GET: what the erasure deletes, and a box to tick; POST with it ticked: erase."""
    privacy_request = _request_or_404(workspace, request_id)
    form = ErasureConfirmForm()
    if request.method == "POST":
        form = ErasureConfirmForm(request.POST)
        if form.is_valid():
            try:
                erasure = do_answer_erasure_request(privacy_request, acting_user=request.user)
            except PrivacyRequestError as error:
                messages.error(request, str(error))
            else:
                messages.success(
                    request,
                    _(
                        "Member %(id)d erased: %(activities)d activities and %(identities)d "
                        "identities deleted; analytics are rebuilt without them."
                    )
                    % {
                        "id": erasure.member_id,
                        "activities": erasure.activities,
                        "identities": erasure.identities,
                    },
                )
            return redirect("privacy_requests", workspace.slug)
    context = {"workspace": workspace, "nav": "privacy", "req": privacy_request, "form": form}
    return render(request, "privacy/erase.html", context, status=400 if form.is_bound else 200)
