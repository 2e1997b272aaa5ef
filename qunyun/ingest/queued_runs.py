"""The imports the web queues, run by the worker: the import, what follows it, and the
bookkeeping of how it ended.

The tasks in :mod:`qunyun.ingest.tasks` only load the run and call these. A failure the
pipeline saw is already recorded on the run; a forum that could not be read before the
import began is recorded here. Either way the progress is cleared and an uploaded
export, which holds members' personal data, is deleted once the run has ended.
"""

from __future__ import annotations

from pathlib import Path

from django.core.cache import cache

from qunyun.ingest.after_import import do_after_import
from qunyun.ingest.errors import ImportFormatError
from qunyun.ingest.models import ImportRun
from qunyun.ingest.pipeline import do_import_records
from qunyun.ingest.platforms import get_parser
from qunyun.ingest.run_progress import RunProgress


def api_key_cache_key(run_id: int) -> str:
    """Where the forum's API key waits for the worker (never in the queue or the run)."""
    return f"discourse-api-key:{run_id}"


def do_run_queued_import(run: ImportRun) -> str:
    """Import the file stored for ``run`` and what follows it; return the run's status.

    The upload is deleted afterwards, whatever the outcome.
    """
    path = Path(run.stored_file)
    progress = RunProgress(run.pk, path)
    try:
        parse = get_parser(run.format)
        do_import_records(
            run.workspace,
            parse(path),
            file_name=run.file_name,
            format_name=run.format,
            acting_user=run.started_by,
            progress=progress,
            run=run,
        )
        do_after_import(run.workspace, acting_user=run.started_by)
    except ImportFormatError:
        return ImportRun.Status.FAILED  # recorded on the run by the pipeline
    finally:
        progress.clear()
        _remove_upload(path)
    return ImportRun.Status.SUCCEEDED


def do_run_queued_sync(run: ImportRun, api_username: str) -> str:
    """Sync the forum recorded on ``run`` (its URL is the run's file name) and what
    follows it; return the run's status.

    The API key is taken out of the cache once; a forum that cannot be read is recorded
    on the run as failed.
    """
    from qunyun.ingest.platforms.discourse.client import DiscourseClient, DiscourseSyncError
    from qunyun.ingest.sync import do_sync_discourse

    api_key = cache.get(api_key_cache_key(run.pk)) or ""
    cache.delete(api_key_cache_key(run.pk))
    progress = RunProgress(run.pk)
    try:
        client = DiscourseClient(run.file_name, api_key, api_username)
        do_sync_discourse(
            run.workspace,
            client,
            url=run.file_name,
            acting_user=run.started_by,
            progress=progress,
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
        progress.clear()
    return ImportRun.Status.SUCCEEDED


def _remove_upload(path: Path) -> None:
    # The export holds members' personal data: keep it no longer than the import.
    if path.is_file():
        path.unlink()
    if path.parent.exists() and not any(path.parent.iterdir()):
        path.parent.rmdir()
