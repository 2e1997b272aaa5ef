"""Heartbeats of the background processes (the task worker, the scheduler).

Each beats every ``BEAT_SECONDS``; one not seen for ``ALIVE_SECONDS`` counts as dead.
A beat that cannot be written (SQLite's write lock held by a long import) is skipped:
the next one tries again, and three in a row may fail before the process looks dead.
"""

from __future__ import annotations

import logging
import os
import socket
import threading
from datetime import timedelta

from django.db import DatabaseError, close_old_connections
from django.utils import timezone

from qunyun.scheduling.models import Heartbeat

BEAT_SECONDS = 5.0
ALIVE_SECONDS = 30.0

logger = logging.getLogger(__name__)


def do_beat(role: str) -> None:
    """Record that this process (``role``) is alive now."""
    Heartbeat.objects.update_or_create(
        role=role, host=socket.gethostname(), pid=os.getpid(), defaults={"seen_at": timezone.now()}
    )
    # Forget processes gone for a day, so the table stays the size of the fleet.
    Heartbeat.objects.filter(seen_at__lt=timezone.now() - timedelta(days=1)).delete()


def start_beating(role: str) -> threading.Event:
    """Beat from a daemon thread until the returned event is set (or the process ends)."""
    stop = threading.Event()

    def beat() -> None:
        while not stop.is_set():
            try:
                do_beat(role)
            except DatabaseError:
                logger.warning("%s heartbeat skipped: the database is busy or unreachable", role)
            finally:
                close_old_connections()
            stop.wait(BEAT_SECONDS)

    threading.Thread(target=beat, name=f"{role}-heartbeat", daemon=True).start()
    return stop
