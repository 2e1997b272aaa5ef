"""The forum a workspace syncs on its own: added (its API key encrypted, its schedule
made), removed (with its schedule), and synced by the scheduled job.

A workspace syncs one Discourse forum (post ids of two forums would collide, and the
cursor is the workspace's highest Discourse post id: docs/import-formats.md). Adding it
creates a ``discourse_sync`` schedule, every 10 minutes unless told otherwise, which the
schedules page and ``qunyun schedule`` edit like any other; each run imports the posts
newer than the cursor and asks for the debounced refresh of members, segments, scores
and churn risk. A run that cannot read the forum fails with the reason on its row (and
the import run it began), and the next slot tries again.
"""

from __future__ import annotations

from itertools import chain
from typing import TypedDict

from django.contrib.auth.models import User
from django.db import transaction
from django.utils.translation import gettext as _

from qunyun.audit.actions import record_event
from qunyun.audit.events import AuditAction
from qunyun.encryption import SecretUnreadable, seal, unseal
from qunyun.errors import QunyunError
from qunyun.ingest.after_import import do_request_refresh
from qunyun.ingest.errors import ImportFormatError, SyncError
from qunyun.ingest.models import Forum
from qunyun.ingest.pipeline import do_import_records
from qunyun.ingest.platforms.discourse.client import DiscourseClient
from qunyun.ingest.platforms.discourse.mapping import SOURCE
from qunyun.ingest.selectors import discourse_cursor
from qunyun.outbound import OutboundRefused, check_url
from qunyun.scheduling.actions import do_add_schedule, do_remove_schedule
from qunyun.workspaces.models import Workspace

#: The scheduler's job that syncs a workspace's forum (registered in ``ingest/jobs.py``).
FORUM_SYNC_JOB = "discourse_sync"
DEFAULT_CRON = "*/10 * * * *"


class ForumError(QunyunError):
    """A forum that cannot be added: a bad address, no key, one already configured."""

    code = "bad_forum"
    http_status = 400


class ForumSyncFailed(SyncError):
    """A scheduled sync could not read or import the forum; nothing was written."""

    code = "forum_sync_failed"


class ForumSyncResult(TypedDict):
    """What a scheduled sync did; kept as the run's result on the schedules page."""

    forum: str
    after_post: int
    records_read: int
    activities_added: int
    already_present: int
    members_added: int
    refresh_requested: bool


def checked_forum_url(url: str) -> str:
    """``url`` without its trailing slash, or a :class:`ForumError` saying what is wrong
    (not http(s), or an address Qunyun may not call: docs/security.md)."""
    url = url.strip().rstrip("/")
    try:
        check_url(url)
    except OutboundRefused as error:
        raise ForumError(str(error)) from None
    return url


def checked_api_key(api_key: str) -> str:
    """``api_key`` without surrounding blanks, or a :class:`ForumError` when it is empty."""
    api_key = api_key.strip()
    if not api_key:
        raise ForumError(
            _("The API key is empty: create one in Discourse under Admin → API → New API key.")
        )
    return api_key


def check_forum_access(url: str, api_key: str, api_username: str) -> None:
    """Read the forum's newest posts once with the key, so that a wrong address or a
    refused key is said when the forum is added, not ten minutes later."""
    client = DiscourseClient(checked_forum_url(url), api_key, api_username, max_retries=1)
    client.latest_posts("/posts.json")


def do_add_forum(
    workspace: Workspace,
    *,
    base_url: str,
    api_key: str,
    api_username: str = "system",
    cron: str = DEFAULT_CRON,
    acting_user: User | None = None,
) -> Forum:
    """Configure the forum ``workspace`` syncs and its schedule (audited, without the key).

    Raises :class:`ForumError` (or the scheduler's ``ScheduleError`` for a bad
    timetable); then nothing is saved.
    """
    url = checked_forum_url(base_url)
    api_key, api_username = checked_api_key(api_key), api_username.strip() or "system"
    with transaction.atomic():
        existing = Forum.objects.filter(workspace=workspace).first()
        if existing is not None:
            raise ForumError(
                _(
                    "The workspace “%(workspace)s” already syncs %(url)s (forum %(id)d); a "
                    "workspace syncs one forum. Remove that one first, or use another workspace."
                )
                % {"workspace": workspace.slug, "url": existing.base_url, "id": existing.pk}
            )
        forum = Forum.objects.create(
            workspace=workspace,
            base_url=url,
            api_username=api_username,
            api_key_sealed=seal(api_key),
            created_by=acting_user,
        )
        forum.schedule = do_add_schedule(
            FORUM_SYNC_JOB, cron=cron, workspace=workspace, acting_user=acting_user
        )
        forum.save(update_fields=["schedule"])
        record_event(
            AuditAction.FORUM_ADDED,
            workspace=workspace,
            actor=acting_user,
            target=f"forum:{forum.pk}",
            url=url,
            api_username=api_username,
            schedule=forum.schedule.pk,
            cron=forum.schedule.cron,
        )
    return forum


@transaction.atomic
def do_replace_forum_key(
    forum: Forum, *, api_key: str, api_username: str = "", acting_user: User | None = None
) -> Forum:
    """A new API key (and, if given, API user) for ``forum``, e.g. after the old key was
    revoked in Discourse or the secret key changed; audited without the key."""
    api_key = checked_api_key(api_key)
    forum.api_key_sealed = seal(api_key)
    forum.api_username = api_username.strip() or forum.api_username
    forum.save(update_fields=["api_key_sealed", "api_username"])
    record_event(
        AuditAction.FORUM_KEY_REPLACED,
        workspace=forum.workspace,
        actor=acting_user,
        target=f"forum:{forum.pk}",
        url=forum.base_url,
        api_username=forum.api_username,
    )
    return forum


@transaction.atomic
def do_remove_forum(forum: Forum, *, acting_user: User | None = None) -> None:
    """Stop syncing ``forum``: its schedule and its encrypted key go; what it imported stays."""
    record_event(
        AuditAction.FORUM_REMOVED,
        workspace=forum.workspace,
        actor=acting_user,
        target=f"forum:{forum.pk}",
        url=forum.base_url,
    )
    if forum.schedule is not None:
        do_remove_schedule(forum.schedule, acting_user=acting_user)
    forum.delete()


def do_sync_forum(forum: Forum) -> ForumSyncResult:
    """Import the forum's posts newer than the workspace's cursor, then ask for the
    debounced refresh when anything arrived. A slot with no new post writes nothing (no
    import run every ten minutes on the imports page).

    Raises :class:`ForumSyncFailed` with the reason (a refused key, a forum that is down,
    a post that cannot be read); nothing of the sync is written then but, when the import
    had begun, its failed run.
    """
    workspace = forum.workspace
    cursor = discourse_cursor(workspace)
    result = ForumSyncResult(
        forum=forum.base_url,
        after_post=cursor,
        records_read=0,
        activities_added=0,
        already_present=0,
        members_added=0,
        refresh_requested=False,
    )
    try:
        client = DiscourseClient(forum.base_url, unseal(forum.api_key_sealed), forum.api_username)
        records = client.records(after_id=cursor)
        first = next(records, None)
        if first is None:
            return result
        run = do_import_records(
            workspace, chain([first], records), file_name=forum.base_url, format_name=SOURCE
        )
    except (SyncError, ImportFormatError, SecretUnreadable) as error:
        raise ForumSyncFailed(
            _("Syncing %(url)s failed; nothing was written and the next run tries again. %(error)s")
            % {"url": forum.base_url, "error": error}
        ) from None
    result["records_read"] = run.records_read
    result["activities_added"] = run.activities_added
    result["already_present"] = run.activities_skipped
    result["members_added"] = run.members_added
    result["refresh_requested"] = bool(run.activities_added or run.members_added)
    if result["refresh_requested"]:
        do_request_refresh(workspace)
    return result
