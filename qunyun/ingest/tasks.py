"""Imports that run in the background (Django's Tasks API).

Each task loads what it was queued with and calls the action that does the work and
records the outcome (:mod:`qunyun.ingest.queued_runs`, :mod:`qunyun.members.suggestions`).
"""

from __future__ import annotations

from django.utils.translation import gettext as _
from django_tasks import task

from qunyun.ingest.after_import import do_after_import
from qunyun.ingest.forums import ForumError, do_sync_forum
from qunyun.ingest.models import Forum, ImportRun
from qunyun.ingest.queued_runs import do_run_queued_import, do_run_queued_sync


@task()
def run_import(import_run_id: int) -> str:
    """Import the file stored for ``import_run_id``; the run records the outcome."""
    run = ImportRun.objects.select_related("workspace", "started_by").get(pk=import_run_id)
    return do_run_queued_import(run)


@task()
def sync_discourse(import_run_id: int, api_username: str) -> str:
    """Sync the forum recorded on the run; the API key waits in the cache, not the queue."""
    run = ImportRun.objects.select_related("workspace", "started_by").get(pk=import_run_id)
    return do_run_queued_sync(run, api_username)


@task()
def sync_forum(workspace_id: int) -> dict[str, object]:
    """The scheduled sync of the workspace's configured forum (``qunyun forum add``)."""
    forum = Forum.objects.select_related("workspace").filter(workspace_id=workspace_id).first()
    if forum is None:
        raise ForumError(
            _("This workspace has no forum to sync any more; add one with “qunyun forum add”.")
        )
    return dict(do_sync_forum(forum))


@task()
def refresh_after_activities(workspace_id: int) -> dict[str, object]:
    """What an import of a file is followed by, for activities that arrived otherwise
    (the push API): duplicates, snapshot, segments and scores, churn risk."""
    from qunyun.workspaces.models import Workspace

    follow_up = do_after_import(Workspace.objects.get(pk=workspace_id))
    return {
        "merged": follow_up.duplicates.auto_merged,
        "suggested": follow_up.duplicates.suggested,
        "activities_added": follow_up.refresh.activities_added,
        "members_scored": follow_up.scoring.members_scored,
        "churn": follow_up.churn.status,
    }
