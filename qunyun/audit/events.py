"""The names of audit events, one constant each (Zulip's ``RealmAuditLog`` constants):
``record_event`` takes only these, so a misspelled name fails the type check instead of
writing an event no filter finds. Names are ``<entity>_<past tense>`` (STYLE.md 7); the
stored values never change, old rows keep matching."""

from __future__ import annotations

from enum import StrEnum
from typing import NewType


class AuditAction(StrEnum):
    # the team
    WORKSPACE_CREATED = "workspace_created"
    TEAMMATE_ADDED = "teammate_added"
    ROLE_CHANGED = "role_changed"
    TEAMMATE_REMOVED = "teammate_removed"
    TEAMMATE_INVITED = "teammate_invited"
    INVITATION_ACCEPTED = "invitation_accepted"
    INVITATION_REVOKED = "invitation_revoked"
    API_TOKEN_CREATED = "api_token_created"  # noqa: S105 (an event name)
    API_TOKEN_REVOKED = "api_token_revoked"  # noqa: S105 (an event name)
    # accounts
    USER_LOGGED_IN = "user_logged_in"
    USER_LOGGED_OUT = "user_logged_out"
    LOGIN_FAILED = "login_failed"
    # ingest
    IMPORT_STARTED = "import_started"
    IMPORT_FAILED = "import_failed"
    ACTIVITIES_IMPORTED = "activities_imported"
    FORUM_ADDED = "forum_added"
    FORUM_REMOVED = "forum_removed"
    FORUM_KEY_REPLACED = "forum_key_replaced"
    # members
    MEMBERS_MERGED = "members_merged"
    MEMBER_UNMERGED = "member_unmerged"
    MEMBERS_TAGGED = "members_tagged"
    MERGE_SUGGESTION_REJECTED = "merge_suggestion_rejected"
    CHURN_MODEL_TRAINED = "churn_model_trained"
    # privacy
    MEMBER_DATA_EXPORTED = "member_data_exported"
    MEMBER_ERASED = "member_erased"
    RETENTION_APPLIED = "retention_applied"
    RETENTION_POLICY_CHANGED = "retention_policy_changed"
    PRIVACY_REQUEST_LOGGED = "privacy_request_logged"
    PRIVACY_REQUEST_COMPLETED = "privacy_request_completed"
    PRIVACY_REQUEST_CLOSED = "privacy_request_closed"
    WORKSPACE_PSEUDONYMIZED_EXPORT = "workspace_pseudonymized_export"
    # the scheduler
    SCHEDULE_ADDED = "schedule_added"
    SCHEDULE_CHANGED = "schedule_changed"
    SCHEDULE_REMOVED = "schedule_removed"
    SCHEDULE_RUN_REQUESTED = "schedule_run_requested"
    # pages and backups
    TABLE_EXPORTED = "table_exported"
    BACKUP_MADE = "backup_made"
    BACKUP_RESTORED = "backup_restored"


#: A change made in the back office, named after the model it touched
#: (``member_changed_in_back_office``); only :func:`back_office_action` makes one.
BackOfficeAction = NewType("BackOfficeAction", str)


def back_office_action(model_name: str, verb: str) -> BackOfficeAction:
    """``<model>_<added|changed|deleted>_in_back_office``."""
    if verb not in {"added", "changed", "deleted"}:
        raise ValueError(f"not a back-office verb: {verb!r}")
    return BackOfficeAction(f"{model_name}_{verb}_in_back_office")
