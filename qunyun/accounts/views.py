"""Log in, with failed attempts limited per username (LOGIN_FAILURE_LIMIT in the window)."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib.auth import views as auth_views
from django.contrib.auth.forms import AuthenticationForm
from django.http import HttpResponse
from django.utils.translation import ngettext

from qunyun.accounts.limits import login_retry_after


class LimitedAuthenticationForm(AuthenticationForm):
    retry_after: int | None = None

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
        return super().clean()


class LoginView(auth_views.LoginView):
    form_class = LimitedAuthenticationForm

    def form_invalid(self, form: Any) -> HttpResponse:
        response = super().form_invalid(form)
        if getattr(form, "retry_after", None) is not None:
            response.status_code = 429
            response["Retry-After"] = str(form.retry_after)
        return response
