from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from qunyun.activity.models import Activity, Channel, SnapshotState
from qunyun.workspaces.admin_scope import WorkspaceScopedAdmin


@admin.register(Channel)
class ChannelAdmin(WorkspaceScopedAdmin):
    list_display = ["name", "platform", "external_id", "kind", "workspace"]
    list_filter = ["platform", "workspace"]
    search_fields = ["name", "external_id"]


@admin.register(Activity)
class ActivityAdmin(WorkspaceScopedAdmin):
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
class SnapshotStateAdmin(WorkspaceScopedAdmin):
    list_display = ["workspace", "activity_watermark", "generation", "refreshed_at"]
    readonly_fields = ["activity_watermark", "members_version", "generation", "refreshed_at"]
