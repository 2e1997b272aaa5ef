"""The one ingest path: parse → normalize → resolve identity → bulk write.

Every importer feeds canonical records (:mod:`qunyun.ingest.records`) into
:func:`do_import_records`. It is idempotent — an activity already present (same workspace,
source, channel and external id) is skipped — and all-or-nothing: the rows of one import
are written in one transaction, so a file that turns out to be malformed half-way writes
nothing. Only the :class:`~qunyun.ingest.models.ImportRun` survives a failure, to show
the operator what went wrong.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable
from datetime import UTC, datetime
from typing import Any

from django.db import connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from qunyun.activity.models import Activity, Channel
from qunyun.ingest.errors import ImportFormatError
from qunyun.ingest.identity import IdentityResolver, do_resolve_name_only_identities
from qunyun.ingest.models import ImportRun
from qunyun.ingest.read_ahead import Item, compact, read_ahead
from qunyun.ingest.records import ActivityRecord, ChannelRecord
from qunyun.members.stats import do_refresh_member_stats
from qunyun.workspaces.models import Workspace

Progress = Callable[[int], None]

BATCH_SIZE = 5000


class _ActivityWriter:
    """Turns canonical activity records into rows and writes them in batches."""

    def __init__(self, workspace: Workspace, run: ImportRun) -> None:
        self.workspace = workspace
        self.run = run
        self.identities = IdentityResolver(workspace)
        self.channels: dict[tuple[str, str], int] = {}
        self.channels_added = 0
        self.touched_members: set[int] = set()
        self.pending: list[Item] = []
        self.added = 0
        self.adapt_datetime = _datetime_adapter()
        table = Activity._meta.db_table
        self.sql = (
            f"INSERT INTO {table} (workspace_id, source, channel_id, external_id, member_id, "  # noqa: S608
            "identity_id, kind, occurred_at, text, reply_to, thread, attrs, import_run_id) "
            "VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s) "
            "ON CONFLICT DO NOTHING"
        )

    def add_channel(self, source: str, external_id: str, name: str = "", kind: str = "") -> int:
        key = (source, external_id)
        channel_id = self.channels.get(key)
        if channel_id is not None:
            return channel_id
        channel, created = Channel.objects.get_or_create(
            workspace=self.workspace,
            platform=source,
            external_id=external_id[:255],
            defaults={"name": name[:255], "kind": kind[:64]},
        )
        if not created and name and channel.name != name:
            channel.name = name[:255]
            channel.save(update_fields=["name"])
        self.channels_added += int(created)
        self.channels[key] = channel.pk
        return channel.pk

    def add(self, item: Item) -> None:
        self.pending.append(item)
        if len(self.pending) >= BATCH_SIZE:
            self.flush()

    def flush(self) -> None:
        if not self.pending:
            return
        items, self.pending = self.pending, []
        people = self.identities.resolve([(i[1], i[2], i[6]) for i in items])
        workspace_id = self.workspace.pk
        run_id = self.run.pk
        channels = self.channels
        touched = self.touched_members
        rows = []
        for item, (member_id, identity_id) in zip(items, people, strict=True):
            (
                _tag,
                source,
                channel,
                external_id,
                kind,
                occurred_at,
                _p,
                text,
                reply,
                thread,
                attrs,
            ) = item
            channel_id = channels.get((source, channel))
            if channel_id is None:
                channel_id = self.add_channel(source, channel)
            touched.add(member_id)
            rows.append(
                (
                    workspace_id,
                    source,
                    channel_id,
                    external_id,
                    member_id,
                    identity_id,
                    kind,
                    occurred_at,
                    text,
                    reply,
                    thread,
                    attrs,
                    run_id,
                )
            )
        with connection.cursor() as cursor:
            cursor.executemany(self.sql, rows)
            # Rows skipped by ON CONFLICT DO NOTHING are not counted.
            self.added += max(cursor.rowcount, 0)


def _datetime_adapter() -> Callable[[datetime], str]:
    """How this database wants an aware datetime as a query parameter: a UTC string.

    (A string also crosses the read-ahead queue far cheaper than a datetime.)
    """
    sqlite = connection.vendor == "sqlite"

    def to_utc_text(value: datetime) -> str:
        if value.tzinfo is not UTC:
            value = value.astimezone(UTC)
        if sqlite:
            # What Django stores in SQLite: "YYYY-MM-DD HH:MM:SS[.ffffff]", naive UTC.
            return value.replace(tzinfo=None).isoformat(" ")
        return value.isoformat(" ")  # with "+00:00": PostgreSQL reads it as timestamptz

    return to_utc_text


def do_import_records(
    workspace: Workspace,
    records: Iterable[ChannelRecord | ActivityRecord],
    *,
    file_name: str,
    format_name: str,
    acting_user: Any = None,
    progress: Progress | None = None,
    run: ImportRun | None = None,
) -> ImportRun:
    """Write ``records`` into ``workspace`` and return the finished :class:`ImportRun`.

    Raises :class:`ImportFormatError` (after recording it on the run) when the input is
    malformed; nothing of the import is written then.
    """
    if run is None:
        run = ImportRun.objects.create(
            workspace=workspace,
            file_name=file_name[:1024],
            format=format_name,
            started_by=acting_user,
        )
    else:
        run.status = ImportRun.Status.RUNNING
        run.save(update_fields=["status"])
    started = time.perf_counter()
    read = 0
    try:
        with transaction.atomic():
            writer = _ActivityWriter(workspace, run)
            items = compact(records, writer.adapt_datetime)
            if not isinstance(records, list | tuple):
                items = read_ahead(items)  # a lazy parser: let it run on the other core
            for item in items:
                if item[0] == "c":
                    writer.add_channel(*item[1:])
                    continue
                read += 1
                writer.add(item)
                if progress is not None and read % 1000 == 0:
                    progress(read)
            writer.flush()
            folded = do_resolve_name_only_identities(workspace, writer.touched_members)
            do_refresh_member_stats(workspace, writer.touched_members)
            added = writer.added
    except ImportFormatError as error:
        _fail(run, started, read, {"message": str(error), "place": error.place()})
        raise
    except Exception as error:
        _fail(run, started, read, {"message": _("Import failed: %(error)s") % {"error": error}})
        raise
    if progress is not None:
        progress(read)
    run.status = ImportRun.Status.SUCCEEDED
    run.records_read = read
    run.activities_added = added
    run.activities_skipped = read - added
    run.members_added = writer.identities.members_added - folded
    run.channels_added = writer.channels_added
    run.finished_at = timezone.now()
    run.duration_seconds = time.perf_counter() - started
    run.save()
    return run


def _fail(run: ImportRun, started: float, read: int, error: dict[str, str]) -> None:
    run.status = ImportRun.Status.FAILED
    run.records_read = read
    run.errors = [error]
    run.finished_at = timezone.now()
    run.duration_seconds = time.perf_counter() - started
    run.save()
