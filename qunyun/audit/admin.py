from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from qunyun.audit.models import AuditEvent
from qunyun.workspaces.admin_scope import WorkspaceScopedAdmin


@admin.register(AuditEvent)
class AuditEventAdmin(WorkspaceScopedAdmin):
    list_display = ["created_at", "workspace", "actor", "action", "target"]
    list_filter = ["action", "workspace"]
    search_fields = ["action", "target"]
    readonly_fields = ["created_at", "workspace", "actor", "action", "target", "params"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False
