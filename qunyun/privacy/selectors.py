"""Reads for members' privacy rights: what Qunyun holds about one member (access and
portability, PIPL Art. 45, GDPR Art. 15, 20), as JSON-ready data or a workbook.
docs/privacy.md says what each right does; the writes are in qunyun/privacy/actions.py.
"""

from __future__ import annotations

import io
import json
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext as _
from openpyxl import Workbook

from qunyun.activity.models import Activity
from qunyun.audit.models import AuditEvent
from qunyun.members.models import Identity, Member, MergeSuggestion
from qunyun.privacy.deadlines import response_deadline
from qunyun.privacy.models import PrivacyRequest
from qunyun.spreadsheets import SafeSheet
from qunyun.workspaces.models import Workspace

#: Every model that points at a member (or at one of their identities), and what the
#: member's data export does with it. A test fails when a new link is in neither list.
EXPORTED: dict[str, str] = {
    "members.Identity": "identities",
    "activity.Activity": "activities",
    "members.Member_tags": "tags",
    "members.MergeSuggestion": "merge_suggestions",
}
EXCLUDED: dict[str, str] = {
    "privacy.PrivacyRequest": "the log of the member's own requests, which holds no data "
    "about them but their id: kept after erasure as the record that each was answered",
}


def member_links() -> set[str]:
    """Labels of the models with a foreign key or many-to-many to Member or Identity."""
    from django.apps import apps

    found = {"members.Identity"}
    for model in apps.get_models(include_auto_created=True):
        for field in model._meta.get_fields():
            if field.related_model not in (Member, Identity):
                continue
            if isinstance(field, models.ManyToManyField):
                found.add(field.remote_field.through._meta.label)  # type: ignore[union-attr]
            elif isinstance(field, models.ForeignKey):  # one-to-one included
                found.add(model._meta.label)
    found.discard("members.Member")
    return found


def plain_value(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.isoformat()
    return value


def member_data(workspace: Workspace, member: Member) -> dict[str, Any]:
    """Everything Qunyun holds about one member, as plain JSON-ready data."""

    def rows(queryset: models.QuerySet, fields: list[str]) -> list[dict[str, Any]]:
        return [{k: plain_value(v) for k, v in row.items()} for row in queryset.values(*fields)]

    profile_fields = [
        "id", "display_name", "first_seen_at", "last_seen_at", "activity_count",
        "message_count", "is_bot", "notes", "created_at", "segment", "engagement_score",
        "engagement_by_platform", "churn_risk", "churn_reasons", "scored_at",
    ]  # fmt: skip
    profile = rows(Member.objects.filter(pk=member.pk), profile_fields)[0]
    suggestions = MergeSuggestion.objects.filter(workspace=workspace).filter(
        models.Q(member_a=member) | models.Q(member_b=member)
    )
    return {
        "workspace": {"slug": workspace.slug, "name": workspace.name},
        "exported_at": timezone.now().isoformat(),
        "member": profile,
        "identities": rows(
            member.identities.order_by("id"),
            [
                "platform",
                "external_id",
                "handle",
                "display_name",
                "email",
                "phone",
                "avatar_hash",
                "is_bot",
                "created_at",
            ],
        ),  # fmt: skip
        "tags": list(member.tags.order_by("name").values_list("name", flat=True)),
        "activities": rows(
            Activity.objects.filter(workspace=workspace, member=member).order_by("occurred_at"),
            [
                "source",
                "channel__name",
                "external_id",
                "kind",
                "occurred_at",
                "text",
                "reply_to",
                "thread",
                "attrs",
            ],
        ),  # fmt: skip
        "merge_suggestions": rows(
            suggestions.order_by("id"),
            ["member_a_id", "member_b_id", "score", "evidence", "status"],
        ),
        "audit_events": rows(
            AuditEvent.objects.filter(workspace=workspace, target=f"member:{member.pk}"),
            ["action", "created_at", "params"],
        ),
    }


def member_data_xlsx(data: dict[str, Any]) -> bytes:
    """The same data as a workbook: one sheet per section (Excel opens Chinese fine)."""
    book = Workbook(write_only=True)
    sheets = {
        _("Profile"): [data["member"]],
        _("Identities"): data["identities"],
        _("Tags"): [{"tag": t} for t in data["tags"]],
        _("Activities"): data["activities"],
        _("Merge suggestions"): data["merge_suggestions"],
        _("Audit events"): data["audit_events"],
    }
    for title, items in sheets.items():
        sheet = SafeSheet(book, title)
        columns = list(items[0]) if items else []
        sheet.append(columns)
        for item in items:
            sheet.append([_cell(item[c]) for c in columns])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def _cell(value: Any) -> Any:
    if isinstance(value, (dict, list)):
        return json.dumps(value, ensure_ascii=False)
    return value


@dataclass(frozen=True)
class PrivacyRequestRow:
    """One logged request as the page shows it: its deadline and whether it is late."""

    request: PrivacyRequest
    deadline: date
    days_left: int
    overdue: bool

    @property
    def days_late(self) -> int:
        return max(0, -self.days_left)


def privacy_request_rows(workspace: Workspace, today: date) -> list[PrivacyRequestRow]:
    """The workspace's requests, open ones first (the most urgent on top), then the
    answered ones, newest first."""
    rows = []
    for request in PrivacyRequest.objects.filter(workspace=workspace).select_related(
        "member", "logged_by", "done_by"
    ):
        deadline = response_deadline(request.law, request.received_on)
        rows.append(
            PrivacyRequestRow(
                request=request,
                deadline=deadline,
                days_left=(deadline - today).days,
                overdue=request.done_at is None and today > deadline,
            )
        )
    open_rows = sorted((r for r in rows if r.request.done_at is None), key=lambda r: r.deadline)
    done_rows = [r for r in rows if r.request.done_at is not None]
    return open_rows + done_rows


def get_privacy_request(workspace: Workspace, request_id: int) -> PrivacyRequest | None:
    return (
        PrivacyRequest.objects.select_related("workspace", "member")
        .filter(workspace=workspace, pk=request_id)
        .first()
    )
