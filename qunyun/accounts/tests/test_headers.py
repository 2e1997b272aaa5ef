"""Security headers on every response, and `check --deploy` clean in production settings."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import Any

from django.urls import reverse


def test_pages_carry_a_strict_content_security_policy(client: Any, alice: Any) -> None:
    client.force_login(alice)
    response = client.get(reverse("overview", args=["acme"]))
    policy = dict(
        part.strip().split(" ", 1) for part in response["Content-Security-Policy"].split(";")
    )
    assert policy["script-src"] == "'self'"  # no 'unsafe-inline', no 'unsafe-eval'
    assert policy["object-src"] == "'none'"
    assert policy["base-uri"] == "'self'"
    assert policy["frame-ancestors"] == "'none'"
    assert response["X-Frame-Options"] == "DENY"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Referrer-Policy"] == "same-origin"


def test_the_login_form_has_a_csrf_token(client: Any, db: None) -> None:
    response = client.get(reverse("login"))
    assert b'name="csrfmiddlewaretoken"' in response.content


def test_check_deploy_is_clean_in_production_settings(tmp_path: Path) -> None:
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith("QUNYUN_") and k != "DJANGO_ALLOW_ASYNC_UNSAFE"  # set by browser tests
    }
    env |= {
        "QUNYUN_DATA_DIR": str(tmp_path),
        "QUNYUN_HTTPS": "1",
        "QUNYUN_ALLOWED_HOSTS": "qunyun.example.com",
        "QUNYUN_LANGUAGE": "en",
    }
    result = subprocess.run(
        [sys.executable, "-m", "qunyun", "check", "--deploy", "--fail-level", "WARNING"],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout
