"""Logins, logouts and failed logins go to the audit log; failures also count toward the limit."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.models import User
from django.contrib.auth.signals import user_logged_in, user_logged_out, user_login_failed
from django.dispatch import receiver

from qunyun.accounts.limits import clear_login_failures, record_login_failure
from qunyun.audit.actions import record_event
from qunyun.audit.events import AuditAction


def _ip(request: Any) -> str:
    return request.META.get("REMOTE_ADDR", "") if request is not None else ""


@receiver(user_logged_in)
def audit_login(sender: Any, request: Any, user: User, **kwargs: Any) -> None:
    clear_login_failures(user.get_username())
    record_event(
        AuditAction.USER_LOGGED_IN,
        workspace=None,
        actor=user,
        target=user.get_username(),
        ip=_ip(request),
    )


@receiver(user_logged_out)
def audit_logout(sender: Any, request: Any, user: User | None, **kwargs: Any) -> None:
    if user is not None:
        record_event(
            AuditAction.USER_LOGGED_OUT,
            workspace=None,
            actor=user,
            target=user.get_username(),
            ip=_ip(request),
        )


@receiver(user_login_failed)
def audit_failed_login(
    sender: Any, credentials: dict[str, Any], request: Any = None, **kwargs: Any
) -> None:
    username = str(credentials.get("username", ""))[:150]
    locked = getattr(request, "login_locked_for", None) is not None
    if not locked:
        record_login_failure(username)
    params: dict[str, Any] = {"ip": _ip(request), **({"locked": True} if locked else {})}
    record_event(AuditAction.LOGIN_FAILED, workspace=None, target=username, **params)
