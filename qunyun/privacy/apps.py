from django.apps import AppConfig


class PrivacyConfig(AppConfig):
    """Members' privacy rights; it sits above ingest because erasure reaches import runs."""

    name = "qunyun.privacy"
