"""Jobs the scheduler's tests run: one that counts, one that fails; a task that takes its time."""

from __future__ import annotations

import time

from django_tasks import task

from qunyun.scheduling.jobs import Job, register_job


@task()
def count_workspace(workspace_id: int, note: str = "") -> dict[str, object]:
    return {"workspace_id": workspace_id, "note": note}


@task()
def take_time(seconds: float) -> str:
    """A task that is still running when the test takes the database's write lock."""
    time.sleep(seconds)
    return "done"


@task()
def always_fails() -> None:
    raise RuntimeError("the forum answered 503")


COUNT = register_job(Job("test_count", "count", count_workspace, per_workspace=True))
FAILS = register_job(Job("test_fails", "fails", always_fails))
