"""How an import talks to the embedded SQLite store while it loads many rows.

An import is one transaction (all or nothing). On SQLite it holds the single write lock
for its whole length, so a second import waits for it instead of failing; it gets a
larger page cache; and a large load fills the activity table's secondary indexes once,
at the end, instead of row by row (:class:`DeferredIndexes`). On PostgreSQL none of this
applies and each of these is a no-op.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from django.conf import settings
from django.db import connection

#: An import that has added at least this many rows, and more than the table held
#: before, builds the table's secondary indexes after its rows instead of with them.
DEFER_INDEXES_AFTER = 50_000


@contextmanager
def wait_for_other_imports() -> Iterator[None]:
    """On SQLite an import holds the one write lock for its whole transaction; a second
    import started meanwhile waits for it (up to ``settings.IMPORT_LOCK_WAIT_SECONDS``, an
    hour by default) instead of failing after the usual ``SQLITE_BUSY_TIMEOUT_SECONDS``."""
    if connection.vendor != "sqlite" or connection.in_atomic_block:
        yield
        return
    with sqlite_pragma("busy_timeout", 1000 * settings.IMPORT_LOCK_WAIT_SECONDS):
        yield


@contextmanager
def bulk_load_cache() -> Iterator[None]:
    """A larger SQLite page cache for the length of an import (this connection only).

    The indexes of the activity table are updated in random order; once they outgrow the
    cache, each insert reads pages back and spills dirty ones to the write-ahead log
    before commit (``settings.IMPORT_CACHE_MIB``; SQLite's default is 2 MiB).
    """
    if connection.vendor != "sqlite":
        yield
        return
    with sqlite_pragma("cache_size", -1024 * settings.IMPORT_CACHE_MIB):
        yield


@contextmanager
def sqlite_pragma(name: str, value: int) -> Iterator[None]:
    """Set the integer PRAGMA ``name`` on this connection, and put it back afterwards."""
    with connection.cursor() as cursor:
        cursor.execute(f"PRAGMA {name}")
        (before,) = cursor.fetchone()
        cursor.execute(f"PRAGMA {name} = {value:d}")
    try:
        yield
    finally:
        with connection.cursor() as cursor:
            cursor.execute(f"PRAGMA {name} = {int(before):d}")


class DeferredIndexes:
    """Drops a table's secondary indexes during a large load and builds them again after.

    Inserting a row into an index is a descent into a B-tree at a random place; building
    the index afterwards is one sort of all the rows, several times cheaper per row once
    the load is at least as large as what the table held. Only SQLite, and only inside
    the import's transaction: SQLite's schema changes are transactional, so a failed or
    killed import rolls the indexes back with its rows, and other connections never see
    the table without them (readers see the last commit; writers wait for the lock).
    The unique indexes stay: they are what makes a re-import skip rows it already has.
    """

    def __init__(self, table: str) -> None:
        self.table = table
        self.dropped: list[str] = []  # the CREATE INDEX statements to run again
        self.enabled = connection.vendor == "sqlite" and settings.IMPORT_DEFER_INDEXES
        self.rows_before: int | None = None

    def written(self, added: int) -> None:
        """Note that the load has added ``added`` rows so far; drop the indexes when due."""
        if not self.enabled or self.dropped or added < DEFER_INDEXES_AFTER:
            return
        with connection.cursor() as cursor:
            if self.rows_before is None:
                # The largest id bounds the rows the table held (cheap: the end of a B-tree).
                cursor.execute(f'SELECT COALESCE(MAX(id), 0) FROM "{self.table}"')  # noqa: S608
                self.rows_before = int(cursor.fetchone()[0]) - added
            if added <= self.rows_before:
                return
            cursor.execute(
                "SELECT name, sql FROM sqlite_master WHERE type = 'index' AND tbl_name = %s "
                "AND sql IS NOT NULL ORDER BY name",
                [self.table],
            )
            indexes = [
                (name, sql)
                for name, sql in cursor.fetchall()
                if not sql.lstrip().upper().startswith("CREATE UNIQUE")
            ]
            for name, sql in indexes:
                cursor.execute(f'DROP INDEX "{name}"')
                self.dropped.append(sql)
        self.enabled = False

    def restore(self) -> None:
        """Build the dropped indexes again (inside the same transaction)."""
        with connection.cursor() as cursor:
            for sql in self.dropped:
                cursor.execute(sql)
        self.dropped = []
