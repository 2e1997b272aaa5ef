from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class SchedulingConfig(AppConfig):
    """Jobs that run on their own, on time and once (docs/scheduling.md).

    It sits low, above the audit log and the workspaces: the apps whose work runs on a
    schedule (ingest, privacy, backups, and wave 2's channels, content and campaigns)
    register their jobs here, and nothing here imports them.
    """

    name = "qunyun.scheduling"
    verbose_name = _("Scheduling")

    def ready(self) -> None:
        from qunyun.scheduling import own_jobs  # noqa: F401 — registers the history pruning
