"""The ``qunyun`` command: Django's management commands under Qunyun's settings."""

from __future__ import annotations

import os
import sys


def _language_from_terminal() -> None:
    """Speak the terminal's language (LANG=zh_CN… → 简体中文, en_… → English)."""
    if os.environ.get("QUNYUN_LANGUAGE"):
        return
    locale = os.environ.get("LC_ALL") or os.environ.get("LC_MESSAGES") or os.environ.get("LANG")
    if locale and locale.lower().startswith("en"):
        os.environ["QUNYUN_LANGUAGE"] = "en"


#: Commands that set the database up themselves, report on it, or need none.
SETS_UP_OR_NEEDS_NONE = {"migrate", "restore", "demo", "status", "serve", "check", "shell"}
#: Django's and django-tasks' commands that read or write Qunyun's tables.
NEEDS_TABLES = {"createsuperuser", "changepassword", "db_worker", "dumpdata", "loaddata"}


def _stop_if_not_set_up(args: list[str]) -> None:
    """Stop with one line, not a traceback, when a command needs tables that a data dir
    never migrated (or migrated by an older version) lacks (``qunyun kpis`` on a new
    machine used to print ``OperationalError: no such table``)."""
    if not args or args[0].startswith("-") or args[0] in SETS_UP_OR_NEEDS_NONE:
        return
    if "-h" in args or "--help" in args:
        return
    import django
    from django.core.management import get_commands

    django.setup()
    app = get_commands().get(args[0], "")
    if not (app.startswith("qunyun") or args[0] in NEEDS_TABLES):
        return
    from django.conf import settings
    from django.db import DatabaseError
    from django.utils.translation import gettext as _

    from qunyun.database import pending_migrations

    try:
        missing = pending_migrations()
    except DatabaseError as error:
        sys.exit(_("The database cannot be reached: %(error)s") % {"error": error})
    if missing:
        where = settings.DATABASES["default"]["NAME"]
        sys.exit(
            _(
                "The database (%(where)s) is not set up yet (or is older than this "
                "version): run “qunyun migrate” first."
            )
            % {"where": where}
        )


def main(argv: list[str] | None = None) -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "qunyun.settings")
    _language_from_terminal()
    from django.core.management import execute_from_command_line

    args = sys.argv[1:] if argv is None else argv
    _stop_if_not_set_up(args)
    execute_from_command_line(["qunyun", *args])


if __name__ == "__main__":
    main()
