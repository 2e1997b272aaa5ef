"""The schedules page: the workspace's schedules and the installation's, their runs, and
the changes its owners (and, for the installation's, superusers) make there."""

from __future__ import annotations

from typing import Any

import pytest

from qunyun.audit.models import AuditEvent
from qunyun.scheduling.actions import do_install_default_schedules, do_request_run_soon
from qunyun.scheduling.models import Schedule, ScheduledRun
from qunyun.scheduling.running import do_run_scheduled
from qunyun.workspaces.models import Workspace

pytestmark = pytest.mark.django_db

URL = "/w/acme/schedules/"


def test_owners_see_runs_and_change_their_workspace_schedules_only(
    client: Any, alice: Any, workspace: Workspace, other_workspace: Workspace
) -> None:
    do_install_default_schedules()
    run = do_request_run_soon("refresh_after_activities", workspace)
    assert run is not None
    do_run_scheduled(run)
    do_request_run_soon("refresh_after_activities", other_workspace)
    client.force_login(alice)

    page = client.get(URL).content.decode()
    assert 'data-schedule="backup"' in page and 'data-schedule="retention_purge"' in page
    assert page.count('data-schedule="refresh_after_activities"') == 1  # not the rival's
    assert 'data-run-status="succeeded"' in page
    assert "Only a superuser changes the installation" in page

    backup = Schedule.objects.get(job="backup")
    refused = client.post(URL, {"schedule": backup.pk, "action": "off"}, follow=True)
    assert "Only a superuser" in refused.content.decode()
    assert Schedule.objects.get(pk=backup.pk).enabled

    own = Schedule.objects.get(workspace=workspace)
    client.post(URL, {"schedule": own.pk, "action": "run"})
    assert ScheduledRun.objects.filter(schedule=own, requested=True).count() == 1
    rival = Schedule.objects.get(workspace=other_workspace)
    assert client.post(URL, {"schedule": rival.pk, "action": "run"}).status_code == 404


def test_a_superuser_changes_the_installation_timetable_and_a_bad_one_is_explained(
    client: Any, django_user_model: Any, workspace: Workspace
) -> None:
    do_install_default_schedules()
    root = django_user_model.objects.create_superuser("root", password="root-password-1")
    from qunyun.team.actions import do_add_workspace_member

    do_add_workspace_member(workspace, root, "owner")
    client.force_login(root)
    backup = Schedule.objects.get(job="backup")

    client.post(URL, {"schedule": backup.pk, "action": "cron", "cron": "0 */6 * * *"})
    assert Schedule.objects.get(pk=backup.pk).cron == "0 */6 * * *"
    bad = client.post(URL, {"schedule": backup.pk, "action": "cron", "cron": "soon"}, follow=True)
    assert "is not a cron timetable" in bad.content.decode()
    assert Schedule.objects.get(pk=backup.pk).cron == "0 */6 * * *"
    zh = client.get(URL, HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()
    assert "定时任务" in zh
    assert AuditEvent.objects.filter(action="schedule_changed", actor=root).count() == 1
