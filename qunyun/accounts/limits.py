"""Sliding-window counters in the shared cache: failed logins per username.

The cache (file-based by default, Redis when configured) is shared by every web process,
so a limit holds across workers.
"""

from __future__ import annotations

import hashlib
import time

from django.conf import settings
from django.core.cache import cache


def _key(username: str) -> str:
    digest = hashlib.sha256(username.strip().casefold().encode()).hexdigest()
    return f"login-failures:{digest}"


def _recent(username: str, now: float) -> list[float]:
    window = settings.LOGIN_FAILURE_WINDOW_SECONDS
    stamps: list[float] = cache.get(_key(username), [])
    return [t for t in stamps if now - t < window]


def record_login_failure(username: str) -> None:
    now = time.time()
    stamps = [*_recent(username, now), now]
    cache.set(_key(username), stamps, timeout=settings.LOGIN_FAILURE_WINDOW_SECONDS)


def login_retry_after(username: str) -> int | None:
    """Seconds until ``username`` may try again, or None when not locked."""
    now = time.time()
    stamps = _recent(username, now)
    if len(stamps) < settings.LOGIN_FAILURE_LIMIT:
        return None
    oldest_that_counts = stamps[-settings.LOGIN_FAILURE_LIMIT]
    return max(1, int(oldest_that_counts + settings.LOGIN_FAILURE_WINDOW_SECONDS - now) + 1)


def clear_login_failures(username: str) -> None:
    cache.delete(_key(username))
