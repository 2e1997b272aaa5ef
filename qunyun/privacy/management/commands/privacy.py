"""``qunyun privacy``: members' data requests and the retention policy.

qunyun privacy export --workspace S --member ID --out data.json|data.xlsx [--user NAME]
qunyun privacy erase --workspace S --member ID [--yes] [--user NAME]
qunyun privacy purge [--workspace S]          (run it daily, e.g. from cron)
qunyun privacy pseudonymize --workspace S --out analysts.zip

With ``--user NAME`` the export or erasure is done on that user's behalf — audited with
their name — and refused unless their role in the workspace holds ``privacy`` (owners
and admins). Without it, the command acts for the installation, as whoever may run it.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from django.contrib.auth.models import User
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils.translation import gettext as _

from qunyun.members.models import Member
from qunyun.privacy.actions import (
    do_erase_member,
    do_export_member,
    do_export_pseudonymized,
    do_purge_expired,
    require_privacy,
)
from qunyun.privacy.errors import PrivacyRefused
from qunyun.privacy.selectors import member_data_xlsx
from qunyun.workspaces.models import Workspace


class Command(BaseCommand):
    help = "Export or erase one member's data, apply retention, or export pseudonymized data."

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        export = sub.add_parser("export", help="everything about one member (JSON or XLSX)")
        export.add_argument("--workspace", required=True)
        export.add_argument("--member", type=int, required=True)
        export.add_argument("--out", required=True, help="a .json or .xlsx file")
        export.add_argument("--user", help="act as this user (their role must hold privacy)")
        erase = sub.add_parser("erase", help="delete one member entirely")
        erase.add_argument("--workspace", required=True)
        erase.add_argument("--member", type=int, required=True)
        erase.add_argument("--yes", action="store_true", help="do not ask")
        erase.add_argument("--user", help="act as this user (their role must hold privacy)")
        purge = sub.add_parser("purge", help="apply each workspace's retention policy")
        purge.add_argument("--workspace", help="only this workspace")
        pseudo = sub.add_parser("pseudonymize", help="a zip for analysts, without names")
        pseudo.add_argument("--workspace", required=True)
        pseudo.add_argument("--out", required=True)

    def handle(self, *args: Any, **options: Any) -> None:
        getattr(self, f"_{options['action']}")(options)

    def _workspace(self, slug: str) -> Workspace:
        workspace = Workspace.objects.filter(slug=slug).first()
        if workspace is None:
            raise CommandError(_("No workspace “%(slug)s”.") % {"slug": slug})
        return workspace

    def _member(self, workspace: Workspace, member_id: int) -> Member:
        member = Member.objects.filter(workspace=workspace, pk=member_id).first()
        if member is None:
            raise CommandError(
                _("No member %(id)d in workspace “%(slug)s”.")
                % {"id": member_id, "slug": workspace.slug}
            )
        return member

    def _acting_user(self, workspace: Workspace, username: str | None) -> User | None:
        """The ``--user`` (None without it), refused unless their role holds privacy."""
        if username is None:
            return None
        user = User.objects.filter(username=username, is_active=True).first()
        if user is None:
            raise CommandError(_("No active user “%(username)s”.") % {"username": username})
        try:
            require_privacy(workspace, user)
        except PrivacyRefused as error:
            raise CommandError(str(error)) from error
        return user

    def _export(self, options: dict[str, Any]) -> None:
        workspace = self._workspace(options["workspace"])
        acting_user = self._acting_user(workspace, options["user"])
        member = self._member(workspace, options["member"])
        out = Path(options["out"])
        if out.suffix.lower() not in {".json", ".xlsx"}:
            raise CommandError(_("--out must end in .json or .xlsx."))
        data = do_export_member(workspace, member, acting_user=acting_user)
        if out.suffix.lower() == ".xlsx":
            out.write_bytes(member_data_xlsx(data))
        else:
            out.write_text(json.dumps(data, ensure_ascii=False, indent=1), encoding="utf-8")
        self.stdout.write(
            _("Wrote member %(id)d's data (%(n)d activities) to %(path)s.")
            % {"id": member.pk, "n": len(data["activities"]), "path": out}
        )

    def _erase(self, options: dict[str, Any]) -> None:
        workspace = self._workspace(options["workspace"])
        acting_user = self._acting_user(workspace, options["user"])
        member = self._member(workspace, options["member"])
        if not options["yes"]:
            answer = input(
                _("Delete member %(id)d and all their activities for good? Type yes: ")
                % {"id": member.pk}
            )
            if answer.strip().lower() not in {"yes", "y", "是"}:
                raise CommandError(_("Nothing was deleted."))
        erasure = do_erase_member(workspace, member, acting_user=acting_user)
        self.stdout.write(
            _(
                "Member %(id)d erased: %(activities)d activities and %(identities)d identities "
                "deleted, %(redacted)d audit events redacted, analytics rebuilt."
            )
            % {
                "id": erasure.member_id,
                "activities": erasure.activities,
                "identities": erasure.identities,
                "redacted": erasure.audit_events_redacted,
            }
        )

    def _purge(self, options: dict[str, Any]) -> None:
        workspaces = (
            [self._workspace(options["workspace"])]
            if options["workspace"]
            else list(Workspace.objects.exclude(retention_days=None))
        )
        for workspace in workspaces:
            purge = do_purge_expired(workspace)
            self.stdout.write(
                _("%(workspace)s: %(activities)d old activities and %(members)d members deleted.")
                % {
                    "workspace": workspace.slug,
                    "activities": purge.activities,
                    "members": purge.members,
                }
            )

    def _pseudonymize(self, options: dict[str, Any]) -> None:
        workspace = self._workspace(options["workspace"])
        Path(options["out"]).write_bytes(do_export_pseudonymized(workspace))
        self.stdout.write(_("Wrote %(path)s.") % {"path": options["out"]})
