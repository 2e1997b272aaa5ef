"""Background work of the privacy app (Django's Tasks API)."""

from __future__ import annotations

from django_tasks import task

from qunyun.privacy.actions import do_purge_expired
from qunyun.workspaces.models import Workspace


@task()
def purge_expired() -> dict[str, int]:
    """Apply every workspace's retention policy; returns deleted counts per workspace."""
    deleted = {}
    for workspace in Workspace.objects.exclude(retention_days=None):
        purge = do_purge_expired(workspace)
        deleted[workspace.slug] = purge.activities + purge.members
    return deleted
