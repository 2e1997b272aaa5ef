from django.apps import AppConfig


class TeamConfig(AppConfig):
    """Writes to a workspace's team (teammates, roles, API tokens); it sits above the
    audit log that records them, the workspaces app below both."""

    name = "qunyun.team"
