"""Whether this installation's database is set up: the migrations it still lacks.

The CLI asks before any command that needs the tables (``qunyun/__main__.py``), ``serve``
before it starts, ``restore`` before it fills a new machine's database, ``status`` to
report it. It imports nothing of Qunyun (the lowest layer).
"""

from __future__ import annotations

from django.db import DEFAULT_DB_ALIAS, connections
from django.db.migrations.executor import MigrationExecutor


def pending_migrations(alias: str = DEFAULT_DB_ALIAS) -> int:
    """How many migrations are not applied yet (all of them on a new data dir)."""
    executor = MigrationExecutor(connections[alias])
    return len(executor.migration_plan(executor.loader.graph.leaf_nodes()))
