"""What follows every import, whoever started it (the CLI, the web's worker, the sync):
duplicates merged, the snapshot refreshed, segments and scores written, churn retrained."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from qunyun.activity.snapshot import SnapshotRefresh, do_refresh_snapshot
from qunyun.members.churn import do_train_churn_model
from qunyun.members.models import ChurnModelRun
from qunyun.members.scoring import ScoringRun, do_update_segments
from qunyun.members.suggestions import SuggestionRun, do_find_duplicate_members
from qunyun.workspaces.models import Workspace


@dataclass
class FollowUp:
    duplicates: SuggestionRun
    refresh: SnapshotRefresh
    scoring: ScoringRun
    churn: ChurnModelRun


def do_after_import(workspace: Workspace, *, acting_user: Any = None) -> FollowUp:
    """What follows every import, whoever started it: merge duplicates on strong evidence,
    refresh the merge suggestions, bring the analytics snapshot up to date, then write
    each member's segment and engagement score and retrain the churn model."""
    duplicates = do_find_duplicate_members(workspace, acting_user=acting_user)
    refresh = do_refresh_snapshot(workspace)
    scoring = do_update_segments(workspace)
    churn = do_train_churn_model(workspace, acting_user=acting_user)
    return FollowUp(duplicates, refresh, scoring, churn)
