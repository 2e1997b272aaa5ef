"""Jobs the scheduler's tests run: one that counts, one that fails."""

from __future__ import annotations

from django_tasks import task

from qunyun.scheduling.jobs import Job, register_job


@task()
def count_workspace(workspace_id: int, note: str = "") -> dict[str, object]:
    return {"workspace_id": workspace_id, "note": note}


@task()
def always_fails() -> None:
    raise RuntimeError("the forum answered 503")


COUNT = register_job(Job("test_count", "count", count_workspace, per_workspace=True))
FAILS = register_job(Job("test_fails", "fails", always_fails))
