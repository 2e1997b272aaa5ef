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


def main(argv: list[str] | None = None) -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "qunyun.settings")
    _language_from_terminal()
    from django.core.management import execute_from_command_line

    execute_from_command_line(["qunyun", *(sys.argv[1:] if argv is None else argv)])


if __name__ == "__main__":
    main()
