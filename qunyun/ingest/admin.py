from django.contrib import admin

from qunyun.ingest.models import ImportRun
from qunyun.workspaces.admin_scope import WorkspaceScopedAdmin


@admin.register(ImportRun)
class ImportRunAdmin(WorkspaceScopedAdmin):
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
