"""Back up and restore the whole ORM database (``qunyun backup`` / ``qunyun restore``).

A backup is one zip file: ``manifest.json`` (format, database vendor, the applied
migrations, row counts) and one JSON-lines file per table (``tables/<table>.jsonl``), each
row the model's concrete columns in order. It is written from a single read transaction
(SQLite: a deferred read transaction, which in WAL mode sees one consistent state while
the server keeps writing; PostgreSQL: REPEATABLE READ, READ ONLY), to a temporary file
renamed into place at the end, so a backup is never half-written.

Values go through the fields' own conversions, so a SQLite backup restores into
PostgreSQL and back. A restore replaces every table's rows inside ONE transaction: if any
line is bad, or the database refuses a row, the transaction rolls back and the data that
was there stays untouched. The analytics snapshot is derived data: it is not in the
backup and is rebuilt from the restored rows on the next read.
"""

from __future__ import annotations

import json
import os
import shutil
import time
import zipfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import orjson
from django.apps import apps
from django.conf import settings
from django.core.management.color import no_style
from django.db import connection, models, transaction
from django.db.migrations.recorder import MigrationRecorder
from django.utils.translation import gettext as _

from qunyun.audit.actions import record_event
from qunyun.audit.events import AuditAction
from qunyun.errors import QunyunError

FORMAT = "qunyun-backup"
FORMAT_VERSION = 1
BATCH_ROWS = 2_000

Progress = Callable[[str, int], None]


class BackupError(QunyunError):
    """A backup file that cannot be restored (the message names file and place)."""

    code = "backup_unusable"
    http_status = 400


@dataclass
class BackupSummary:
    path: Path
    tables: int
    rows: int
    seconds: float


def backed_up_models() -> list[type[models.Model]]:
    """Every table Django manages here, many-to-many link tables included."""
    found: list[type[models.Model]] = []
    for model in apps.get_models(include_auto_created=True):
        if model._meta.managed and not model._meta.proxy:
            found.append(model)
    return sorted(found, key=lambda m: m._meta.db_table)


def _columns(model: type[models.Model]) -> list[models.Field]:
    return list(model._meta.concrete_fields)


def _applied_migrations() -> list[list[str]]:
    return sorted([app, name] for app, name in MigrationRecorder(connection).applied_migrations())


@contextmanager
def _consistent_read() -> Iterator[None]:
    """One read transaction that sees a single state of the database."""
    if connection.in_atomic_block:  # the caller's transaction already gives one state
        yield
        return
    if connection.vendor == "postgresql":
        with transaction.atomic():
            with connection.cursor() as cursor:
                cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
            yield
        return
    # SQLite runs Django's transactions as IMMEDIATE here (they take the write lock);
    # a backup must not block the server's writers, so read in a DEFERRED transaction.
    connection.ensure_connection()
    with connection.cursor() as cursor:
        cursor.execute("BEGIN DEFERRED")
        try:
            yield
        finally:
            cursor.execute("COMMIT")


def _encode(field: models.Field, value: Any) -> Any:
    if value is None:
        return None
    if isinstance(field, models.JSONField):
        return value  # already decoded by the ORM
    if isinstance(value, datetime):
        return value.astimezone(UTC).isoformat() if value.tzinfo else value.isoformat()
    if isinstance(value, (bytes, memoryview)):
        return bytes(value).hex()
    if isinstance(value, (int, float, str, bool)):
        return value
    return str(value)


def do_backup(target: Path, *, progress: Progress | None = None) -> BackupSummary:
    """Write a consistent backup of the whole database to ``target`` (a zip file)."""
    started = time.perf_counter()
    target = Path(target)
    target.parent.mkdir(parents=True, exist_ok=True)
    partial = target.with_name(target.name + ".partial")
    counts: dict[str, int] = {}
    model_list = backed_up_models()
    with _consistent_read(), zipfile.ZipFile(partial, "w", zipfile.ZIP_DEFLATED) as archive:
        for model in model_list:
            table = model._meta.db_table
            fields = _columns(model)
            names = [f.attname for f in fields]
            rows = 0
            with archive.open(f"tables/{table}.jsonl", "w", force_zip64=True) as out:
                query = model._base_manager.order_by("pk").values_list(*names)
                for values in query.iterator(chunk_size=BATCH_ROWS):
                    row = [_encode(f, v) for f, v in zip(fields, values, strict=True)]
                    out.write(orjson.dumps(row) + b"\n")
                    rows += 1
                    if progress is not None and rows % BATCH_ROWS == 0:
                        progress(table, rows)
            counts[table] = rows
            if progress is not None:
                progress(table, rows)
        manifest = {
            "format": FORMAT,
            "version": FORMAT_VERSION,
            "created_at": datetime.now(UTC).isoformat(),
            "vendor": connection.vendor,
            "migrations": _applied_migrations(),
            "tables": {
                m._meta.db_table: {
                    "model": m._meta.label,
                    "columns": [f.attname for f in _columns(m)],
                    "rows": counts[m._meta.db_table],
                }
                for m in model_list
            },
        }
        archive.writestr("manifest.json", json.dumps(manifest, indent=1, ensure_ascii=False))
    os.replace(partial, target)
    record_event(
        AuditAction.BACKUP_MADE, workspace=None, target=str(target)[:128], rows=sum(counts.values())
    )
    return BackupSummary(target, len(counts), sum(counts.values()), time.perf_counter() - started)


def read_manifest(source: Path) -> dict[str, Any]:
    """The manifest of a backup, checked against this installation; BackupError if unusable."""
    source = Path(source)
    if not source.is_file():
        raise BackupError(_("No such backup file: %(path)s") % {"path": source})
    try:
        with zipfile.ZipFile(source) as archive:
            manifest = json.loads(archive.read("manifest.json"))
    except (zipfile.BadZipFile, KeyError, ValueError, OSError, NotImplementedError) as error:
        raise BackupError(
            _("%(path)s is not a Qunyun backup (no readable manifest.json): %(error)s")
            % {"path": source, "error": error}
        ) from error
    if manifest.get("format") != FORMAT or manifest.get("version") != FORMAT_VERSION:
        raise BackupError(
            _("%(path)s is not a Qunyun backup of format version %(version)d.")
            % {"path": source, "version": FORMAT_VERSION}
        )
    ours = {tuple(m) for m in _applied_migrations()}
    theirs = {tuple(m) for m in manifest.get("migrations", [])}
    if ours != theirs:
        missing = sorted(theirs - ours)[:3]
        extra = sorted(ours - theirs)[:3]
        raise BackupError(
            _(
                "The backup was made with a different database schema: it has migrations "
                "this installation lacks (%(missing)s) or lacks some it has (%(extra)s). "
                "Restore it with the Qunyun version that made it."
            )
            % {
                "missing": ", ".join(".".join(m) for m in missing) or "-",
                "extra": ", ".join(".".join(m) for m in extra) or "-",
            }
        )
    return manifest


def do_restore(source: Path, *, progress: Progress | None = None) -> BackupSummary:
    """Replace the whole database with the backup at ``source``, all or nothing."""
    started = time.perf_counter()
    manifest = read_manifest(source)
    by_table = {m._meta.db_table: m for m in backed_up_models()}
    unknown = sorted(set(manifest["tables"]) - set(by_table))
    if unknown:
        raise BackupError(
            _("The backup holds tables this installation does not know: %(tables)s")
            % {"tables": ", ".join(unknown)}
        )
    total = 0
    with zipfile.ZipFile(source) as archive, transaction.atomic():
        quote = connection.ops.quote_name
        with connection.cursor() as cursor:
            if connection.vendor == "postgresql":
                names = ", ".join(quote(t) for t in by_table)
                # TRUNCATE refuses tables with deferred checks pending in this transaction:
                # run those checks now, then defer again so rows may come in any order.
                cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
                cursor.execute(f"TRUNCATE {names}")  # transactional on PostgreSQL
                cursor.execute("SET CONSTRAINTS ALL DEFERRED")
            else:
                for table in by_table:
                    cursor.execute(f"DELETE FROM {quote(table)}")  # noqa: S608
        for table, info in manifest["tables"].items():
            model = by_table[table]
            fields_by_name = {f.attname: f for f in _columns(model)}
            missing = [c for c in info["columns"] if c not in fields_by_name]
            if missing:
                raise BackupError(
                    _("tables/%(table)s.jsonl: unknown columns %(columns)s")
                    % {"table": table, "columns": ", ".join(missing)}
                )
            fields = [fields_by_name[c] for c in info["columns"]]
            total += _restore_table(archive, table, fields, info["rows"], progress)
        _reset_sequences(list(by_table.values()))
        record_event(
            AuditAction.BACKUP_RESTORED,
            workspace=None,
            target=str(source)[:128],
            rows=total,
            made_at=manifest["created_at"],
        )
    _forget_snapshots()
    seconds = time.perf_counter() - started
    return BackupSummary(Path(source), len(manifest["tables"]), total, seconds)


def _restore_table(
    archive: zipfile.ZipFile,
    table: str,
    fields: list[models.Field],
    expected: int,
    progress: Progress | None,
) -> int:
    quote = connection.ops.quote_name
    columns = ", ".join(quote(f.column or f.attname) for f in fields)
    marks = ", ".join(["%s"] * len(fields))
    sql = f"INSERT INTO {quote(table)} ({columns}) VALUES ({marks})"  # noqa: S608
    member = f"tables/{table}.jsonl"
    rows = 0
    batch: list[list[Any]] = []
    with archive.open(member) as lines, connection.cursor() as cursor:
        for number, line in enumerate(lines, start=1):
            try:
                values = orjson.loads(line)
                if not isinstance(values, list) or len(values) != len(fields):
                    raise ValueError(_("expected %(n)d values") % {"n": len(fields)})
                batch.append([_decode(f, v) for f, v in zip(fields, values, strict=True)])
            except (ValueError, TypeError, orjson.JSONDecodeError) as error:
                raise BackupError(
                    _("%(file)s, line %(line)d: %(error)s; nothing was restored.")
                    % {"file": member, "line": number, "error": error}
                ) from error
            rows += 1
            if len(batch) >= BATCH_ROWS:
                cursor.executemany(sql, batch)
                batch.clear()
                if progress is not None:
                    progress(table, rows)
        if batch:
            cursor.executemany(sql, batch)
    if rows != expected:
        raise BackupError(
            _("%(file)s has %(found)d rows, the manifest says %(expected)d; nothing was restored.")
            % {"file": member, "found": rows, "expected": expected}
        )
    if progress is not None:
        progress(table, rows)
    return rows


def _decode(field: models.Field, value: Any) -> Any:
    if value is None:
        return None
    if isinstance(field, models.BinaryField):
        value = bytes.fromhex(value)
    elif not isinstance(field, models.JSONField):
        value = field.to_python(value)
    return field.get_db_prep_save(value, connection)


def _reset_sequences(model_list: list[type[models.Model]]) -> None:
    statements = connection.ops.sequence_reset_sql(no_style(), model_list)
    if statements:
        with connection.cursor() as cursor:
            for statement in statements:
                cursor.execute(statement)


def _forget_snapshots() -> None:
    """The snapshot belongs to the data that was there: drop it; it is rebuilt on demand."""
    folder = Path(settings.SNAPSHOT_DIR)
    if folder.exists():
        shutil.rmtree(folder)
