"""The ingest app's scheduled work: the sync of each workspace's configured forum (its
schedule made by ``qunyun forum add``), and the follow-up of activities pushed through
the API or synced, run at most once a minute per workspace however many arrive."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from qunyun.ingest.after_import import REFRESH_JOB
from qunyun.ingest.forums import FORUM_SYNC_JOB
from qunyun.ingest.tasks import refresh_after_activities, sync_forum
from qunyun.scheduling.jobs import Job, register_job

REFRESH_AFTER_ACTIVITIES = register_job(
    Job(
        name=REFRESH_JOB,
        label=_("Refresh after new activities (members, segments, scores, churn risk)"),
        task=refresh_after_activities,
        per_workspace=True,
        on_demand=True,
    )
)

DISCOURSE_SYNC = register_job(
    Job(
        name=FORUM_SYNC_JOB,
        label=_("Discourse sync of the workspace's forum (new posts since the last sync)"),
        task=sync_forum,
        per_workspace=True,
    )
)
