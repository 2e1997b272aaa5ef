"""How the installation is doing: what ``qunyun status``, its admin page and ``/healthz``
show. Reads only; it never repairs (that is the job of whatever is found dead)."""

from __future__ import annotations

import shutil
from dataclasses import asdict, dataclass, field
from datetime import datetime, timedelta
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path

from django.conf import settings
from django.db import DatabaseError, connection
from django.utils import timezone

from qunyun.database import pending_migrations
from qunyun.scheduling.heartbeat import ALIVE_SECONDS
from qunyun.scheduling.models import Heartbeat
from qunyun.scheduling.selectors import failed_runs_since, schedules_overview


def qunyun_version() -> str:
    try:
        return version("qunyun")
    except PackageNotFoundError:  # a checkout run without installing
        return "unknown"


@dataclass
class ScheduleLine:
    id: int
    job: str
    workspace: str
    cron: str
    enabled: bool
    last_due: datetime | None
    last_status: str
    next_due: datetime | None


@dataclass
class Status:
    version: str
    database: str  # "ok", "not migrated", or the error
    database_vendor: str
    pending_migrations: int
    data_dir: str
    data_dir_free_gib: float | None
    workers: list[str] = field(default_factory=list)  # "host:pid" of the live ones
    schedulers: list[str] = field(default_factory=list)
    schedules: list[ScheduleLine] = field(default_factory=list)
    failed_runs_last_day: int = 0

    @property
    def healthy(self) -> bool:
        return self.database == "ok" and bool(self.workers) and bool(self.schedulers)

    def as_json(self) -> dict[str, object]:
        data = asdict(self)
        data["healthy"] = self.healthy
        for line in data["schedules"]:
            for key in ("last_due", "next_due"):
                line[key] = line[key].isoformat() if line[key] else None
        return data


def _free_gib(path: Path) -> float | None:
    try:
        return round(shutil.disk_usage(path).free / 2**30, 1)
    except OSError:
        return None


def _alive(role: str, now: datetime) -> list[str]:
    beats = Heartbeat.objects.filter(
        role=role, seen_at__gte=now - timedelta(seconds=ALIVE_SECONDS)
    ).order_by("host", "pid")
    return [f"{beat.host}:{beat.pid}" for beat in beats]


def installation_status() -> Status:
    """Everything ``qunyun status`` shows; a database that cannot be read says so."""
    data_dir = Path(settings.DATA_DIR)
    status = Status(
        version=qunyun_version(),
        database="ok",
        database_vendor=connection.vendor,
        pending_migrations=0,
        data_dir=str(data_dir),
        data_dir_free_gib=_free_gib(data_dir),
    )
    try:
        status.pending_migrations = pending_migrations()
        if status.pending_migrations:
            status.database = "not migrated"
            return status
        now = timezone.now()
        status.workers = _alive("worker", now)
        status.schedulers = _alive("scheduler", now)
        status.schedules = [
            ScheduleLine(
                id=view.schedule.pk,
                job=view.schedule.job,
                workspace=view.schedule.workspace.slug if view.schedule.workspace else "",
                cron=view.schedule.cron,
                enabled=view.schedule.enabled,
                last_due=view.last_run.due_at if view.last_run else None,
                last_status=view.last_run.status if view.last_run else "",
                next_due=view.next_due,
            )
            for view in schedules_overview(everything=True)
        ]
        status.failed_runs_last_day = failed_runs_since(timedelta(days=1)).count()
    except DatabaseError as error:
        status.database = f"{type(error).__name__}: {error}"
    return status
