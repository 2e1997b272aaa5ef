"""Downloads of the dashboards' tables as CSV or XLSX: the whole filtered list.

The same filters as the page, parsed the same way; the ``export`` capability
(docs/security.md: analysts may export, moderators may not; outsiders get a 404); one audit
event each.
"""

from __future__ import annotations

import tempfile
from collections.abc import Iterator
from dataclasses import asdict
from typing import Any, cast

from django.http import (
    FileResponse,
    Http404,
    HttpRequest,
    HttpResponse,
    HttpResponseBadRequest,
    StreamingHttpResponse,
)
from django.http.response import HttpResponseBase
from django.utils import timezone, translation

from qunyun.analytics.kpi_types import Retention
from qunyun.analytics.selectors import workspace_kpis
from qunyun.dashboard.actions import do_record_export
from qunyun.dashboard.filters import InvalidFilter, parse_member_filter, parse_overview_filter
from qunyun.dashboard.tables import OVERVIEW_TABLES, Table, member_table
from qunyun.members.selectors import member_list
from qunyun.spreadsheets import EXPORT_FORMATS, csv_chunks, write_xlsx
from qunyun.workspaces.models import Workspace
from qunyun.workspaces.pages import WorkspaceRequest, workspace_page
from qunyun.workspaces.permissions import Capability

XLSX_CONTENT_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
#: The retention table of a workspace without activity: no cohorts and no week columns
#: (every other section of its KPIs is empty already).
NO_ACTIVITY_RETENTION: Retention = {"weeks": 0, "cohorts": []}


@workspace_page(capability=Capability.EXPORT)
def export_table(
    request: WorkspaceRequest, workspace: Workspace, table: str, fmt: str
) -> HttpResponse:
    if fmt not in EXPORT_FORMATS or (table != "members" and table not in OVERVIEW_TABLES):
        raise Http404("export")
    try:
        export, filters, rows = _table(workspace, table, request)
    except InvalidFilter as exc:
        return HttpResponseBadRequest(str(exc), content_type="text/plain; charset=utf-8")
    do_record_export(
        workspace,
        table=table,
        file_format=fmt,
        filters=filters,
        rows=rows,
        acting_user=request.user,
    )
    file_name = f"{workspace.slug}-{export.name}-{timezone.localdate().isoformat()}.{fmt}"
    response: HttpResponseBase
    if fmt == "csv":
        chunks = csv_chunks(export.columns, export.rows)
        response = StreamingHttpResponse(_as_now(chunks), content_type="text/csv; charset=utf-8")
        response["Content-Disposition"] = f'attachment; filename="{file_name}"'
    else:
        # openpyxl's write-only mode spools rows to disk; the finished file is streamed.
        spool = tempfile.TemporaryFile()  # noqa: SIM115 — FileResponse closes it when sent
        write_xlsx(export.columns, export.rows, spool, title=str(export.title))
        spool.seek(0)
        response = FileResponse(
            spool, as_attachment=True, filename=file_name, content_type=XLSX_CONTENT_TYPE
        )
    # A download is still a response; workspace_page's type names the common case.
    return cast(HttpResponse, response)


def _as_now(chunks: Iterator[bytes]) -> Iterator[bytes]:
    """``chunks``, produced in the language and time zone active now, not at send time.

    A streamed body is generated after the view (and its time-zone override) returned.
    """
    language, zone = translation.get_language(), timezone.get_current_timezone()

    def produce() -> Iterator[bytes]:
        with translation.override(language), timezone.override(zone):
            yield from chunks

    return produce()


def _table(
    workspace: Workspace, table: str, request: HttpRequest
) -> tuple[Table, dict[str, Any], int]:
    """The table to export, the filters it was cut with, and how many rows it has."""
    if table == "members":
        member_filter = parse_member_filter(workspace, request.GET)
        members = member_list(workspace, member_filter)
        return member_table(members), member_filter.as_query(), members.count()
    overview_filter = parse_overview_filter(workspace, request.GET)
    kpis = workspace_kpis(
        workspace, period=overview_filter.period, channel_id=overview_filter.channel_id
    )
    if kpis["as_of"] is None:
        kpis = {**kpis, "retention": NO_ACTIVITY_RETENTION}
    export = OVERVIEW_TABLES[table](workspace, kpis)
    if export.size is not None:  # rows read as they are written
        return export, asdict(overview_filter), export.size
    rows = list(export.rows)
    return (
        Table(export.name, export.title, export.columns, rows),
        asdict(overview_filter),
        len(rows),
    )
