"""Imports that run in the background (Django's Tasks API), with progress for the page."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

from django.core.cache import cache
from django_tasks import task

from qunyun.ingest.after_import import do_after_import
from qunyun.ingest.errors import ImportFormatError
from qunyun.ingest.models import ImportRun
from qunyun.ingest.pipeline import do_import_records
from qunyun.ingest.platforms import get_parser
from qunyun.ingest.position import ReadPosition
from qunyun.members.suggestions import do_find_duplicate_members

PROGRESS_EVERY_SECONDS = 0.5


def progress_key(run_id: int) -> str:
    return f"import-progress:{run_id}"


def import_progress(run: ImportRun) -> dict[str, Any]:
    """What the import page shows while ``run`` works: records so far, rate, elapsed."""
    return cache.get(progress_key(run.pk)) or {"records": 0, "rate": 0.0, "elapsed": 0.0}


class _Reporter:
    def __init__(self, run_id: int, source: Path | None = None) -> None:
        self.key = progress_key(run_id)
        self.started = time.perf_counter()
        self.last = 0.0
        self.position = ReadPosition(source) if source is not None else None

    def __call__(self, records: int) -> None:
        now = time.perf_counter()
        if now - self.last < PROGRESS_EVERY_SECONDS:
            return
        self.last = now
        elapsed = now - self.started
        progress: dict[str, Any] = {
            "records": records,
            "rate": records / elapsed if elapsed else 0.0,
            "elapsed": elapsed,
        }
        position = self.position() if self.position is not None else None
        if position:  # known and past the start, so the file has a size
            share = position / self.position.size  # type: ignore[union-attr,operator]
            progress["percent"] = round(100 * share, 1)
            progress["eta"] = elapsed * (1 - share) / share
        cache.set(self.key, progress, timeout=3600)


@task()
def run_import(import_run_id: int) -> str:
    """Import the file stored for ``import_run_id``; the run records the outcome."""
    run = ImportRun.objects.select_related("workspace", "started_by").get(pk=import_run_id)
    path = Path(run.stored_file)
    try:
        parse = get_parser(run.format)
        do_import_records(
            run.workspace,
            parse(path),
            file_name=run.file_name,
            format_name=run.format,
            acting_user=run.started_by,
            progress=_Reporter(run.pk, path),
            run=run,
        )
        do_after_import(run.workspace, acting_user=run.started_by)
    except ImportFormatError:
        return ImportRun.Status.FAILED  # recorded on the run by the pipeline
    finally:
        cache.delete(progress_key(run.pk))
        _remove_upload(path)
    return ImportRun.Status.SUCCEEDED


def _remove_upload(path: Path) -> None:
    # The export holds members' personal data: keep it no longer than the import.
    if path.is_file():
        path.unlink()
    if path.parent.exists() and not any(path.parent.iterdir()):
        path.parent.rmdir()


@task()
def find_duplicates(workspace_id: int) -> int:
    """Merge on strong evidence and refresh the suggestions after new activities arrive."""
    from qunyun.workspaces.models import Workspace

    workspace = Workspace.objects.get(pk=workspace_id)
    return do_find_duplicate_members(workspace).suggested


def api_key_cache_key(run_id: int) -> str:
    return f"discourse-api-key:{run_id}"


@task()
def sync_discourse(import_run_id: int, api_username: str) -> str:
    """Sync the forum recorded on the run; the API key waits in the cache, not the queue."""
    from qunyun.ingest.platforms.discourse.client import DiscourseClient, DiscourseSyncError
    from qunyun.ingest.sync import do_sync_discourse

    run = ImportRun.objects.select_related("workspace", "started_by").get(pk=import_run_id)
    api_key = cache.get(api_key_cache_key(run.pk)) or ""
    cache.delete(api_key_cache_key(run.pk))
    try:
        client = DiscourseClient(run.file_name, api_key, api_username)
        do_sync_discourse(
            run.workspace,
            client,
            url=run.file_name,
            acting_user=run.started_by,
            progress=_Reporter(run.pk),
            run=run,
        )
        do_after_import(run.workspace, acting_user=run.started_by)
    except DiscourseSyncError as error:
        if run.status != ImportRun.Status.FAILED:  # failed before the import began
            run.status = ImportRun.Status.FAILED
            run.errors = [{"message": str(error)}]
            run.save(update_fields=["status", "errors"])
        return ImportRun.Status.FAILED
    except ImportFormatError:
        return ImportRun.Status.FAILED
    finally:
        cache.delete(progress_key(run.pk))
    return ImportRun.Status.SUCCEEDED
