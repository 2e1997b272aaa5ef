"""The stand-in forum listens on 127.0.0.1, which the outbound guard refuses unless it is
allowed (docs/security.md, "Outbound requests"): these tests allow it, as an operator
with an on-premise forum would."""

from __future__ import annotations

from typing import Any

import pytest


@pytest.fixture(autouse=True)
def loopback_forum_allowed(settings: Any) -> None:
    settings.OUTBOUND_ALLOW = ["127.0.0.1"]
