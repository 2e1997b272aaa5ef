"""Start imports from the web: store the upload, record the run, queue the work."""

from __future__ import annotations

import uuid
from pathlib import Path

from django.conf import settings
from django.contrib.auth.models import User
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.utils.text import get_valid_filename

from qunyun.audit.actions import record_event
from qunyun.audit.events import AuditAction
from qunyun.ingest.models import ImportRun
from qunyun.ingest.queued_runs import api_key_cache_key
from qunyun.workspaces.models import Workspace


def do_queue_uploaded_import(
    workspace: Workspace, upload: UploadedFile, *, format_name: str, acting_user: User | None
) -> ImportRun:
    """Save ``upload`` under the data dir and queue its import; return the queued run."""
    from qunyun.ingest.tasks import run_import

    folder = Path(settings.UPLOAD_DIR) / uuid.uuid4().hex
    folder.mkdir(parents=True)
    # The operator's file name is untrusted: keep a safe version for the path only.
    safe_name = get_valid_filename(Path(upload.name or "export").name)[:200] or "export"
    path = folder / safe_name
    with path.open("wb") as out:
        for chunk in upload.chunks():
            out.write(chunk)
    with transaction.atomic():
        run = ImportRun.objects.create(
            workspace=workspace,
            file_name=(upload.name or safe_name)[:1024],
            format=format_name,
            status=ImportRun.Status.QUEUED,
            started_by=acting_user,
            stored_file=str(path),
        )
        record_event(
            AuditAction.IMPORT_STARTED,
            workspace=workspace,
            actor=acting_user,
            target=f"import:{run.pk}",
            format=format_name,
            file=run.file_name,
            size=upload.size,
        )
        transaction.on_commit(lambda: run_import.enqueue(run.pk))
    return run


def do_queue_discourse_sync(
    workspace: Workspace, *, url: str, api_key: str, api_username: str, acting_user: User | None
) -> ImportRun:
    """Queue an incremental sync of the forum at ``url``; return the queued run.

    The API key is handed to the worker through the cache for at most an hour, so that it
    is never written to the task queue or the import record.
    """
    from django.core.cache import cache

    from qunyun.ingest.tasks import sync_discourse

    with transaction.atomic():
        run = ImportRun.objects.create(
            workspace=workspace,
            file_name=url[:1024],
            format="discourse",
            status=ImportRun.Status.QUEUED,
            started_by=acting_user,
        )
        record_event(
            AuditAction.IMPORT_STARTED,
            workspace=workspace,
            actor=acting_user,
            target=f"import:{run.pk}",
            format="discourse",
            url=url,
        )
        cache.set(api_key_cache_key(run.pk), api_key, timeout=3600)
        transaction.on_commit(lambda: sync_discourse.enqueue(run.pk, api_username))
    return run
