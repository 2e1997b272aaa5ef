"""``qunyun forum add|list|remove``: the Discourse forum each workspace syncs on its own.

``add`` checks the address and the key with one request (``--no-check`` skips it), stores
the key encrypted and creates the forum's schedule (every 10 minutes unless ``--cron``
says otherwise; ``qunyun schedule`` and the schedules page edit it). The key comes from
``--api-key``, or better from ``QUNYUN_DISCOURSE_API_KEY`` (out of the process list and
the shell history), or is asked for when a terminal is attached. ``list`` shows each
forum's last and next sync, never its key. ``set-key`` replaces a forum's key (checked
the same way). ``remove`` stops the sync and deletes the key; what was imported stays.
"""

from __future__ import annotations

import getpass
import os
import sys
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from qunyun.errors import QunyunError
from qunyun.ingest.forums import (
    DEFAULT_CRON,
    check_forum_access,
    do_add_forum,
    do_remove_forum,
    do_replace_forum_key,
)
from qunyun.ingest.models import Forum
from qunyun.ingest.selectors import forums_overview
from qunyun.team.actions import do_get_or_create_workspace
from qunyun.workspaces.models import Workspace

API_KEY_ENV = "QUNYUN_DISCOURSE_API_KEY"


class Command(BaseCommand):
    help = "Add, list or remove the Discourse forum a workspace syncs on a schedule."

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        add = sub.add_parser("add", help="sync a forum into a workspace every 10 minutes")
        add.add_argument("--workspace", required=True, help="workspace slug (created if absent)")
        add.add_argument("--url", required=True, help="the forum's address, https://…")
        add.add_argument("--api-key", default="", help=f"better: set {API_KEY_ENV} instead")
        add.add_argument("--api-username", default="system", help="the user the key acts as")
        add.add_argument("--cron", default=DEFAULT_CRON, help=f"timetable (default {DEFAULT_CRON})")
        add.add_argument("--no-check", action="store_true", help="do not try the key now")
        listing = sub.add_parser("list", help="each forum with its last and next sync")
        listing.add_argument("--workspace", help="only this workspace's forum")
        set_key = sub.add_parser("set-key", help="replace a forum's API key (checked first)")
        set_key.add_argument("id", type=int, help="from `qunyun forum list`")
        set_key.add_argument("--api-key", default="", help=f"better: set {API_KEY_ENV} instead")
        set_key.add_argument("--api-username", default="", help="the user the new key acts as")
        set_key.add_argument("--no-check", action="store_true", help="do not try the key now")
        remove = sub.add_parser("remove", help="stop syncing a forum (its imports stay)")
        remove.add_argument("id", type=int, help="from `qunyun forum list`")

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            if options["action"] == "add":
                self._add(options)
            elif options["action"] == "list":
                self._list(options["workspace"])
            elif options["action"] == "set-key":
                self._set_key(options)
            else:
                self._remove(options["id"])
        except QunyunError as error:
            raise CommandError(str(error)) from None

    def _add(self, options: dict[str, Any]) -> None:
        api_key = _api_key(options)
        if not options["no_check"]:
            check_forum_access(options["url"], api_key, options["api_username"])
        with transaction.atomic():  # a refused forum leaves no new workspace behind
            workspace = do_get_or_create_workspace(options["workspace"])
            forum = do_add_forum(
                workspace,
                base_url=options["url"],
                api_key=api_key,
                api_username=options["api_username"],
                cron=options["cron"],
            )
        assert forum.schedule is not None
        self.stdout.write(
            _(
                "Added forum %(id)d: %(url)s into “%(workspace)s”, synced on “%(cron)s” "
                "(schedule %(schedule)d). The key is stored encrypted."
            )
            % {
                "id": forum.pk,
                "url": forum.base_url,
                "workspace": workspace.slug,
                "cron": forum.schedule.cron,
                "schedule": forum.schedule.pk,
            }
        )

    def _set_key(self, options: dict[str, Any]) -> None:
        forum = _forum(options["id"])
        api_key = _api_key(options)
        api_username = options["api_username"] or forum.api_username
        if not options["no_check"]:
            check_forum_access(forum.base_url, api_key, api_username)
        do_replace_forum_key(forum, api_key=api_key, api_username=api_username)
        self.stdout.write(
            _("Forum %(id)d (%(url)s) has a new API key, stored encrypted.")
            % {"id": forum.pk, "url": forum.base_url}
        )

    def _list(self, slug: str | None) -> None:
        views = forums_overview(_workspace(slug) if slug else None)
        if not views:
            self.stdout.write(_("No forums yet; add one with “qunyun forum add”."))
        for view in views:
            forum, schedule, last = view.forum, view.forum.schedule, view.last_run
            timetable = (
                f"{schedule.cron}{'' if schedule.enabled else ' ' + _('off')} #{schedule.pk}"
                if schedule
                else _("no schedule")
            )
            last_text = (
                f"{timezone.localtime(last.due_at):%Y-%m-%d %H:%M} {last.get_status_display()}"
                if last
                else "—"
            )
            next_text = (
                f"{timezone.localtime(view.next_due):%Y-%m-%d %H:%M}" if view.next_due else "—"
            )
            self.stdout.write(
                f"{forum.pk:>4}  {forum.workspace.slug:14} {forum.base_url:40} "
                f"{forum.api_username:10} {timetable:22} "
                f"{_('last')}: {last_text:28} {_('next')}: {next_text}"
            )
            if last is not None and last.error:
                self.stdout.write(f"      {last.error}")

    def _remove(self, pk: int) -> None:
        forum = _forum(pk)
        do_remove_forum(forum)
        self.stdout.write(
            _("Removed forum %(id)d (%(url)s) and its schedule; what it imported stays.")
            % {"id": pk, "url": forum.base_url}
        )


def _api_key(options: dict[str, Any]) -> str:
    """The key from ``--api-key``, else the environment, else asked for at a terminal."""
    api_key = options["api_key"] or os.environ.get(API_KEY_ENV, "") or _ask_for_key()
    if not api_key:
        raise CommandError(_("No API key: set %(env)s or pass --api-key.") % {"env": API_KEY_ENV})
    return str(api_key)


def _ask_for_key() -> str:
    if not sys.stdin.isatty():
        return ""
    return getpass.getpass(_("API key (not shown): ")).strip()


def _forum(pk: int) -> Forum:
    forum = Forum.objects.select_related("workspace", "schedule").filter(pk=pk).first()
    if forum is None:
        raise CommandError(_("No forum %(id)d; “qunyun forum list” shows them.") % {"id": pk})
    return forum


def _workspace(slug: str) -> Workspace:
    workspace = Workspace.objects.filter(slug=slug).first()
    if workspace is None:
        raise CommandError(_("No workspace “%(slug)s”.") % {"slug": slug})
    return workspace
