"""Puts the user's workspaces in every page for the switcher."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest

from qunyun.workspaces.access import workspaces_for_user


def workspaces(request: HttpRequest) -> dict[str, Any]:
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {"user_workspaces": []}
    return {"user_workspaces": list(workspaces_for_user(user).only("slug", "name"))}
