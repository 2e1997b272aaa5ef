"""The team page (owners and admins: teammates, roles, invitations) and the invitation
link itself, which anyone holding it may open."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth import login
from django.contrib.auth.models import User
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _

from qunyun.team.actions import (
    closed_reason,
    do_accept_invitation,
    do_accept_invitation_as_new_user,
    do_change_teammate_role,
    do_invite_teammate,
    do_remove_teammate,
    do_revoke_invitation,
)
from qunyun.team.errors import InvitationClosed, TeamError
from qunyun.team.forms import InviteeSignUpForm, InviteForm, TeammateForm
from qunyun.team.models import INVITATION_DAYS
from qunyun.team.selectors import (
    get_invitation,
    invitation_for_secret,
    recent_invitations,
    teammates,
)
from qunyun.workspaces.models import Role, Workspace
from qunyun.workspaces.pages import WorkspaceRequest, workspace_page
from qunyun.workspaces.permissions import Capability


@workspace_page(capability=Capability.MANAGE_TEAM)
def team(request: WorkspaceRequest, workspace: Workspace) -> HttpResponse:
    invite_form, link = InviteForm(), None
    if request.method == "POST":
        action = request.POST.get("action")
        if action != "invite":
            return _change(request, workspace, action)
        invite_form = InviteForm(request.POST)
        if invite_form.is_valid():
            try:
                invitation, secret = do_invite_teammate(
                    workspace,
                    invite_form.cleaned_data["role"],
                    note=invite_form.cleaned_data["note"],
                    acting_user=request.user,
                )
            except TeamError as error:
                messages.error(request, str(error))
            else:
                link = request.build_absolute_uri(reverse("team_invitation", args=[secret]))
                invite_form = InviteForm(initial={"role": invitation.role})
    return render(
        request,
        "team/team.html",
        {
            "workspace": workspace,
            "nav": "team",
            "teammates": teammates(workspace),
            "invitations": recent_invitations(workspace),
            "invite_form": invite_form,
            "link": link,
            "invitation_days": INVITATION_DAYS,
            "roles": Role.choices,
        },
        status=400 if invite_form.is_bound and invite_form.errors else 200,
    )


def _change(request: WorkspaceRequest, workspace: Workspace, action: str | None) -> HttpResponse:
    """A role change, a removal or a revoked invitation; then back to the page."""
    form = TeammateForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Say which teammate (and which role) the change is for."))
        return redirect("team", workspace.slug)
    if action == "revoke":
        invitation = get_invitation(workspace, form.cleaned_data["invitation"] or 0)
        if invitation is None:
            raise Http404("invitation")
        do_revoke_invitation(invitation, acting_user=request.user)
        messages.success(request, _("Invitation withdrawn: its link no longer works."))
        return redirect("team", workspace.slug)
    user = User.objects.filter(
        pk=form.cleaned_data["user"], workspace_memberships__workspace=workspace
    ).first()
    if user is None:
        raise Http404("teammate")
    try:
        if action == "role" and form.cleaned_data["role"]:
            do_change_teammate_role(
                workspace, user, form.cleaned_data["role"], acting_user=request.user
            )
            messages.success(request, _("%(user)s's role changed.") % {"user": user.username})
        elif action == "remove":
            do_remove_teammate(workspace, user, acting_user=request.user)
            messages.success(request, _("%(user)s left the team.") % {"user": user.username})
        else:
            messages.error(request, _("Unknown action."))
    except TeamError as error:
        messages.error(request, str(error))
    return redirect("team", workspace.slug)


def invitation(request: HttpRequest, secret: str) -> HttpResponse:
    """The invitee's page: join as the signed-in user, or make an account and join.

    No login needed — the link's secret is the key; a closed link says why (410).
    """
    found = invitation_for_secret(secret)
    reason = closed_reason(found)
    if found is None or reason is not None:
        return _closed(request, reason or "")
    form = InviteeSignUpForm()
    if request.method == "POST":
        try:
            if request.user.is_authenticated:
                do_accept_invitation(secret, request.user)  # type: ignore[arg-type]
            else:
                form = InviteeSignUpForm(request.POST)
                if form.is_valid():
                    user = do_accept_invitation_as_new_user(
                        secret, form.cleaned_data["username"], form.cleaned_data["password1"]
                    )
                    login(request, user)
        except InvitationClosed as error:
            return _closed(request, str(error))
        except TeamError as error:
            messages.error(request, str(error))
        else:
            if request.user.is_authenticated:
                messages.success(
                    request, _("Welcome to %(workspace)s.") % {"workspace": found.workspace.name}
                )
                return redirect("overview", found.workspace.slug)
    context = {"invitation": found, "form": form, "secret": secret}
    return render(request, "team/invitation.html", context)


def _closed(request: HttpRequest, reason: str) -> HttpResponse:
    return render(request, "team/invitation.html", {"closed": reason}, status=410)
