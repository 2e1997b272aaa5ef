from django.apps import AppConfig


class PrivacyConfig(AppConfig):
    """Members' privacy rights; it sits above ingest because erasure reaches import runs."""

    name = "qunyun.privacy"

    def ready(self) -> None:
        from qunyun.privacy import jobs  # noqa: F401 — registers the retention purge
