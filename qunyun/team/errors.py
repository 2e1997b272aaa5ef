"""What an owner, an admin or an invitee can get wrong with the team (the message says
what and how to go on)."""

from __future__ import annotations

from qunyun.errors import QunyunError


class TeamError(QunyunError):
    """A change the team's rules refuse: the last owner, the owner role, a stranger."""

    code = "team_refused"
    http_status = 400


class InvitationClosed(QunyunError):
    """An invitation link that no longer opens the team: unknown, used, revoked or expired."""

    code = "invitation_closed"
    http_status = 410
