from django.contrib import admin

from qunyun.members.models import ChurnModelRun, Identity, Member, Tag
from qunyun.workspaces.admin_scope import WorkspaceScoped, WorkspaceScopedAdmin


class IdentityInline(WorkspaceScoped, admin.TabularInline):
    model = Identity
    extra = 0
    fields = ["platform", "external_id", "handle", "display_name", "is_bot"]


@admin.register(Member)
class MemberAdmin(WorkspaceScopedAdmin):
    list_display = ["display_name", "workspace", "first_seen_at", "last_seen_at", "message_count"]
    list_filter = ["workspace", "is_bot", "tags"]
    search_fields = ["display_name", "identities__handle", "identities__external_id"]
    filter_horizontal = ["tags"]
    inlines = [IdentityInline]


@admin.register(Identity)
class IdentityAdmin(WorkspaceScopedAdmin):
    list_display = ["display_name", "platform", "external_id", "handle", "member", "workspace"]
    list_filter = ["platform", "workspace", "is_bot"]
    search_fields = ["display_name", "handle", "external_id"]
    raw_id_fields = ["member"]


@admin.register(Tag)
class TagAdmin(WorkspaceScopedAdmin):
    list_display = ["name", "workspace", "color"]
    list_filter = ["workspace"]
    search_fields = ["name"]


@admin.register(ChurnModelRun)
class ChurnModelRunAdmin(WorkspaceScopedAdmin):
    list_display = ["workspace", "trained_at", "status", "horizon_days", "auc", "precision_at_k"]
    list_filter = ["workspace", "status"]
    readonly_fields = [f.name for f in ChurnModelRun._meta.fields]
