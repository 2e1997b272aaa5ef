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
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import orjson
from django.db import connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from qunyun.activity.models import Activity, Channel
from qunyun.ingest.errors import ImportFormatError
from qunyun.ingest.identity import IdentityResolver, do_resolve_name_only_identities
from qunyun.ingest.models import ImportRun
from qunyun.ingest.records import ActivityRecord, ChannelRecord
from qunyun.members.stats import do_refresh_member_stats
from qunyun.workspaces.models import Workspace

Progress = Callable[[int], None]

BATCH_SIZE = 5000


@dataclass
class _Batch:
    rows: list[tuple[Any, ...]] = field(default_factory=list)
    records: list[ActivityRecord] = field(default_factory=list)


class _ActivityWriter:
    """Turns canonical activity records into rows and writes them in batches."""

    def __init__(self, workspace: Workspace, run: ImportRun) -> None:
        self.workspace = workspace
        self.run = run
        self.identities = IdentityResolver(workspace)
        self.channels: dict[tuple[str, str], int] = {}
        self.channels_added = 0
        self.touched_members: set[int] = set()
        self.pending: list[ActivityRecord] = []
        self.added = 0
        self.adapt_datetime = _datetime_adapter()
        table = Activity._meta.db_table
        self.sql = (
            f"INSERT INTO {table} (workspace_id, source, channel_id, external_id, member_id, "  # noqa: S608
            "identity_id, kind, occurred_at, text, reply_to, thread, attrs, import_run_id) "
            "VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s) "
            "ON CONFLICT DO NOTHING"
        )

    def add_channel(self, record: ChannelRecord) -> int:
        key = (record.source, record.external_id)
        channel_id = self.channels.get(key)
        if channel_id is not None:
            return channel_id
        channel, created = Channel.objects.get_or_create(
            workspace=self.workspace,
            platform=record.source,
            external_id=record.external_id,
            defaults={"name": record.name[:255], "kind": record.kind[:64]},
        )
        if not created and record.name and channel.name != record.name:
            channel.name = record.name[:255]
            channel.save(update_fields=["name"])
        self.channels_added += int(created)
        self.channels[key] = channel.pk
        return channel.pk

    def add(self, record: ActivityRecord) -> None:
        self.pending.append(record)
        if len(self.pending) >= BATCH_SIZE:
            self.flush()

    def flush(self) -> None:
        if not self.pending:
            return
        records, self.pending = self.pending, []
        people = self.identities.resolve([(r.source, r.channel, r.author) for r in records])
        workspace_id = self.workspace.pk
        run_id = self.run.pk
        adapt = self.adapt_datetime
        rows = []
        for record, (member_id, identity_id) in zip(records, people, strict=True):
            channel_id = self.channels.get((record.source, record.channel))
            if channel_id is None:
                channel_id = self.add_channel(ChannelRecord(record.source, record.channel))
            self.touched_members.add(member_id)
            rows.append(
                (
                    workspace_id,
                    record.source,
                    channel_id,
                    record.external_id[:255],
                    member_id,
                    identity_id,
                    str(record.kind),
                    adapt(record.occurred_at),
                    _clean(record.text),
                    (record.reply_to or "")[:255],
                    (record.thread or "")[:255],
                    orjson.dumps(record.attrs).decode() if record.attrs else "{}",
                    run_id,
                )
            )
        with connection.cursor() as cursor:
            cursor.executemany(self.sql, rows)
            # Rows skipped by ON CONFLICT DO NOTHING are not counted.
            self.added += max(cursor.rowcount, 0)


def _datetime_adapter() -> Callable[[datetime], Any]:
    """How this database wants an aware UTC datetime as a query parameter."""
    if connection.vendor == "sqlite":
        # What Django's adapter produces ("YYYY-MM-DD HH:MM:SS[.ffffff]", naive UTC),
        # without its per-value checks: this runs once per activity.
        def to_sqlite(value: datetime) -> str:
            if value.tzinfo is not UTC:
                value = value.astimezone(UTC)
            return value.replace(tzinfo=None).isoformat(" ")

        return to_sqlite
    return connection.ops.adapt_datetimefield_value


def _clean(text: str) -> str:
    # PostgreSQL rejects NUL in text; chat exports occasionally carry one.
    return text.replace("\x00", "") if "\x00" in text else text


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
            for record in records:
                if isinstance(record, ChannelRecord):
                    writer.add_channel(record)
                    continue
                read += 1
                writer.add(record)
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
