"""REST endpoints for members' privacy rights: a member's data and their erasure, for
roles holding the ``privacy`` capability (owners and admins; docs/security.md)."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from ninja import Router

from qunyun.members.selectors import get_member
from qunyun.privacy.actions import do_erase_member, do_export_member
from qunyun.privacy.schemas import ErasureOut, MemberDataOut
from qunyun.workspaces.api_auth import operation_docs, workspace_for_api
from qunyun.workspaces.pages import signed_in_user
from qunyun.workspaces.permissions import Capability

router = Router(tags=["privacy"])
PRIVACY = operation_docs(Capability.PRIVACY)


@router.get(
    "/{slug}/members/{member_id}/data",
    response=MemberDataOut,
    summary="Everything held about one member (access and portability request)",
    openapi_extra=PRIVACY,
    description="Audited as `member_data_exported` (docs/privacy.md).",
)
def export_member_data(request: HttpRequest, slug: str, member_id: int) -> Any:
    workspace, _role = workspace_for_api(request, slug, Capability.PRIVACY)
    member = get_member(workspace, member_id)
    return do_export_member(workspace, member, acting_user=signed_in_user(request))


@router.post(
    "/{slug}/members/{member_id}/erasure",
    response=ErasureOut,
    summary="Erase one member for good (erasure request)",
    openapi_extra=PRIVACY,
    description=(
        "Deletes the member, their identities and activities, redacts them in the audit "
        "log and rebuilds the analytics without them; audited as `member_erased`."
    ),
)
def erase_member_data(request: HttpRequest, slug: str, member_id: int) -> Any:
    workspace, _role = workspace_for_api(request, slug, Capability.PRIVACY)
    member = get_member(workspace, member_id)
    return do_erase_member(workspace, member, acting_user=signed_in_user(request))
