from django.apps import AppConfig


class BackOfficeConfig(AppConfig):
    """The Django admin over every app's models, under the pages' rules and audited; it
    sits on top so that no lower app has to import the audit log for its admin."""

    name = "qunyun.back_office"
