"""Rate limits: failed logins per username, the API per user and per IP (N allowed, N+1 refused)."""

from __future__ import annotations

from typing import Any

import pytest
from django.urls import reverse

from qunyun.audit.models import AuditEvent
from qunyun.team.actions import do_create_api_token
from qunyun.workspaces.models import Workspace


@pytest.fixture
def login_limit(settings: Any) -> int:
    settings.LOGIN_FAILURE_LIMIT = 5
    settings.LOGIN_FAILURE_WINDOW_SECONDS = 1800
    return 5


def log_in(client: Any, username: str, password: str, **extra: Any) -> Any:
    return client.post(reverse("login"), {"username": username, "password": password}, **extra)


def test_the_sixth_failed_login_is_refused_even_with_the_right_password(
    client: Any, alice: Any, login_limit: int
) -> None:
    for _attempt in range(login_limit):
        response = log_in(client, "alice", "wrong-password", HTTP_ACCEPT_LANGUAGE="en")
        assert response.status_code == 200
        assert b"Please enter a correct username and password" in response.content

    locked = log_in(client, "alice", "alice-password-1", HTTP_ACCEPT_LANGUAGE="en")
    assert locked.status_code == 429
    assert 1700 <= int(locked["Retry-After"]) <= 1801
    assert b"Too many failed logins for this user. Try again in 30 minutes." in locked.content
    assert "_auth_user_id" not in client.session


def test_the_lock_speaks_chinese_and_counts_case_insensitively(
    client: Any, alice: Any, login_limit: int
) -> None:
    for _attempt in range(login_limit):
        log_in(client, "ALICE", "wrong-password")
    locked = log_in(client, "alice", "wrong-password", HTTP_ACCEPT_LANGUAGE="zh-hans")
    assert locked.status_code == 429
    assert "登录失败次数过多".encode() in locked.content


def test_other_users_are_not_locked_and_a_success_resets_the_count(
    client: Any, alice: Any, django_user_model: Any, login_limit: int
) -> None:
    django_user_model.objects.create_user("bob", password="bob-password-1")
    for _attempt in range(login_limit - 1):
        log_in(client, "alice", "wrong-password")
    assert log_in(client, "alice", "alice-password-1").status_code == 302
    client.logout()
    for _attempt in range(login_limit - 1):
        log_in(client, "alice", "wrong-password")
    assert log_in(client, "alice", "alice-password-1").status_code == 302
    assert log_in(client, "bob", "bob-password-1").status_code == 302


def test_logins_and_failures_are_audited(client: Any, alice: Any, login_limit: int) -> None:
    log_in(client, "alice", "wrong-password")
    log_in(client, "alice", "alice-password-1")
    client.post(reverse("logout"))
    actions = list(AuditEvent.objects.order_by("id").values_list("action", "target"))
    assert actions == [
        ("login_failed", "alice"),
        ("user_logged_in", "alice"),
        ("user_logged_out", "alice"),
    ]


def test_the_api_refuses_the_call_after_the_users_limit(
    client: Any, alice: Any, workspace: Workspace, settings: Any
) -> None:
    settings.API_RATE_PER_USER = "5/min"
    _token, secret = do_create_api_token(workspace, alice, name="script")
    headers = {"HTTP_AUTHORIZATION": f"Bearer {secret}", "HTTP_ACCEPT_LANGUAGE": "en"}
    url = "/api/v1/workspaces"
    for _call in range(5):
        assert client.get(url, **headers).status_code == 200
    refused = client.get(url, **headers)
    assert refused.status_code == 429
    assert 1 <= int(refused["Retry-After"]) <= 60
    assert refused.json()["detail"].startswith("Too many requests. Try again in")

    # The same user through the browser session shares the limit; another IP does not help.
    client.force_login(alice)
    assert client.get(url, REMOTE_ADDR="10.0.0.9").status_code == 429


def test_the_api_refuses_an_ip_after_its_limit_even_without_a_token(
    client: Any, db: None, settings: Any
) -> None:
    settings.API_RATE_PER_IP = "3/min"
    for _call in range(3):
        assert client.get("/api/v1/workspaces", REMOTE_ADDR="10.0.0.1").status_code == 401
    refused = client.get("/api/v1/workspaces", REMOTE_ADDR="10.0.0.1")
    assert refused.status_code == 429
    assert int(refused["Retry-After"]) >= 1
    assert client.get("/api/v1/workspaces", REMOTE_ADDR="10.0.0.2").status_code == 401


# -- one lock for every way in ----------------------------------------------------------


def admin_log_in(client: Any, username: str, password: str) -> Any:
    return client.post(
        "/admin/login/?next=/admin/",
        {"username": username, "password": password, "next": "/admin/"},
        HTTP_ACCEPT_LANGUAGE="en",
    )


@pytest.fixture
def staff_alice(alice: Any) -> Any:
    """Alice may use the back office, which is for superusers only (docs/security.md)."""
    alice.is_staff = alice.is_superuser = True
    alice.save(update_fields=["is_staff", "is_superuser"])
    return alice


def test_a_lock_from_the_login_page_holds_at_the_back_office_login(
    client: Any, staff_alice: Any, login_limit: int
) -> None:
    for _attempt in range(login_limit):
        log_in(client, "alice", "wrong-password")

    for _attempt in range(3):
        wrong = admin_log_in(client, "alice", "wrong-password")
        assert wrong.status_code == 429
    right = admin_log_in(client, "alice", "alice-password-1")

    assert right.status_code == 429
    assert 1700 <= int(right["Retry-After"]) <= 1801
    assert b"Too many failed logins for this user." in right.content
    assert "_auth_user_id" not in client.session
    assert client.get("/w/acme/").status_code == 302  # to the login page: no session


def test_failures_at_the_back_office_login_lock_the_login_page(
    client: Any, staff_alice: Any, login_limit: int
) -> None:
    for _attempt in range(login_limit):
        assert admin_log_in(client, "alice", "wrong-password").status_code == 200

    locked = log_in(client, "alice", "alice-password-1", HTTP_ACCEPT_LANGUAGE="en")

    assert locked.status_code == 429
    assert "_auth_user_id" not in client.session


def test_the_back_office_login_still_works_for_a_user_who_is_not_locked(
    client: Any, staff_alice: Any, login_limit: int
) -> None:
    response = admin_log_in(client, "alice", "alice-password-1")

    assert response.status_code == 302
    assert client.session["_auth_user_id"] == str(staff_alice.pk)


def test_authentication_itself_refuses_a_locked_user(alice: Any, login_limit: int) -> None:
    """Below every page: Django's authenticate(), which any login path calls."""
    from django.contrib.auth import authenticate

    for _attempt in range(login_limit):
        assert authenticate(None, username="alice", password="wrong-password") is None

    assert authenticate(None, username="alice", password="alice-password-1") is None


def test_attempts_during_the_lock_do_not_lengthen_it(
    client: Any, alice: Any, login_limit: int, settings: Any
) -> None:
    from qunyun.accounts.limits import login_retry_after

    for _attempt in range(login_limit):
        log_in(client, "alice", "wrong-password")
    before = login_retry_after("alice")
    for _attempt in range(5):
        log_in(client, "alice", "wrong-password")
        admin_log_in(client, "alice", "wrong-password")

    after = login_retry_after("alice")
    assert before is not None and after is not None and after <= before


def test_a_login_lasts_at_most_twelve_hours(client: Any, alice: Any, login_limit: int) -> None:
    assert log_in(client, "alice", "alice-password-1").status_code == 302

    assert client.cookies["sessionid"]["max-age"] == 12 * 3600


def test_new_passwords_need_twelve_characters(alice: Any) -> None:
    from django.contrib.auth.password_validation import validate_password
    from django.core.exceptions import ValidationError

    with pytest.raises(ValidationError):
        validate_password("short-pw-11", alice)
    validate_password("a-long-enough-one", alice)
