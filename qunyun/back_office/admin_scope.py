"""The back office (Django admin) is for superusers only, and audited.

Daily work — the team, roles, invitations, privacy requests, retention, schedules — is
done on the workspace's own pages, under the role table of docs/security.md. The back
office stays as the installation's last resort: only superusers get in (a staff flag
alone opens nothing), and every change made there is an audit event, like the same
change made elsewhere.
"""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.db.models import Model, QuerySet
from django.http import HttpRequest

from qunyun.audit.actions import record_event
from qunyun.audit.events import back_office_action
from qunyun.workspaces.models import Workspace
from qunyun.workspaces.pages import signed_in_user


def superusers_only(request: HttpRequest) -> bool:
    """The back office's door (``AdminSite.has_permission``): active superusers."""
    user: Any = request.user
    return bool(user.is_active and user.is_superuser)


def _workspace_of(obj: Model) -> Workspace | None:
    if isinstance(obj, Workspace):
        return obj
    return getattr(obj, "workspace", None)


class AuditedAdmin(admin.ModelAdmin):
    """A model's admin whose every addition, change and deletion is an audit event
    (``<model>_<added|changed|deleted>_in_back_office``)."""

    def save_model(self, request: HttpRequest, obj: Any, form: Any, change: bool) -> None:
        super().save_model(request, obj, form, change)
        record_event(
            back_office_action(obj._meta.model_name, "changed" if change else "added"),
            workspace=_workspace_of(obj),
            actor=signed_in_user(request),
            target=f"{obj._meta.model_name}:{obj.pk}",
            fields=sorted(form.changed_data) if form is not None else [],
        )

    def delete_model(self, request: HttpRequest, obj: Any) -> None:
        workspace, target = _workspace_of(obj), f"{obj._meta.model_name}:{obj.pk}"
        if isinstance(obj, Workspace):
            workspace = None  # the event outlives the workspace
        super().delete_model(request, obj)
        record_event(
            back_office_action(obj._meta.model_name, "deleted"),
            workspace=workspace,
            actor=signed_in_user(request),
            target=target,
        )

    def delete_queryset(self, request: HttpRequest, queryset: QuerySet[Any]) -> None:
        for obj in queryset:
            self.delete_model(request, obj)
