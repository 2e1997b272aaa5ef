"""Cron timetables, read by ``cronsim`` (the library healthchecks.io schedules with).

A timetable is read in its workspace's time zone (the installation's for installation-wide
schedules), so ``0 9 * * 1`` is Monday 09:00 where the operator lives, DST included.
"""

from __future__ import annotations

import zoneinfo
from datetime import datetime, timedelta

from cronsim import CronSim, CronSimError
from django.conf import settings
from django.utils.translation import gettext as _

from qunyun.scheduling.jobs import ScheduleError
from qunyun.workspaces.models import Workspace


def zone_of(workspace: Workspace | None) -> zoneinfo.ZoneInfo:
    return zoneinfo.ZoneInfo(workspace.time_zone if workspace else settings.TIME_ZONE)


def checked_cron(cron: str) -> str:
    """``cron`` with its spaces normalised, or a :class:`ScheduleError` saying what is wrong."""
    cron = " ".join(cron.split())
    try:
        CronSim(cron, datetime(2026, 1, 1, tzinfo=zoneinfo.ZoneInfo("UTC")))
    except CronSimError as error:
        raise ScheduleError(
            _(
                "“%(cron)s” is not a cron timetable (%(reason)s); for example “*/10 * * * *” "
                "is every 10 minutes, “30 3 * * *” is daily at 03:30."
            )
            % {"cron": cron, "reason": error}
        ) from None
    return cron


def last_slot(cron: str, zone: zoneinfo.ZoneInfo, now: datetime) -> datetime:
    """The latest time on the timetable at or before ``now``.

    cronsim's reverse walk starts strictly before its start, hence the second added.
    """
    start = now.astimezone(zone).replace(microsecond=0) + timedelta(seconds=1)
    return next(CronSim(cron, start, reverse=True))


def next_slot(cron: str, zone: zoneinfo.ZoneInfo, now: datetime) -> datetime:
    """The first time on the timetable after ``now``."""
    return next(CronSim(cron, now.astimezone(zone)))
