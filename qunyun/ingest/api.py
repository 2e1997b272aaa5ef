"""Push API: other systems send activities in batches (idempotent by external id)."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja import Router, Status

from qunyun.ingest.batches import batch_records
from qunyun.ingest.jobs import REFRESH_AFTER_ACTIVITIES
from qunyun.ingest.pipeline import do_import_records
from qunyun.ingest.schemas import ActivityBatchIn, ErrorOut, ImportRunOut
from qunyun.scheduling.actions import do_request_run_soon
from qunyun.workspaces.api_auth import operation_docs, workspace_for_api
from qunyun.workspaces.pages import signed_in_user
from qunyun.workspaces.permissions import Capability

router = Router(tags=["ingest"])


@router.post(
    "/{slug}/activities",
    response={200: ImportRunOut, 400: ErrorOut, 403: ErrorOut},
    summary="Push a batch of activities",
    openapi_extra=operation_docs(Capability.IMPORT),
    description=(
        "Up to 10,000 canonical activities per call. Activities already present (same "
        "source, channel and external_id) are skipped, so a batch can be re-sent safely. "
        "The batch is all-or-nothing: one invalid item rejects it with a message that names "
        "the item and the field."
    ),
)
def push_activities(request: HttpRequest, slug: str, batch: ActivityBatchIn) -> Any:
    workspace, _role = workspace_for_api(request, slug, Capability.IMPORT)
    # An item the importer refuses raises ImportFormatError: the API answers it (400).
    records = batch_records(item.model_dump(exclude_none=True) for item in batch.activities)
    run = do_import_records(
        workspace,
        records,
        file_name=_("API push"),
        format_name="api",
        acting_user=signed_in_user(request),
    )
    if run.activities_added or run.members_added:
        # Duplicates, snapshot, segments, scores and churn risk follow as after an import
        # of a file — once a minute at most, however many batches arrive.
        do_request_run_soon(REFRESH_AFTER_ACTIVITIES.name, workspace)
    return Status(200, run)
