"""REST endpoints for workspaces, their KPIs and members (scoped by the access helper)."""

# No ``from __future__ import annotations`` here: ninja reads the parameters' types from
# the signature of ``paginate``'s wrapper, whose module cannot resolve our names.

from django.http import HttpRequest
from ninja import Query, Router
from ninja.pagination import LimitOffsetPagination, paginate

from qunyun.analytics.selectors import workspace_kpis
from qunyun.dashboard.filters import member_filter
from qunyun.dashboard.schemas import ChannelOut, KpisOut, MemberOut, MemberQueryIn, WorkspaceOut
from qunyun.dashboard.selectors import workspace_channels
from qunyun.members.selectors import get_member, member_list
from qunyun.workspaces.access import workspaces_for_user
from qunyun.workspaces.api_auth import ERROR_RESPONSES, operation_docs, workspace_for_api
from qunyun.workspaces.permissions import Capability

router = Router(tags=["workspaces"])
#: Each operation names the capability it needs (qunyun.workspaces.permissions) and the
#: errors it may answer with; the permission tests read them from the OpenAPI document.
VIEW = operation_docs(Capability.VIEW)
#: The members list answers 400 too: a filter the schema cannot judge (dashboard/filters.py).
MEMBER_LIST = {
    **VIEW,
    "responses": {
        "400": {
            **ERROR_RESPONSES["422"],
            "description": "A filter that cannot be used here (code invalid_filter)",
        },
        **ERROR_RESPONSES,
    },
}


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
    "/{slug}/channels",
    response=list[ChannelOut],
    summary="Channels (the ids the members list filters by)",
    openapi_extra=VIEW,
)
def channels(request: HttpRequest, slug: str):  # type: ignore[no-untyped-def]
    return workspace_channels(workspace_for_api(request, slug)[0])


@router.get(
    "/{slug}/members",
    response=list[MemberOut],
    summary="Members with segment, score and churn risk, filtered as on the members page",
    description=(
        "The members page's list, one page at a time (limit and offset; count is the "
        "whole list's): the same filters, the same order, the same figures. A filter value "
        "that cannot be used answers 422 (its type or range) or 400 (a channel of another "
        "community; a time range that holds nothing), naming the parameter."
    ),
    openapi_extra=MEMBER_LIST,
)
@paginate(LimitOffsetPagination)
def members(  # type: ignore[no-untyped-def]
    request: HttpRequest, slug: str, filters: Query[MemberQueryIn]
):
    workspace = workspace_for_api(request, slug)[0]
    return member_list(workspace, member_filter(workspace, filters))


@router.get(
    "/{slug}/members/{member_id}",
    response=MemberOut,
    summary="One member, with the same fields as the list",
    openapi_extra=VIEW,
)
def member(request: HttpRequest, slug: str, member_id: int):  # type: ignore[no-untyped-def]
    return get_member(workspace_for_api(request, slug)[0], member_id)
