"""The back office: every model a superuser may need to look up or fix by hand, in the
Django admin — for superusers only, and audited like the same change made elsewhere
(admin_scope.py). Operators work on the workspace's pages instead."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from qunyun.activity.models import Activity, Channel, SnapshotState
from qunyun.audit.models import AuditEvent
from qunyun.back_office.admin_scope import AuditedAdmin, superusers_only
from qunyun.ingest.models import Forum, ImportRun
from qunyun.members.models import ChurnModelRun, Identity, Member, Tag
from qunyun.team.models import Invitation
from qunyun.workspaces.models import Workspace, WorkspaceMembership

admin.site.has_permission = superusers_only  # type: ignore[method-assign]


class MembershipInline(admin.TabularInline):
    model = WorkspaceMembership
    extra = 0
    autocomplete_fields = ["user"]


@admin.register(Workspace)
class WorkspaceAdmin(AuditedAdmin):
    list_display = ["name", "slug", "time_zone", "created_at"]
    search_fields = ["name", "slug"]
    prepopulated_fields = {"slug": ["name"]}
    inlines = [MembershipInline]


@admin.register(WorkspaceMembership)
class WorkspaceMembershipAdmin(AuditedAdmin):
    list_display = ["user", "workspace", "role", "created_at"]
    list_filter = ["role", "workspace"]
    search_fields = ["user__username", "workspace__name"]


class IdentityInline(admin.TabularInline):
    model = Identity
    extra = 0
    fields = ["platform", "external_id", "handle", "display_name", "is_bot"]


@admin.register(Member)
class MemberAdmin(AuditedAdmin):
    list_display = ["display_name", "workspace", "first_seen_at", "last_seen_at", "message_count"]
    list_filter = ["workspace", "is_bot", "tags"]
    search_fields = ["display_name", "identities__handle", "identities__external_id"]
    filter_horizontal = ["tags"]
    inlines = [IdentityInline]


@admin.register(Identity)
class IdentityAdmin(AuditedAdmin):
    list_display = ["display_name", "platform", "external_id", "handle", "member", "workspace"]
    list_filter = ["platform", "workspace", "is_bot"]
    search_fields = ["display_name", "handle", "external_id"]
    raw_id_fields = ["member"]


@admin.register(Tag)
class TagAdmin(AuditedAdmin):
    list_display = ["name", "workspace", "color"]
    list_filter = ["workspace"]
    search_fields = ["name"]


@admin.register(ChurnModelRun)
class ChurnModelRunAdmin(AuditedAdmin):
    list_display = ["workspace", "trained_at", "status", "horizon_days", "auc", "precision_at_k"]
    list_filter = ["workspace", "status"]
    readonly_fields = [f.name for f in ChurnModelRun._meta.fields]


@admin.register(Channel)
class ChannelAdmin(AuditedAdmin):
    list_display = ["name", "platform", "external_id", "kind", "workspace"]
    list_filter = ["platform", "workspace"]
    search_fields = ["name", "external_id"]


@admin.register(Activity)
class ActivityAdmin(AuditedAdmin):
    list_display = ["occurred_at", "kind", "member", "channel", "source", "short_text"]
    list_filter = ["kind", "source", "workspace"]
    search_fields = ["text", "external_id"]
    raw_id_fields = ["member", "channel", "import_run"]
    date_hierarchy = "occurred_at"
    show_full_result_count = False

    @admin.display(description=_("text"))
    def short_text(self, obj: Activity) -> str:
        return obj.text[:80]


@admin.register(SnapshotState)
class SnapshotStateAdmin(AuditedAdmin):
    list_display = ["workspace", "activity_watermark", "generation", "refreshed_at"]
    readonly_fields = ["activity_watermark", "members_version", "generation", "refreshed_at"]


@admin.register(ImportRun)
class ImportRunAdmin(AuditedAdmin):
    list_display = [
        "started_at",
        "workspace",
        "format",
        "file_name",
        "status",
        "records_read",
        "activities_added",
        "duration_seconds",
    ]
    list_filter = ["status", "format", "workspace"]
    search_fields = ["file_name"]
    readonly_fields = [f.name for f in ImportRun._meta.fields]


@admin.register(Forum)
class ForumAdmin(AuditedAdmin):
    """To look up only: adding one needs its key checked and its schedule made, removing
    one its schedule removed — the imports page and ``qunyun forum`` do both. The key is
    never shown (not even encrypted)."""

    list_display = ["workspace", "base_url", "api_username", "schedule", "created_at"]
    search_fields = ["base_url", "workspace__name", "workspace__slug"]
    fields = readonly_fields = (
        "workspace",
        "base_url",
        "api_username",
        "schedule",
        "created_at",
        "created_by",
    )

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(AuditEvent)
class AuditEventAdmin(AuditedAdmin):
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


@admin.register(Invitation)
class InvitationAdmin(AuditedAdmin):
    list_display = [
        "workspace",
        "role",
        "note",
        "created_by",
        "created_at",
        "expires_at",
        "used_at",
    ]
    list_filter = ["workspace", "role"]
    readonly_fields = ["token_hash", "created_at", "used_at", "used_by"]
