"""What follows an import of a file or a forum sync: duplicates merged, the snapshot
refreshed, segments and scores written, churn retrained.

The ``import`` and ``sync`` commands and the worker's ``run_import`` and
``sync_discourse`` tasks call it after a successful import; batches pushed through the
API and scheduled forum syncs reach it through the scheduler's
``refresh_after_activities`` job, debounced to once a minute per workspace
(:func:`do_request_refresh`, :mod:`qunyun.ingest.jobs`).
"""

from __future__ import annotations

from dataclasses import dataclass

from django.contrib.auth.models import User

from qunyun.activity.snapshot import SnapshotRefresh, do_refresh_snapshot
from qunyun.members.churn import do_train_churn_model
from qunyun.members.models import ChurnModelRun
from qunyun.members.scoring import ScoringRun, do_update_segments
from qunyun.members.suggestions import SuggestionRun, do_find_duplicate_members
from qunyun.scheduling.actions import do_request_run_soon
from qunyun.scheduling.models import ScheduledRun
from qunyun.workspaces.models import Workspace

#: The scheduler's name of the job that runs :func:`do_after_import` on its own
#: (registered in :mod:`qunyun.ingest.jobs`; named here so that actions can ask for it
#: without importing the tasks they are called from).
REFRESH_JOB = "refresh_after_activities"


@dataclass
class FollowUp:
    duplicates: SuggestionRun
    refresh: SnapshotRefresh
    scoring: ScoringRun
    churn: ChurnModelRun


def do_after_import(workspace: Workspace, *, acting_user: User | None = None) -> FollowUp:
    """Merge duplicates on strong evidence and rewrite the open merge suggestions, bring
    the analytics snapshot up to date, write each member's segment and engagement score,
    then retrain the churn model; return what each step did.

    Each step commits on its own. A churn run without enough data (or one that failed)
    is returned as such, and the members keep their previous churn scores.
    """
    duplicates = do_find_duplicate_members(workspace, acting_user=acting_user)
    refresh = do_refresh_snapshot(workspace)
    scoring = do_update_segments(workspace)
    churn = do_train_churn_model(workspace, acting_user=acting_user)
    return FollowUp(duplicates, refresh, scoring, churn)


def do_request_refresh(workspace: Workspace) -> ScheduledRun | None:
    """Ask for :func:`do_after_import` of ``workspace`` at the next minute: however many
    pushes or syncs ask before then, it runs once."""
    return do_request_run_soon(REFRESH_JOB, workspace)
