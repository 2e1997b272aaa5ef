"""The writes of the privacy-requests log: log a data subject's request, then answer it
by running the export or the erasure it asks for (docs/privacy.md). Each is atomic,
audited, and needs the ``privacy`` capability of whoever acts."""

from __future__ import annotations

from datetime import date
from typing import Any

from django.contrib.auth.models import User
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from qunyun.audit.actions import record_event
from qunyun.audit.events import AuditAction
from qunyun.members.models import Member
from qunyun.privacy.actions import (
    Erasure,
    do_erase_member,
    do_export_member,
    do_mark_request_done,
    require_privacy,
)
from qunyun.privacy.deadlines import response_deadline
from qunyun.privacy.errors import PrivacyRequestError
from qunyun.privacy.models import PrivacyRequest, RequestKind
from qunyun.workspaces.models import Workspace


@transaction.atomic
def do_log_privacy_request(
    workspace: Workspace,
    member: Member,
    *,
    kind: str,
    law: str,
    received_on: date,
    note: str = "",
    acting_user: User | None,
) -> PrivacyRequest:
    """Record that ``member`` asked for ``kind`` under ``law`` on ``received_on``."""
    require_privacy(workspace, acting_user)
    if member.workspace_id != workspace.pk:
        raise PrivacyRequestError(_("The member belongs to another workspace."))
    request = PrivacyRequest.objects.create(
        workspace=workspace,
        member=member,
        member_number=member.pk,
        kind=kind,
        law=law,
        received_on=received_on,
        note=note.strip()[:200],
        logged_by=acting_user,
    )
    record_event(
        AuditAction.PRIVACY_REQUEST_LOGGED,
        workspace=workspace,
        actor=acting_user,
        target=f"privacy_request:{request.pk}",
        member=member.pk,
        kind=kind,
        law=law,
        received_on=received_on.isoformat(),
        deadline=response_deadline(law, received_on).isoformat(),
    )
    return request


def _locked_open(request: PrivacyRequest) -> PrivacyRequest:
    """``request`` read again and locked against a second answer; refused when answered."""
    locked = PrivacyRequest.objects.select_for_update().get(pk=request.pk)
    if locked.done_at is not None:
        raise PrivacyRequestError(
            _("Request %(id)d was already answered on %(date)s.")
            % {"id": request.pk, "date": timezone.localtime(locked.done_at).strftime("%Y-%m-%d")}
        )
    return locked


def _open_request_for(request: PrivacyRequest, kind: str) -> Member:
    """The member of an open request of ``kind``, locked against a second answer."""
    locked = _locked_open(request)
    if locked.kind != kind:
        raise PrivacyRequestError(
            _("Request %(id)d asks for %(kind)s, not this.")
            % {"id": request.pk, "kind": locked.get_kind_display()}
        )
    member = (
        Member.objects.filter(pk=locked.member_id, workspace=request.workspace).first()
        if locked.member_id is not None
        else None
    )
    if member is None:
        raise PrivacyRequestError(
            _("Member %(id)d no longer exists (erased or merged into another member).")
            % {"id": locked.member_number}
        )
    return member


@transaction.atomic
def do_answer_export_request(
    request: PrivacyRequest, *, acting_user: User | None
) -> dict[str, Any]:
    """The member's data for an export request (audited as ``member_data_exported``);
    the request is marked done."""
    require_privacy(request.workspace, acting_user)
    member = _open_request_for(request, RequestKind.EXPORT)
    data = do_export_member(request.workspace, member, acting_user=acting_user)
    do_mark_request_done(request, acting_user, activities=len(data["activities"]))
    return data


@transaction.atomic
def do_answer_erasure_request(request: PrivacyRequest, *, acting_user: User | None) -> Erasure:
    """Erase the member of an erasure request (audited as ``member_erased``; the
    snapshot is rebuilt after the commit); the erasure marks the request done, with
    any other open erasure request of the same member."""
    require_privacy(request.workspace, acting_user)
    member = _open_request_for(request, RequestKind.ERASE)
    erasure = do_erase_member(request.workspace, member, acting_user=acting_user)
    request.refresh_from_db()
    return erasure


@transaction.atomic
def do_close_privacy_request(
    request: PrivacyRequest, reason: str, *, acting_user: User | None
) -> None:
    """Close an open request without answering it — withdrawn, the requester's identity
    not verified, the member gone — saying why (audited as ``privacy_request_closed``)."""
    require_privacy(request.workspace, acting_user)
    reason = reason.strip()
    if not reason:
        raise PrivacyRequestError(_("Say why the request is closed without an answer."))
    _locked_open(request)
    now = timezone.now()
    PrivacyRequest.objects.filter(pk=request.pk).update(
        done_at=now, done_by=acting_user, closed_reason=reason[:200]
    )
    record_event(
        AuditAction.PRIVACY_REQUEST_CLOSED,
        workspace=request.workspace,
        actor=acting_user,
        target=f"privacy_request:{request.pk}",
        member=request.member_number,
        kind=request.kind,
        law=request.law,
        reason=reason[:200],
    )
