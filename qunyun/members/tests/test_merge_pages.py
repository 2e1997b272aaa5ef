"""The duplicates page: review evidence, merge one by one or in bulk, unmerge."""

from __future__ import annotations

import pytest
from django.urls import reverse

from qunyun.audit.models import AuditEvent
from qunyun.ingest.pipeline import do_import_records
from qunyun.members.models import Identity, Member, MergeSuggestion
from qunyun.members.suggestions import do_find_duplicate_members
from qunyun.members.tests.test_merging import member, said
from qunyun.workspaces.models import Role, WorkspaceMembership


@pytest.fixture
def duplicates(workspace, alice):
    records = [
        *said("telegram", "user1", "zhangwei88", 5),
        *said("wechat", "wxid_zw", "张伟", 4),
        *said("telegram", "user3", "lina_1990", 2),
        *said("wechat", "wxid_ln", "李娜", 2),
        *said("slack", "U7", "Chen Jing", 1),
        *said("discord", "77", "陈静", 1),
    ]
    do_import_records(workspace, records, file_name="t", format_name="jsonl")
    do_find_duplicate_members(workspace, acting_user=alice)
    return workspace


def test_the_page_lists_suggestions_with_their_evidence(client, alice, duplicates) -> None:
    client.force_login(alice)

    response = client.get(reverse("merge_suggestions", args=["acme"]), HTTP_ACCEPT_LANGUAGE="en")
    html = response.content.decode()

    assert response.status_code == 200
    assert response.context["page"].paginator.count == 3
    assert "Similar names" in html
    assert "张伟 ≈ zhangwei88" in html or "zhangwei88 ≈ 张伟" in html


def test_merging_one_suggestion_with_htmx_answers_with_the_row(client, alice, duplicates):
    client.force_login(alice)
    suggestion = MergeSuggestion.objects.filter(status="open").first()

    response = client.post(
        reverse("decide_suggestion", args=["acme", suggestion.pk]),
        {"decision": "accept"},
        HTTP_HX_REQUEST="true",
    )

    assert response.status_code == 200
    assert f'id="suggestion-{suggestion.pk}"' in response.content.decode()
    assert Member.objects.filter(workspace=duplicates).count() == 5
    assert AuditEvent.objects.filter(action="members_merged", actor=alice).count() == 1


def test_bulk_merge_of_everything_matching_the_filter(client, alice, duplicates) -> None:
    client.force_login(alice)

    response = client.post(
        reverse("decide_suggestions", args=["acme"]) + "?min_score=0.8&kind=name&scope=filtered",
        {"decision": "accept", "scope": "selected"},
    )

    assert response.status_code == 302
    assert Member.objects.filter(workspace=duplicates).count() == 3
    assert not MergeSuggestion.objects.filter(status="open").exists()
    assert AuditEvent.objects.filter(action="members_merged").count() == 3


def test_bulk_reject_of_the_ticked_suggestions(client, alice, duplicates) -> None:
    client.force_login(alice)
    ticked = list(MergeSuggestion.objects.values_list("pk", flat=True)[:2])

    client.post(
        reverse("decide_suggestions", args=["acme"]),
        {"decision": "reject", "suggestion": ticked, "scope": "selected"},
    )

    assert MergeSuggestion.objects.filter(status="rejected").count() == 2
    assert Member.objects.filter(workspace=duplicates).count() == 6


def test_unmerge_from_the_profile(client, alice, duplicates) -> None:
    client.force_login(alice)
    client.post(
        reverse("decide_suggestions", args=["acme"]) + "?scope=filtered",
        {"decision": "accept"},
    )
    identity = Identity.objects.get(external_id="wxid_zw")
    profile = client.get(
        reverse("member_profile", args=["acme", identity.member_id]), HTTP_ACCEPT_LANGUAGE="en"
    )
    assert "Unmerge" in profile.content.decode()

    response = client.post(reverse("unmerge_identity", args=["acme", identity.pk]))

    identity.refresh_from_db()
    assert response.status_code == 302
    assert identity.member.activity_count == 4
    assert member("user1").activity_count == 5


def test_an_analyst_reads_but_cannot_merge(client, django_user_model, duplicates) -> None:
    bob = django_user_model.objects.create_user("bob", password="bob-password-1")
    WorkspaceMembership.objects.create(workspace=duplicates, user=bob, role=Role.ANALYST)
    client.force_login(bob)
    suggestion = MergeSuggestion.objects.first()

    page = client.get(reverse("merge_suggestions", args=["acme"]))
    attempt = client.post(
        reverse("decide_suggestion", args=["acme", suggestion.pk]), {"decision": "accept"}
    )

    assert page.status_code == 200
    assert 'name="decision"' not in page.content.decode()
    assert attempt.status_code == 403
    assert Member.objects.filter(workspace=duplicates).count() == 6


def test_another_workspace_cannot_touch_these_suggestions(client, charlie, duplicates) -> None:
    client.force_login(charlie)
    suggestion = MergeSuggestion.objects.first()
    identity = Identity.objects.first()

    assert (
        client.post(
            reverse("decide_suggestion", args=["rival", suggestion.pk]), {"decision": "accept"}
        ).status_code
        == 404
    )
    assert client.post(reverse("unmerge_identity", args=["rival", identity.pk])).status_code == 404
    assert client.get(reverse("merge_suggestions", args=["acme"])).status_code == 404
