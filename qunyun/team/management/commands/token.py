"""``qunyun token create|list|revoke``: personal API tokens for the REST API."""

from __future__ import annotations

from typing import Any

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils.translation import gettext as _

from qunyun.team.actions import do_create_api_token, do_revoke_api_token
from qunyun.workspaces.models import ApiToken, Role, Workspace


class Command(BaseCommand):
    help = "Create, list or revoke API tokens."

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        create = sub.add_parser("create", help="a new token (shown once)")
        create.add_argument("--workspace", required=True)
        create.add_argument("--user", required=True, help="username")
        create.add_argument("--name", required=True, help="what the token is for")
        create.add_argument("--role", choices=Role.values, help="at most the user's role")
        listing = sub.add_parser("list", help="tokens of a workspace")
        listing.add_argument("--workspace", required=True)
        revoke = sub.add_parser("revoke", help="revoke a token by its first characters")
        revoke.add_argument("prefix")

    def handle(self, *args: Any, **options: Any) -> None:
        action = options["action"]
        if action == "revoke":
            token = ApiToken.objects.filter(prefix=options["prefix"], revoked_at=None).first()
            if token is None:
                raise CommandError(
                    _("No live token starts with “%(p)s”.") % {"p": options["prefix"]}
                )
            do_revoke_api_token(token, acting_user=None)
            self.stdout.write(_("Revoked %(token)s.") % {"token": token})
            return
        try:
            workspace = Workspace.objects.get(slug=options["workspace"])
        except Workspace.DoesNotExist as exc:
            raise CommandError(
                _("No workspace “%(slug)s”.") % {"slug": options["workspace"]}
            ) from exc
        if action == "list":
            for token in ApiToken.objects.filter(workspace=workspace).select_related("user"):
                state = _("revoked") if token.revoked_at else _("live")
                self.stdout.write(
                    f"{token.prefix}…  {token.name}  {token.user}  {token.role}  {state}"
                )
            return
        user = get_user_model().objects.filter(username=options["user"]).first()
        if user is None:
            raise CommandError(_("No user “%(name)s”.") % {"name": options["user"]})
        try:
            token, secret = do_create_api_token(
                workspace, user, name=options["name"], role=options["role"]
            )
        except PermissionError as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(
            _("Token “%(name)s” for %(user)s (%(role)s). Keep it now; it is not shown again:")
            % {"name": token.name, "user": user, "role": token.role}
        )
        self.stdout.write(secret)
