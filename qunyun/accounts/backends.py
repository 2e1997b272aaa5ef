"""The one login lock, at the mechanism every way of logging in goes through.

Django's :func:`~django.contrib.auth.authenticate` asks the backends in
``AUTHENTICATION_BACKENDS``; this one refuses a username that is locked
(:mod:`qunyun.accounts.limits`) before any password is checked, so that no login page,
present or future (the workspace login, the back office's, an API session login), can
open a session for it — even with the right password. The pages show the lock as 429
with ``Retry-After`` (:mod:`qunyun.accounts.views`).
"""

from __future__ import annotations

from typing import Any

from django.contrib.auth.backends import ModelBackend
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest

from qunyun.accounts.limits import login_retry_after


class LoginLocked(PermissionDenied):
    """Too many failed logins for this username; ``retry_after`` seconds to wait."""

    def __init__(self, retry_after: int) -> None:
        super().__init__(retry_after)
        self.retry_after = retry_after


class LockedLoginBackend(ModelBackend):
    """Username and password, refused while the username is locked."""

    def authenticate(
        self,
        request: HttpRequest | None,
        username: str | None = None,
        password: str | None = None,
        **kwargs: Any,
    ) -> Any:
        if username is None:
            username = kwargs.get("username")
        retry_after = login_retry_after(str(username)) if username else None
        if retry_after is not None:
            if request is not None:
                # Attempts during the lock do not count again (the lock ends when the
                # oldest failure leaves the window, as the page says).
                request.login_locked_for = retry_after  # type: ignore[attr-defined]
            raise LoginLocked(retry_after)
        return super().authenticate(request, username=username, password=password, **kwargs)
