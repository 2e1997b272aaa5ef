from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class IngestConfig(AppConfig):
    name = "qunyun.ingest"
    verbose_name = _("Ingest")

    def ready(self) -> None:
        from qunyun.ingest import jobs  # noqa: F401 — registers the refresh after pushes
        from qunyun.ingest.interrupted import do_mark_interrupted_imports
        from qunyun.scheduling.startup import register_startup_check

        register_startup_check(do_mark_interrupted_imports)
