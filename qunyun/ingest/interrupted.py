"""Import runs whose process was killed: marked interrupted, and offered again.

An import is one transaction, so a killed one wrote nothing — but its run stayed
"running" forever. At the next start of ``serve``, a worker or ``qunyun status`` such a
run is marked interrupted (:func:`do_mark_interrupted_imports`, a startup check); the
run's page says so and, when the uploaded file is still there, offers the re-run.
"""

from __future__ import annotations

from pathlib import Path

from django.contrib.auth.models import User
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from qunyun.audit.actions import record_event
from qunyun.audit.events import AuditAction
from qunyun.ingest.models import ImportRun
from qunyun.scheduling.startup import process_is_gone


def do_mark_interrupted_imports() -> int:
    """Mark the runs left running by a process of this machine that is gone."""
    marked = 0
    for run in ImportRun.objects.filter(status=ImportRun.Status.RUNNING).exclude(pid=None):
        if process_is_gone(run.host, run.pid):
            message = _(
                "Interrupted: the process running this import ended before it finished "
                "(killed, or the machine stopped). Nothing of it was written."
            )
            marked += ImportRun.objects.filter(pk=run.pk, status=ImportRun.Status.RUNNING).update(
                status=ImportRun.Status.INTERRUPTED,
                finished_at=timezone.now(),
                errors=[{"message": message}],
            )
    return marked


def can_rerun(run: ImportRun) -> bool:
    return (
        run.status == ImportRun.Status.INTERRUPTED
        and bool(run.stored_file)
        and Path(run.stored_file).is_file()
    )


def do_rerun_import(run: ImportRun, *, acting_user: User | None) -> ImportRun:
    """Queue the interrupted ``run``'s stored file again, as a new run."""
    from qunyun.ingest.tasks import run_import

    with transaction.atomic():
        again = ImportRun.objects.create(
            workspace=run.workspace,
            file_name=run.file_name,
            format=run.format,
            status=ImportRun.Status.QUEUED,
            started_by=acting_user,
            stored_file=run.stored_file,
        )
        ImportRun.objects.filter(pk=run.pk).update(stored_file="")
        record_event(
            AuditAction.IMPORT_STARTED,
            workspace=run.workspace,
            actor=acting_user,
            target=f"import:{again.pk}",
            format=run.format,
            file=run.file_name,
            rerun_of=run.pk,
        )
        transaction.on_commit(lambda: run_import.enqueue(again.pk))
    return again
