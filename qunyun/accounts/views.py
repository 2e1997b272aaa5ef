"""Log in, with failed attempts limited per username (LOGIN_FAILURE_LIMIT in the window).

Both login pages — the workspace login and the back office's (``/admin/login/``) — use
the same form mixin and answer a locked username with 429 and ``Retry-After``; the
lock itself is enforced in :mod:`qunyun.accounts.backends`, below every page.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from django import forms
from django.contrib.admin.forms import AdminAuthenticationForm
from django.contrib.auth import views as auth_views
from django.contrib.auth.forms import AuthenticationForm
from django.http import HttpRequest
from django.http.response import HttpResponseBase
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from qunyun.accounts.limits import login_retry_after


class LoginLockMixin:
    """Refuses a locked username before the password is checked, saying for how long."""

    retry_after: int | None = None
    cleaned_data: dict[str, Any]

    def clean(self) -> dict[str, Any]:
        username = self.cleaned_data.get("username") or ""
        self.retry_after = login_retry_after(username) if username else None
        if self.retry_after is not None:
            minutes = max(1, round(self.retry_after / 60))
            raise forms.ValidationError(
                ngettext(
                    "Too many failed logins for this user. Try again in %(minutes)d minute.",
                    "Too many failed logins for this user. Try again in %(minutes)d minutes.",
                    minutes,
                )
                % {"minutes": minutes},
                code="locked",
            )
        return super().clean()  # type: ignore[misc,no-any-return]


class LimitedAuthenticationForm(LoginLockMixin, AuthenticationForm):
    pass


class LimitedAdminAuthenticationForm(LoginLockMixin, AdminAuthenticationForm):
    """The back office's login: superusers only (docs/security.md, "Back office")."""

    def confirm_login_allowed(self, user: Any) -> None:
        super().confirm_login_allowed(user)
        if not user.is_superuser:
            raise forms.ValidationError(
                _(
                    "The back office is for superusers only. Teams, roles and privacy "
                    "requests are on your workspace's own pages."
                ),
                code="not_superuser",
            )


def answers_lock_with_429(
    view: Callable[..., HttpResponseBase],
) -> Callable[..., HttpResponseBase]:
    """A login view whose form found the username locked answers 429 + Retry-After."""

    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        response = view(request, *args, **kwargs)
        context = getattr(response, "context_data", None) or {}
        retry_after = getattr(context.get("form"), "retry_after", None)
        if retry_after is not None:
            response.status_code = 429
            response["Retry-After"] = str(retry_after)
        return response

    return wrapper


class LoginView(auth_views.LoginView):
    form_class = LimitedAuthenticationForm


login = answers_lock_with_429(LoginView.as_view())
