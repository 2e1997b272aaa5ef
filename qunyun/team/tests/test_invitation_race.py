"""Of several people opening one invitation link at the same moment, exactly one joins:
the link is claimed by one conditional update (real threads, each on its own database
connection, released together). On PostgreSQL: SQLite's in-memory test database (shared
cache) refuses a second writer at once ("database table is locked") instead of waiting as
the file database of an installation does."""

from __future__ import annotations

import threading
from typing import Any

import pytest
from django.contrib.auth.models import User
from django.db import connection
from django.utils import translation

from qunyun.team.actions import do_accept_invitation, do_invite_teammate
from qunyun.team.errors import InvitationClosed
from qunyun.team.models import Invitation
from qunyun.workspaces.models import Role, WorkspaceMembership

pytestmark = pytest.mark.django_db(transaction=True)

PEOPLE = 6


def test_of_people_opening_one_link_together_exactly_one_joins(workspace: Any, alice: Any) -> None:
    if connection.vendor != "postgresql":
        pytest.skip("the PostgreSQL run of the suite covers this (concurrent writers)")
    invitation, secret = do_invite_teammate(workspace, Role.OPERATOR, acting_user=alice)
    people = [
        User.objects.create_user(f"guest{n}", password="guest-password-1") for n in range(PEOPLE)
    ]
    start = threading.Barrier(PEOPLE)
    joined: list[str] = []
    refused: list[str] = []
    failures: list[BaseException] = []

    def open_link(user: User) -> None:
        try:
            start.wait(timeout=30)
            with translation.override("en"):
                do_accept_invitation(secret, user)
            joined.append(user.username)
        except InvitationClosed as closed:
            refused.append(str(closed))
        except BaseException as error:  # anything else fails the test below
            failures.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=open_link, args=(user,)) for user in people]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    assert failures == []
    assert len(joined) == 1 and len(refused) == PEOPLE - 1
    assert all("already been used" in reason for reason in refused), refused
    members = WorkspaceMembership.objects.filter(workspace=workspace, user__in=people)
    assert [m.user.username for m in members] == joined
    invitation.refresh_from_db()
    assert invitation.used_by is not None and invitation.used_by.username == joined[0]
    assert Invitation.objects.filter(pk=invitation.pk, used_at__isnull=False).count() == 1
