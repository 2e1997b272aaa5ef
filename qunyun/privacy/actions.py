"""Members' privacy rights that change data: the audited data export, erasure (PIPL
Art. 47, GDPR Art. 17), the workspace retention policy (PIPL Art. 19) and a pseudonymized
export for analysts. docs/privacy.md says what each does; the reads are in selectors.py.

Export and erasure on someone's behalf (``acting_user``) need the ``privacy`` capability
in the workspace — checked here, below the page, the API and the CLI's ``--user`` alike;
``acting_user=None`` is the installation itself (the CLI without ``--user``, the purge).
"""

from __future__ import annotations

import hashlib
import hmac
import io
import secrets
import zipfile
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.contrib.auth.models import User
from django.core.cache import cache
from django.db import models, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from qunyun.activity.models import Activity, SnapshotState
from qunyun.audit.actions import record_event
from qunyun.audit.events import AuditAction
from qunyun.audit.models import AuditEvent
from qunyun.ingest.models import ImportRun
from qunyun.members.models import Identity, Member
from qunyun.privacy.errors import PrivacyRefused, PrivacyRequestError
from qunyun.privacy.models import PrivacyRequest, RequestKind
from qunyun.privacy.selectors import member_data, plain_value
from qunyun.spreadsheets import csv_document
from qunyun.workspaces.access import role_of
from qunyun.workspaces.models import Role, Workspace
from qunyun.workspaces.permissions import Capability, may

ERASED = "[erased]"
#: The longest retention policy accepted (100 years): beyond it, keep everything.
MAX_RETENTION_DAYS = 36500


def require_privacy(workspace: Workspace, user: User | None) -> None:
    """Raise :class:`PrivacyRefused` unless ``user`` (when given) holds the ``privacy``
    capability in ``workspace``."""
    if user is None:
        return
    role = role_of(user, workspace)
    if may(role, Capability.PRIVACY):
        return
    if role is None:
        raise PrivacyRefused(
            _("%(user)s is not a member of workspace “%(slug)s”.")
            % {"user": user.get_username(), "slug": workspace.slug}
        )
    raise PrivacyRefused(
        _(
            "%(user)s is %(role)s in workspace “%(slug)s”: only owners and admins export "
            "or erase members' data."
        )
        % {"user": user.get_username(), "role": Role(role).label, "slug": workspace.slug}
    )


def do_export_member(
    workspace: Workspace, member: Member, *, acting_user: User | None = None
) -> dict[str, Any]:
    """The member's data (a subject access request); the export itself is audited."""
    require_privacy(workspace, acting_user)
    data = member_data(workspace, member)
    record_event(
        AuditAction.MEMBER_DATA_EXPORTED,
        workspace=workspace,
        actor=acting_user,
        target=f"member:{member.pk}",
        activities=len(data["activities"]),
    )
    return data


@dataclass
class Erasure:
    member_id: int
    activities: int
    identities: int
    audit_events_redacted: int


def _personal_strings(member: Member) -> set[str]:
    values = {member.display_name}
    for identity in member.identities.all():
        values |= {
            identity.display_name,
            identity.handle,
            identity.external_id,
            identity.email,
            identity.phone,
        }
    return {v for v in values if v and len(v) >= 2}


def _redact(value: Any, secrets_: set[str]) -> Any:
    if isinstance(value, str):
        for secret in sorted(secrets_, key=len, reverse=True):
            value = value.replace(secret, ERASED)
        return value
    if isinstance(value, list):
        return [_redact(v, secrets_) for v in value]
    if isinstance(value, dict):
        return {k: _redact(v, secrets_) for k, v in value.items()}
    return value


@transaction.atomic
def do_erase_member(
    workspace: Workspace, member: Member, *, acting_user: User | None = None
) -> Erasure:
    """Delete a member entirely: rows, then the analytics snapshot rebuilt without them.

    The audit log keeps its events, but personal values of this member inside them (names,
    handles, account ids, email, phone) are replaced by "[erased]"; the erasure itself is
    recorded by member id only.
    """
    require_privacy(workspace, acting_user)
    erasure = _erase_rows(workspace, member, acting_user)
    transaction.on_commit(lambda: _rebuild_without_them(workspace))
    return erasure


def _erase_rows(workspace: Workspace, member: Member, acting_user: User | None) -> Erasure:
    if member.workspace_id != workspace.pk:
        raise PermissionError("member of another workspace")
    redacted = _redact_everywhere(workspace, _personal_strings(member))
    activities = Activity.objects.filter(workspace=workspace, member=member).delete()[0]
    identities = Identity.objects.filter(workspace=workspace, member=member).delete()[0]
    member_id = member.pk
    _close_erasure_requests(member, acting_user, activities=activities, identities=identities)
    member.delete()
    SnapshotState.objects.filter(workspace=workspace).update(needs_rebuild=True)
    record_event(
        AuditAction.MEMBER_ERASED,
        workspace=workspace,
        actor=acting_user,
        target=f"member:{member_id}",
        activities=activities,
        identities=identities,
    )
    return Erasure(member_id, activities, identities, redacted)


def _redact_everywhere(workspace: Workspace, personal: set[str]) -> int:
    """Replace ``personal`` values in the audit log, import errors and request notes;
    returns how many audit events changed."""
    redacted = 0
    for event in AuditEvent.objects.filter(workspace=workspace).only("id", "params", "target"):
        params, target = _redact(event.params, personal), _redact(event.target, personal)
        if params != event.params or target != event.target:
            AuditEvent.objects.filter(pk=event.pk).update(params=params, target=target)
            redacted += 1
    for run in ImportRun.objects.filter(workspace=workspace).only("id", "errors"):
        errors = _redact(run.errors, personal)
        if errors != run.errors:
            ImportRun.objects.filter(pk=run.pk).update(errors=errors)
    for request in PrivacyRequest.objects.filter(workspace=workspace).exclude(
        note="", closed_reason=""
    ):
        note, reason = _redact(request.note, personal), _redact(request.closed_reason, personal)
        if (note, reason) != (request.note, request.closed_reason):
            PrivacyRequest.objects.filter(pk=request.pk).update(note=note, closed_reason=reason)
    return redacted


def _close_erasure_requests(member: Member, acting_user: User | None, **counts: int) -> None:
    """The member's open erasure requests are answered by this erasure, whichever way it
    came (the privacy page, the API, the CLI, the retention purge)."""
    for request in PrivacyRequest.objects.filter(
        member=member, kind=RequestKind.ERASE, done_at__isnull=True
    ).select_related("workspace"):
        do_mark_request_done(request, acting_user, **counts)


def do_mark_request_done(request: PrivacyRequest, acting_user: User | None, **params: Any) -> None:
    """Record ``request`` as answered now by ``acting_user`` (audited, with ``params``: what
    the answer held)."""
    now = timezone.now()
    PrivacyRequest.objects.filter(pk=request.pk).update(done_at=now, done_by=acting_user)
    request.done_at, request.done_by = now, acting_user
    record_event(
        AuditAction.PRIVACY_REQUEST_COMPLETED,
        workspace=request.workspace,
        actor=acting_user,
        target=f"privacy_request:{request.pk}",
        member=request.member_number,
        kind=request.kind,
        law=request.law,
        **params,
    )


def _rebuild_without_them(workspace: Workspace) -> None:
    from qunyun.activity.snapshot import do_refresh_snapshot

    do_refresh_snapshot(workspace, rebuild=True)
    cache.clear()  # cached figures and pages may hold the member's rows


@dataclass
class Purge:
    activities: int
    members: int


@transaction.atomic
def do_purge_expired(workspace: Workspace, *, now: datetime | None = None) -> Purge:
    """Apply the workspace's retention policy: delete activities older than
    ``retention_days`` and members not seen within it (none when the policy is empty)."""
    if not workspace.retention_days:
        return Purge(0, 0)
    cutoff = (now or timezone.now()) - timedelta(days=workspace.retention_days)
    activities = Activity.objects.filter(workspace=workspace, occurred_at__lt=cutoff).delete()[0]
    stale = (
        Member.objects.filter(workspace=workspace)
        .filter(
            models.Q(last_seen_at__lt=cutoff)
            | models.Q(last_seen_at__isnull=True, created_at__lt=cutoff)
        )
        .exclude(activities__isnull=False)  # nothing of theirs is left inside the window
        .distinct()
    )
    members = 0
    for member in stale:
        _erase_rows(workspace, member, None)
        members += 1
    if activities or members:
        SnapshotState.objects.filter(workspace=workspace).update(needs_rebuild=True)
        record_event(
            AuditAction.RETENTION_APPLIED,
            workspace=workspace,
            target=f"workspace:{workspace.pk}",
            activities=activities,
            members=members,
            older_than=cutoff.isoformat(),
        )
        transaction.on_commit(lambda: _rebuild_without_them(workspace))
    return Purge(activities, members)


@transaction.atomic
def do_set_retention_policy(
    workspace: Workspace, days: int | None, *, acting_user: User | None
) -> None:
    """Keep activities ``days`` days (``None``: keep everything); the daily purge applies
    it. Audited as ``retention_policy_changed`` with the old and new policy."""
    require_privacy(workspace, acting_user)
    if days is not None and not 1 <= days <= MAX_RETENTION_DAYS:
        raise PrivacyRequestError(
            _("A retention policy is a number of days from 1 to %(max)d, or empty.")
            % {"max": MAX_RETENTION_DAYS}
        )
    before = workspace.retention_days
    if before == days:
        return
    Workspace.objects.filter(pk=workspace.pk).update(retention_days=days)
    workspace.retention_days = days
    record_event(
        AuditAction.RETENTION_POLICY_CHANGED,
        workspace=workspace,
        actor=acting_user,
        target=f"workspace:{workspace.pk}",
        retention_days=days,
        previous_retention_days=before,
    )


def do_export_pseudonymized(workspace: Workspace, *, acting_user: User | None = None) -> bytes:
    """A zip for analysts: activities and members keyed by pseudonyms, no names, no text.

    Pseudonyms are HMAC-SHA256 of the member id under a key drawn fresh for each export,
    so two exports cannot be joined with each other or with the live data.
    """
    key = secrets.token_bytes(32)

    def pseudonym(member_id: int) -> str:
        return hmac.new(key, str(member_id).encode(), hashlib.sha256).hexdigest()[:16]

    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        members = (
            [pseudonym(row[0]), *[plain_value(v) for v in row[1:]]]
            for row in Member.objects.filter(workspace=workspace).order_by("id").values_list(
                "id", "first_seen_at", "last_seen_at", "activity_count", "segment",
                "engagement_score", "is_bot",
            )
        )  # fmt: skip
        archive.writestr(
            "members.csv",
            csv_document(
                ["member", "first_seen_at", "last_seen_at", "activity_count", "segment",
                 "engagement_score", "is_bot"],
                members,
            ),
        )  # fmt: skip
        query = (
            Activity.objects.filter(workspace=workspace)
            .order_by("id")
            .values_list("member_id", "source", "channel_id", "kind", "occurred_at", "text")
        )
        activities = (
            [pseudonym(member_id), source, channel_id, kind, occurred_at.isoformat(), len(text)]
            for member_id, source, channel_id, kind, occurred_at, text in query.iterator(5000)
        )
        archive.writestr(
            "activities.csv",
            csv_document(
                ["member", "source", "channel", "kind", "occurred_at", "text_length"], activities
            ),
        )
    record_event(AuditAction.WORKSPACE_PSEUDONYMIZED_EXPORT, workspace=workspace, actor=acting_user,
                 target=f"workspace:{workspace.pk}")  # fmt: skip
    return out.getvalue()
