"""The ingest app's scheduled work: the follow-up of activities pushed through the API,
run at most once a minute per workspace however many batches arrive."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from qunyun.ingest.tasks import refresh_after_activities
from qunyun.scheduling.jobs import Job, register_job

REFRESH_AFTER_ACTIVITIES = register_job(
    Job(
        name="refresh_after_activities",
        label=_("Refresh after new activities (members, segments, scores, churn risk)"),
        task=refresh_after_activities,
        per_workspace=True,
        on_demand=True,
    )
)
