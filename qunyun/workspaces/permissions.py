"""What each role may do in a workspace: ONE table, used by every page, API operation and
admin action, and mirrored in docs/security.md (a test compares the two and walks every URL
and API operation for every role against it).
"""

from __future__ import annotations

from enum import StrEnum

from qunyun.workspaces.models import Role


class Capability(StrEnum):
    VIEW = "view"  # dashboards, member lists and profiles, duplicates, imports, churn page
    EXPORT = "export"  # download tables as CSV/XLSX
    EDIT_MEMBERS = "edit_members"  # tag, merge, unmerge, decide suggestions, find duplicates
    IMPORT = "import"  # upload exports, sync forums, push activities through the API
    TRAIN_MODELS = "train_models"  # retrain the churn model
    READ_AUDIT = "read_audit"  # the audit log
    PRIVACY = "privacy"  # members' data requests: export, erasure, retention policy
    SCHEDULE = "schedule"  # the schedules page: switch, run now, change timetables
    MANAGE_TEAM = "manage_team"  # the team page: invite, change roles, remove teammates


ROLE_CAPABILITIES: dict[str, frozenset[Capability]] = {
    Role.OWNER: frozenset(Capability),
    Role.ADMIN: frozenset(Capability),
    Role.OPERATOR: frozenset(
        {
            Capability.VIEW,
            Capability.EXPORT,
            Capability.EDIT_MEMBERS,
            Capability.IMPORT,
            Capability.TRAIN_MODELS,
        }
    ),
    Role.ANALYST: frozenset({Capability.VIEW, Capability.EXPORT}),
    Role.MODERATOR: frozenset({Capability.VIEW}),
}


def may(role: str | None, capability: Capability | str) -> bool:
    """Whether ``role`` holds ``capability`` (no role: nothing)."""
    return role is not None and Capability(capability) in ROLE_CAPABILITIES.get(role, frozenset())


def within(role: str, ceiling: str) -> bool:
    """Whether ``role`` can do nothing that ``ceiling`` cannot (a token's role against
    its user's)."""
    return ROLE_CAPABILITIES.get(role, frozenset()) <= ROLE_CAPABILITIES.get(ceiling, frozenset())


def may_all(roles: tuple[str | None, ...], capability: Capability | str) -> bool:
    """Whether every one of ``roles`` holds ``capability``: what a token may do is what
    both its own role and its user's current role allow."""
    return all(may(role, capability) for role in roles)
