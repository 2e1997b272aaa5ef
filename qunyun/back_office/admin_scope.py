"""The back office (Django admin) under the same rules as the pages.

Staff users who are not superusers see and change only the rows of workspaces where
their role holds the ``back_office`` capability (owners and admins; docs/security.md);
every change made there is an audit event, like the same change made elsewhere.
"""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.db.models import Model, QuerySet
from django.http import HttpRequest

from qunyun.audit.actions import record_event
from qunyun.audit.events import back_office_action
from qunyun.workspaces.models import Workspace, WorkspaceMembership
from qunyun.workspaces.pages import signed_in_user
from qunyun.workspaces.permissions import ROLE_CAPABILITIES, Capability


def back_office_workspaces(user: Any) -> QuerySet[Workspace]:
    if user.is_superuser:
        return Workspace.objects.all()
    roles = [r for r, caps in ROLE_CAPABILITIES.items() if Capability.BACK_OFFICE in caps]
    ids = WorkspaceMembership.objects.filter(user=user, role__in=roles).values("workspace_id")
    return Workspace.objects.filter(pk__in=ids)


class WorkspaceScoped:
    """Mixin for ModelAdmin and inlines; ``workspace_field`` leads from the row to its
    workspace ("" for the Workspace model itself)."""

    workspace_field = "workspace"

    def _scope(self, request: HttpRequest, queryset: QuerySet[Any]) -> QuerySet[Any]:
        if request.user.is_superuser:  # type: ignore[union-attr]
            return queryset
        allowed = back_office_workspaces(request.user)
        lookup = f"{self.workspace_field}__in" if self.workspace_field else "pk__in"
        return queryset.filter(**{lookup: allowed})

    def get_queryset(self, request: HttpRequest) -> QuerySet[Any]:
        return self._scope(request, super().get_queryset(request))  # type: ignore[misc]

    def formfield_for_foreignkey(self, db_field: Any, request: HttpRequest, **kwargs: Any) -> Any:
        if db_field.related_model is Workspace:
            kwargs["queryset"] = back_office_workspaces(request.user)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)  # type: ignore[misc]


def _workspace_of(obj: Model) -> Workspace | None:
    if isinstance(obj, Workspace):
        return obj
    return getattr(obj, "workspace", None)


class WorkspaceScopedAdmin(WorkspaceScoped, admin.ModelAdmin):
    def _in_scope(self, request: HttpRequest, obj: Any = None) -> bool:
        user: Any = request.user
        if user.is_superuser:
            return True
        allowed = back_office_workspaces(user)
        if obj is None:
            return allowed.exists()
        workspace = _workspace_of(obj)
        return workspace is not None and allowed.filter(pk=workspace.pk).exists()

    def has_module_permission(self, request: HttpRequest) -> bool:
        return super().has_module_permission(request) and self._in_scope(request)

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return super().has_view_permission(request, obj) and self._in_scope(request, obj)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return super().has_add_permission(request) and self._in_scope(request)

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return super().has_change_permission(request, obj) and self._in_scope(request, obj)

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return super().has_delete_permission(request, obj) and self._in_scope(request, obj)

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
