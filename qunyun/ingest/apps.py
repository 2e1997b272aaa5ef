from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class IngestConfig(AppConfig):
    name = "qunyun.ingest"
    verbose_name = _("Ingest")

    def ready(self) -> None:
        from qunyun.ingest import jobs  # noqa: F401 — registers the refresh after pushes
