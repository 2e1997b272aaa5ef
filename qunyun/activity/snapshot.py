"""Copy the activity stream from the ORM into the columnar snapshot (DESIGN.md §3).

This module is the only bridge between the ORM and analytics: it appends new activities
(by id watermark) to Parquet part files under ``SNAPSHOT_DIR/<workspace id>/`` as Arrow,
never row by row, and keeps the rollups (member × day, channel × hour of the week) next to
them, filled from the same part. Analytics reads these files and nothing else. The text
is read only to mark questions (``is_question``, :mod:`qunyun.activity.questions`) and
is never stored.

Layout::

    <workspace>/activities/part-<generation>-<first id>-<last id>.parquet
    <workspace>/member_day/part-<generation>-<first id>-<last id>.parquet
    <workspace>/channel_hour/part-<generation>-<first id>-<last id>.parquet
    <workspace>/members.parquet      (rewritten on every refresh; small)
    <workspace>/channels.parquet
    <workspace>/FORMAT                (SNAPSHOT_FORMAT; another value → rebuilt)

A rollup part aggregates one activities part; a member-day split over two parts is
summed again by the readers, so appending stays correct. When rows already in the
snapshot change (a merge, a name resolved, a deletion, a new time zone) or the layout
changes (a new ``SNAPSHOT_FORMAT``) the snapshot is rebuilt from scratch under a new
generation.
"""

from __future__ import annotations

import fcntl
import os
import shutil
import time
from collections.abc import Iterator
from contextlib import contextmanager, nullcontext
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq
from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone

from qunyun.activity.kinds import ACTIVE_KINDS, MESSAGE_KINDS, ActivityKind
from qunyun.activity.models import Activity, Channel, SnapshotState
from qunyun.activity.questions import is_question
from qunyun.workspaces.models import Workspace

FETCH_ROWS = 200_000
#: Bump when the files' columns change: older snapshots are then rebuilt.
SNAPSHOT_FORMAT = "3"

ACTIVITY_SCHEMA = pa.schema(
    [
        ("id", pa.int64()),
        ("member_id", pa.int64()),
        ("channel_id", pa.int64()),
        ("source", pa.string()),
        ("kind", pa.string()),
        ("occurred_at", pa.timestamp("us", tz="UTC")),
        ("day", pa.date32()),
        ("external_id", pa.string()),
        ("reply_to", pa.string()),
        ("thread", pa.string()),
        ("is_question", pa.bool_()),
        ("hour_of_week", pa.int16()),
    ]
)


@dataclass
class SnapshotRefresh:
    activities_added: int
    rebuilt: bool
    seconds: float
    watermark: int


def snapshot_dir(workspace: Workspace) -> Path:
    return Path(settings.SNAPSHOT_DIR) / str(workspace.pk)


def snapshot_is_current(workspace: Workspace) -> bool:
    """Whether the snapshot folder exists in the current layout (else: rebuild it)."""
    base = snapshot_dir(workspace)
    marker = base / "FORMAT"
    return (
        (base / "members.parquet").exists()
        and marker.exists()
        and marker.read_text().strip() == SNAPSHOT_FORMAT
    )


def _epoch_us_sql() -> str:
    if connection.vendor == "postgresql":
        return "(EXTRACT(EPOCH FROM occurred_at) * 1000000)::bigint"
    # SQLite stores "YYYY-MM-DD HH:MM:SS[.ffffff]" in UTC; keep millisecond precision.
    # (%% because the query also takes parameters.)
    return (
        "CAST(strftime('%%s', occurred_at) AS INTEGER) * 1000000"
        " + CAST(substr(strftime('%%f', occurred_at), 4) AS INTEGER) * 1000"
    )


def do_refresh_snapshot(workspace: Workspace, *, rebuild: bool = False) -> SnapshotRefresh:
    """Bring ``workspace``'s snapshot up to date with the ORM; return what was done.

    One refresh of a workspace at a time (imports running side by side in several
    processes each end with a refresh): the others wait, then find little or nothing to add.
    """
    with _refresh_lock(workspace):
        return _refresh(workspace, rebuild=rebuild)


@contextmanager
def _refresh_lock(workspace: Workspace) -> Iterator[None]:
    folder = Path(settings.SNAPSHOT_DIR)
    folder.mkdir(parents=True, exist_ok=True)
    with open(folder / f"{workspace.pk}.lock", "w") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def _refresh(workspace: Workspace, *, rebuild: bool) -> SnapshotRefresh:
    started = time.perf_counter()
    with transaction.atomic():
        state, _ = SnapshotState.objects.select_for_update().get_or_create(workspace=workspace)
    base = snapshot_dir(workspace)
    rebuild = (
        rebuild
        or state.needs_rebuild
        or state.time_zone != workspace.time_zone
        or not snapshot_is_current(workspace)
    )
    if rebuild:
        state.generation += 1
        state.activity_watermark = 0
        state.time_zone = workspace.time_zone
        state.needs_rebuild = False
        if base.exists():
            shutil.rmtree(base)
    (base / "activities").mkdir(parents=True, exist_ok=True)
    (base / "member_day").mkdir(parents=True, exist_ok=True)
    (base / "channel_hour").mkdir(parents=True, exist_ok=True)

    added = 0
    watermark = state.activity_watermark
    table = Activity._meta.db_table
    sql = (
        f"SELECT id, member_id, channel_id, source, kind, {_epoch_us_sql()}, "  # noqa: S608
        f"external_id, reply_to, thread, text FROM {table} "
        "WHERE id > %s AND workspace_id = %s ORDER BY id"
    )
    # A server-side cursor on PostgreSQL (it needs a transaction): millions of rows must
    # not arrive at once. SQLite streams anyway, and a transaction there would take the
    # write lock (IMMEDIATE mode) for the whole read.
    reading = transaction.atomic() if connection.vendor == "postgresql" else nullcontext()
    with reading, connection.chunked_cursor() as cursor:
        cursor.execute(sql, [watermark, workspace.pk])
        while True:
            rows = cursor.fetchmany(FETCH_ROWS)
            if not rows:
                break
            part = _activities_table(rows, workspace.time_zone)
            name = f"part-{state.generation}-{rows[0][0]}-{rows[-1][0]}.parquet"
            _write_atomically(part, base / "activities" / name)
            _write_atomically(member_day_rollup(part), base / "member_day" / name)
            _write_atomically(channel_hour_rollup(part), base / "channel_hour" / name)
            added += len(rows)
            watermark = rows[-1][0]
    _write_atomically(_members_table(workspace), base / "members.parquet")
    _write_atomically(_channels_table(workspace), base / "channels.parquet")
    (base / "FORMAT").write_text(SNAPSHOT_FORMAT)
    state.activity_watermark = watermark
    state.refreshed_at = timezone.now()
    state.save()
    return SnapshotRefresh(added, rebuild, time.perf_counter() - started, watermark)


def _activities_table(rows: list[tuple], time_zone: str) -> pa.Table:
    ids, members, channels, sources, kinds, epochs, external, reply_to, thread, text = zip(
        *rows, strict=True
    )
    occurred = pa.array(epochs, pa.int64()).cast(pa.timestamp("us", tz="UTC"))
    local = pc.local_timestamp(occurred.cast(pa.timestamp("us", tz=time_zone)))
    # Monday 00:00 local = 0 … Sunday 23:00 = 167
    hour_of_week = pc.add(pc.multiply(pc.day_of_week(local), 24), pc.hour(local))
    return pa.Table.from_arrays(
        [
            pa.array(ids, pa.int64()),
            pa.array(members, pa.int64()),
            pa.array(channels, pa.int64()),
            pa.array(sources, pa.string()),
            pa.array(kinds, pa.string()),
            occurred,
            local.cast(pa.date32()),
            pa.array(external, pa.string()),
            pa.array(reply_to, pa.string()),
            pa.array(thread, pa.string()),
            is_question(pa.array(text, pa.string())),
            hour_of_week.cast(pa.int16()),
        ],
        schema=ACTIVITY_SCHEMA,
    )


#: The member × day rollup's counts: column → the kinds it counts. Every kind that earns
#: points in the engagement score has its count here (qunyun.analytics.segments).
MEMBER_DAY_COUNTS: dict[str, frozenset[str]] = {
    "n_active": frozenset(str(k) for k in ACTIVE_KINDS),
    "n_messages": frozenset(str(k) for k in MESSAGE_KINDS),
    "n_replies": frozenset({ActivityKind.REPLY.value}),
    "n_reactions": frozenset({ActivityKind.REACTION.value}),
    "n_posts": frozenset({ActivityKind.POST.value}),
    "n_comments": frozenset({ActivityKind.COMMENT.value}),
    "n_events_registered": frozenset({ActivityKind.EVENT_REGISTERED.value}),
    "n_events_attended": frozenset({ActivityKind.EVENT_ATTENDED.value}),
    "n_surveys_answered": frozenset({ActivityKind.SURVEY_ANSWERED.value}),
    "n_purchases": frozenset({ActivityKind.PURCHASE.value}),
    "n_joins": frozenset({ActivityKind.JOIN.value}),
    "n_leaves": frozenset({ActivityKind.LEAVE.value}),
}


def member_day_rollup(activities: pa.Table) -> pa.Table:
    """Counts per member × channel × day (the table dashboards read).

    ``n_activities`` (every activity), one count per entry of :data:`MEMBER_DAY_COUNTS`,
    ``n_questions`` (messages and replies marked as questions), and the day's latest join
    and leave (``last_join_at``, ``last_leave_at``; null when none).
    """
    kind = activities["kind"]

    def flag(kinds: frozenset[str]) -> pa.Array:
        return pc.cast(pc.is_in(kind, pa.array(sorted(kinds))), pa.int64())

    message_kinds = sorted(str(k) for k in MESSAGE_KINDS)
    occurred = activities["occurred_at"]
    null_ts = pa.nulls(len(activities), pa.timestamp("us", tz="UTC"))
    is_join = pc.equal(kind, ActivityKind.JOIN.value)
    is_leave = pc.equal(kind, ActivityKind.LEAVE.value)
    counts = {
        "n_activities": pa.array([1] * len(activities), pa.int64()),
        **{column: flag(kinds) for column, kinds in MEMBER_DAY_COUNTS.items()},
        "n_questions": pc.cast(
            pc.and_(activities["is_question"], pc.is_in(kind, pa.array(message_kinds))),
            pa.int64(),
        ),
    }
    enriched = pa.table(
        {
            "member_id": activities["member_id"],
            "channel_id": activities["channel_id"],
            "day": activities["day"],
            **counts,
            "last_join_at": pc.if_else(is_join, occurred, null_ts),
            "last_leave_at": pc.if_else(is_leave, occurred, null_ts),
        }
    )
    sums = [(c, "sum") for c in counts]
    grouped = enriched.group_by(["member_id", "channel_id", "day"]).aggregate(
        [*sums, ("last_join_at", "max"), ("last_leave_at", "max")]
    )
    renamed = {f"{c}_sum": c for c, _ in sums} | {
        "last_join_at_max": "last_join_at",
        "last_leave_at_max": "last_leave_at",
    }
    return grouped.rename_columns([renamed.get(n, n) for n in grouped.column_names])


def channel_hour_rollup(activities: pa.Table) -> pa.Table:
    """Messages and active-kind activities per channel × local day × local hour of week."""
    kind = activities["kind"]

    def flag(kinds: set[str]) -> pa.Array:
        return pc.cast(pc.is_in(kind, pa.array(sorted(kinds))), pa.int64())

    enriched = pa.table(
        {
            "channel_id": activities["channel_id"],
            "day": activities["day"],
            "hour_of_week": activities["hour_of_week"],
            "n_messages": flag({str(k) for k in MESSAGE_KINDS}),
            "n_active": flag({str(k) for k in ACTIVE_KINDS}),
        }
    )
    grouped = enriched.group_by(["channel_id", "day", "hour_of_week"]).aggregate(
        [("n_messages", "sum"), ("n_active", "sum")]
    )
    return grouped.rename_columns(
        [
            {"n_messages_sum": "n_messages", "n_active_sum": "n_active"}.get(n, n)
            for n in grouped.column_names
        ]
    )


def _members_table(workspace: Workspace) -> pa.Table:
    # Every member on every refresh (a bot flag may have changed), read as plain rows, not
    # through the ORM's per-row converters: the ids, then the few bots' ids (half a
    # million members: ~1 s less).
    # The member dimension of the stream: the table Activity.member points to.
    table = Activity._meta.get_field("member").related_model._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT id FROM {table} WHERE workspace_id = %s ORDER BY id",  # noqa: S608
            [workspace.pk],
        )
        ids = np.array(cursor.fetchall(), dtype=np.int64).reshape(-1)
        cursor.execute(
            f"SELECT id FROM {table} WHERE workspace_id = %s AND is_bot",  # noqa: S608
            [workspace.pk],
        )
        bots = np.array(cursor.fetchall(), dtype=np.int64).reshape(-1)
    return pa.table(
        {
            "member_id": pa.array(ids, pa.int64()),
            "is_bot": pa.array(np.isin(ids, bots), pa.bool_()),
        }
    )


def _channels_table(workspace: Workspace) -> pa.Table:
    rows = list(
        Channel.objects.filter(workspace=workspace)
        .values_list("id", "platform", "name")
        .order_by("id")
    )
    return pa.table(
        {
            "channel_id": pa.array([r[0] for r in rows], pa.int64()),
            "platform": pa.array([r[1] for r in rows], pa.string()),
            "name": pa.array([r[2] for r in rows], pa.string()),
        }
    )


def _write_atomically(table: pa.Table, path: Path) -> None:
    # A reader never sees a half-written file: write aside, then rename.
    tmp = path.with_suffix(f".{os.getpid()}.tmp")
    pq.write_table(table, tmp, compression="zstd")
    tmp.replace(path)
