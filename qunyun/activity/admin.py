from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from qunyun.activity.models import Activity, Channel, SnapshotState


@admin.register(Channel)
class ChannelAdmin(admin.ModelAdmin):
    list_display = ["name", "platform", "external_id", "kind", "workspace"]
    list_filter = ["platform", "workspace"]
    search_fields = ["name", "external_id"]


@admin.register(Activity)
class ActivityAdmin(admin.ModelAdmin):
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
class SnapshotStateAdmin(admin.ModelAdmin):
    list_display = ["workspace", "activity_watermark", "generation", "refreshed_at"]
    readonly_fields = ["activity_watermark", "members_version", "generation", "refreshed_at"]
