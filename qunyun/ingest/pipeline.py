"""The one ingest path: parse → normalize → resolve identity → bulk write.

Every importer feeds canonical records (:mod:`qunyun.ingest.records`) into
:func:`do_import_records`. It is idempotent — an activity already present (same workspace,
source, channel and external id) is skipped — and all-or-nothing: the rows of one import
are written in one transaction, so a file that turns out to be malformed half-way writes
nothing. Only the :class:`~qunyun.ingest.models.ImportRun` survives a failure, to show
the operator what went wrong.
"""

from __future__ import annotations

import gc
import os
import socket
import time
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Any

from django.contrib.auth.models import User
from django.db import connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from qunyun.activity.models import Activity, Channel
from qunyun.audit.actions import record_event
from qunyun.audit.events import AuditAction
from qunyun.ingest.bulk_load import DeferredIndexes, bulk_load_cache, wait_for_other_imports
from qunyun.ingest.errors import ImportFormatError
from qunyun.ingest.identity import IdentityResolver, do_resolve_name_only_identities
from qunyun.ingest.models import ImportRun
from qunyun.ingest.read_ahead import read_ahead
from qunyun.ingest.records import ActivityRecord, ChannelRecord
from qunyun.ingest.rows import Batch, compact
from qunyun.members.stats import do_refresh_member_stats, do_write_member_figures
from qunyun.team.actions import do_get_or_create_workspace
from qunyun.workspaces.models import Workspace

Progress = Callable[[int], None]


class _ActivityWriter:
    """Writes the batches of rows :func:`~qunyun.ingest.rows.compact` makes."""

    def __init__(self, workspace: Workspace, run: ImportRun) -> None:
        self.workspace = workspace
        self.run = run
        self.identities = IdentityResolver(workspace)
        self.channels: dict[tuple[str, str], int] = {}
        self.channels_added = 0
        #: By the numbers the batches give them: (source, channel id) and (member id,
        #: identity id).
        self.channel_numbers: list[tuple[str, int]] = []
        self.person_numbers: list[tuple[int, int]] = []
        self.touched_members: set[int] = set()
        #: By person number: [first, last, activities, messages] of the rows read.
        self.figures: list[list[Any]] = []
        #: Person numbers of batches in which some rows were already there (skipped).
        self.skipped_people: set[int] = set()
        self.indexes = DeferredIndexes(Activity._meta.db_table)
        self.read = 0
        self.added = 0
        self.adapt_datetime = _datetime_adapter()
        table = Activity._meta.db_table
        # The workspace and the run are the same for every row: written into the
        # statement (they are integers), not bound once per row.
        workspace_id, run_id = int(workspace.pk), int(run.pk)
        self.sql = (
            f"INSERT INTO {table} (workspace_id, source, channel_id, external_id, member_id, "  # noqa: S608
            "identity_id, kind, occurred_at, text, reply_to, thread, attrs, import_run_id) "
            f"VALUES ({workspace_id}, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, {run_id}) "
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

    def write(self, batch: Batch) -> None:
        channels, people, rows, figures = batch
        if figures is not None:
            self.figures.extend(figures[1])
            return
        numbers = self.channel_numbers
        for number, source, external_id, name, kind in channels:
            channel_id = self.add_channel(source, external_id, name, kind)
            if number == len(numbers):
                numbers.append((source, channel_id))
        if people:
            resolved = self.identities.resolve([(p[1], p[2], p[3]) for p in people])
            self.person_numbers.extend(resolved)
            self.touched_members.update(member_id for member_id, _identity in resolved)
        if not rows:
            return
        persons = self.person_numbers
        params = [
            (*numbers[c], external_id, *persons[p], kind, at, text, reply, thread, attrs)
            for c, external_id, p, kind, at, text, reply, thread, attrs in rows
        ]
        with connection.cursor() as cursor:
            cursor.executemany(self.sql, params)
            # Rows skipped by ON CONFLICT DO NOTHING are not counted.
            added = max(cursor.rowcount, 0)
        if added != len(rows):
            self.skipped_people.update(row[2] for row in rows)
        self.added += added
        self.read += len(rows)
        self.indexes.written(self.added)

    def finish(self, workspace: Workspace) -> int:
        """Build deferred indexes, resolve name-only people, and set member figures.

        Returns how many name-only members were folded into others. The figures of a
        member this import created come from the rows it wrote (counted in the parser
        process) when all of that member's rows were written and none moved to them;
        every other member touched is recounted from the database.
        """
        self.indexes.restore()
        moved_to: set[int] = set()
        folded = do_resolve_name_only_identities(workspace, self.touched_members, moved_to)
        created, skipped = self.identities.created, self.skipped_people
        counted: dict[int, list[Any]] = {}
        if len(self.figures) == len(self.person_numbers):
            for number, (member_id, _identity) in enumerate(self.person_numbers):
                if member_id in created and number not in skipped:
                    counted[member_id] = self.figures[number]
        for member_id in moved_to:
            counted.pop(member_id, None)
        known = [
            (first, last, activities, messages, member_id, workspace.pk)
            for member_id, (first, last, activities, messages) in counted.items()
            if member_id in self.touched_members
        ]
        do_write_member_figures(known)
        do_refresh_member_stats(workspace, self.touched_members.difference(counted))
        return folded


def _datetime_adapter() -> Callable[[datetime], str]:
    """How this database wants an aware datetime as a query parameter: a UTC string.

    (A string also crosses the read-ahead queue far cheaper than a datetime.)
    """
    if connection.vendor == "sqlite":

        def naive_utc_text(value: datetime) -> str:
            if value.tzinfo is not UTC:
                value = value.astimezone(UTC)
            # What Django stores in SQLite: "YYYY-MM-DD HH:MM:SS[.ffffff]", naive UTC
            # (the aware form without its "+00:00").
            return value.isoformat(" ")[:-6]

        return naive_utc_text

    def utc_text(value: datetime) -> str:
        if value.tzinfo is not UTC:
            value = value.astimezone(UTC)
        return value.isoformat(" ")  # with "+00:00": PostgreSQL reads it as timestamptz

    return utc_text


def do_import_records(
    workspace: Workspace,
    records: Iterable[ChannelRecord | ActivityRecord],
    *,
    file_name: str,
    format_name: str,
    acting_user: User | None = None,
    progress: Progress | None = None,
    run: ImportRun | None = None,
) -> ImportRun:
    """Write ``records`` into ``workspace`` and return the finished :class:`ImportRun`.

    With ``run`` (queued by the web) that run is marked running and finished; otherwise
    a new one is created. Raises :class:`ImportFormatError` when the input is malformed,
    and re-raises any other error, after recording it on the run as failed; nothing of
    the import but the run is written then.
    """
    run = _start_run(workspace, run, file_name=file_name, format_name=format_name, by=acting_user)
    started = time.perf_counter()
    writer = _ActivityWriter(workspace, run)
    try:
        with wait_for_other_imports(), transaction.atomic(), bulk_load_cache():
            _write_batches(writer, records, progress)
            folded = writer.finish(workspace)
            record_event(
                AuditAction.ACTIVITIES_IMPORTED,
                workspace=workspace,
                actor=acting_user,
                target=f"import:{run.pk}",
                format=format_name,
                file=file_name[:200],
                records_read=writer.read,
                activities_added=writer.added,
            )
    except ImportFormatError as error:
        if not error.path:  # found after parsing (e.g. a text over the limit): the file's
            error.path = file_name
        _fail(run, started, writer.read, {"message": str(error), "place": error.place()})
        raise
    except Exception as error:
        message = _("Import failed: %(error)s") % {"error": error}
        _fail(run, started, writer.read, {"message": message})
        raise
    if progress is not None:
        progress(writer.read)
    _succeed(run, writer, started, folded)
    return run


def _start_run(
    workspace: Workspace,
    run: ImportRun | None,
    *,
    file_name: str,
    format_name: str,
    by: User | None,
) -> ImportRun:
    """The run of this import, created or (queued by the web) marked running, with the
    host and process that run it (so a run whose process died is found interrupted)."""
    host, pid = socket.gethostname(), os.getpid()
    if run is None:
        return ImportRun.objects.create(
            workspace=workspace,
            file_name=file_name[:1024],
            format=format_name,
            started_by=by,
            host=host,
            pid=pid,
        )
    run.status, run.host, run.pid = ImportRun.Status.RUNNING, host, pid
    run.save(update_fields=["status", "host", "pid"])
    return run


def _write_batches(
    writer: _ActivityWriter,
    records: Iterable[ChannelRecord | ActivityRecord],
    progress: Progress | None,
) -> None:
    """Every record through ``writer``, batch by batch, reporting progress."""
    batches = compact(records, writer.adapt_datetime)
    if not isinstance(records, list | tuple):
        # A lazy parser: let it run on the other core.
        batches = read_ahead(batches, batch=1)
    # Millions of short-lived rows would make the cyclic collector rescan the
    # heap again and again; nothing here makes reference cycles.
    collecting = gc.isenabled()
    gc.disable()
    try:
        for batch in batches:
            writer.write(batch)
            if progress is not None:
                progress(writer.read)
    finally:
        if collecting:
            gc.enable()


def _succeed(run: ImportRun, writer: _ActivityWriter, started: float, folded: int) -> None:
    """Record the figures of a finished import on its run."""
    read, added = writer.read, writer.added
    run.status = ImportRun.Status.SUCCEEDED
    run.records_read = read
    run.activities_added = added
    run.activities_skipped = read - added
    run.members_added = writer.identities.members_added - folded
    run.channels_added = writer.channels_added
    run.finished_at = timezone.now()
    run.duration_seconds = time.perf_counter() - started
    run.save()


@contextmanager
def do_get_or_create_workspace_for_import(
    slug: str, *, file_name: str, format_name: str, acting_user: User | None = None
) -> Iterator[Workspace]:
    """The workspace ``slug`` for an import run inside the block; created when absent.

    A new workspace is created in the same transaction as the import, so that a failed
    first import leaves nothing behind: no workspace, no run. Its failure is kept in the
    audit log instead (``import_failed``, with the slug, the file and the message).
    """
    workspace = Workspace.objects.filter(slug=slug).first()
    if workspace is not None:
        yield workspace
        return
    try:
        with wait_for_other_imports(), transaction.atomic():
            yield do_get_or_create_workspace(slug, acting_user=acting_user)
    except Exception as error:
        record_event(
            AuditAction.IMPORT_FAILED,
            workspace=None,
            actor=acting_user,
            target=f"workspace:{slug}",
            format=format_name,
            file=file_name[:200],
            message=str(error)[:1000],
        )
        raise


def _fail(run: ImportRun, started: float, read: int, error: dict[str, str]) -> None:
    run.status = ImportRun.Status.FAILED
    run.records_read = read
    run.errors = [error]
    run.finished_at = timezone.now()
    run.duration_seconds = time.perf_counter() - started
    run.save()
