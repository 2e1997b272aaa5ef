"""REST endpoints for workspaces, their KPIs and members (scoped by the access helper)."""

from __future__ import annotations

from django.http import HttpRequest
from ninja import Router
from ninja.pagination import LimitOffsetPagination, paginate

from qunyun.analytics.selectors import workspace_kpis
from qunyun.dashboard.schemas import KpisOut, MemberOut, WorkspaceOut
from qunyun.members.selectors import MemberFilter, get_member, member_list
from qunyun.workspaces.access import workspaces_for_user
from qunyun.workspaces.api_auth import operation_docs, workspace_for_api
from qunyun.workspaces.permissions import Capability

router = Router(tags=["workspaces"])
#: Each operation names the capability it needs (qunyun.workspaces.permissions) and the
#: errors it may answer with; the permission tests read them from the OpenAPI document.
VIEW = operation_docs(Capability.VIEW)


@router.get(
    "",
    response=list[WorkspaceOut],
    summary="Workspaces you belong to",
    openapi_extra=operation_docs(None),
)
def list_workspaces(request: HttpRequest):  # type: ignore[no-untyped-def]
    token = getattr(request, "api_token", None)
    if token is not None:
        return [token.workspace]
    return workspaces_for_user(request.user)


@router.get(
    "/{slug}/kpis",
    response=KpisOut,
    summary="Headline KPIs and the daily series",
    openapi_extra=VIEW,
)
def kpis(request: HttpRequest, slug: str):  # type: ignore[no-untyped-def]
    return workspace_kpis(workspace_for_api(request, slug)[0])


@router.get(
    "/{slug}/members",
    response=list[MemberOut],
    summary="Members, searchable",
    openapi_extra=VIEW,
)
@paginate(LimitOffsetPagination)
def members(  # type: ignore[no-untyped-def]
    request: HttpRequest, slug: str, q: str = "", tag: str = "", sort: str = "-last_seen"
):
    workspace = workspace_for_api(request, slug)[0]
    return member_list(
        workspace,
        MemberFilter(query=q, tag=tag, sort=sort),  # an unknown sort falls back to the default
    )


@router.get(
    "/{slug}/members/{member_id}",
    response=MemberOut,
    summary="One member",
    openapi_extra=VIEW,
)
def member(request: HttpRequest, slug: str, member_id: int):  # type: ignore[no-untyped-def]
    return get_member(workspace_for_api(request, slug)[0], member_id)
