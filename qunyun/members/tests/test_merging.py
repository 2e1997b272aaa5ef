"""One person across platforms: suggestions with evidence, merge, unmerge, audit."""

from __future__ import annotations

import pytest

from qunyun.activity.models import Activity
from qunyun.analytics.selectors import workspace_kpis
from qunyun.audit.models import AuditEvent
from qunyun.conftest import utc
from qunyun.ingest.pipeline import do_import_records
from qunyun.ingest.records import ActivityKind, ActivityRecord, PersonRef
from qunyun.members.merging import (
    MergeError,
    do_decide_suggestion,
    do_merge_members,
    do_unmerge_identity,
)
from qunyun.members.models import Identity, Member, MergeSuggestion
from qunyun.members.suggestions import do_find_duplicate_members


def said(platform: str, user: str, name: str, n: int, **person: str) -> list[ActivityRecord]:
    return [
        ActivityRecord(
            source=platform,
            channel="main",
            external_id=f"{user}-{i}",
            kind=ActivityKind.MESSAGE,
            occurred_at=utc(2026, 3, 1 + i, 12),
            author=PersonRef(external_id=user, display_name=name, **person),
        )
        for i in range(n)
    ]


def member(external_id: str) -> Member:
    return Member.objects.get(identities__external_id=external_id)


@pytest.fixture
def people(workspace):
    records = [
        *said("telegram", "user1", "zhangwei88", 5),
        *said("wechat", "wxid_zw", "张伟", 4),
        *said("slack", "U1", "Wei Zhang", 3),
        *said("discord", "111", "伟哥", 2),
        *said("telegram", "user2", "张伟", 1),  # another 张伟 on Telegram
        *said("wechat", "wxid_ln", "李娜", 2),
    ]
    do_import_records(workspace, records, file_name="t", format_name="jsonl")
    return workspace


def test_suggestions_pair_chinese_names_pinyin_handles_and_nicknames(people, alice) -> None:
    do_find_duplicate_members(people, acting_user=alice)

    def evidence(a: str, b: str) -> set[str]:
        pair = sorted([member(a).pk, member(b).pk])
        found = MergeSuggestion.objects.get(member_a_id=pair[0], member_b_id=pair[1])
        return set(found.evidence_kinds)

    assert "name" in evidence("user1", "wxid_zw")
    assert "name" in evidence("user1", "U1")
    assert "name" in evidence("wxid_zw", "U1")
    assert "nickname" in evidence("111", "wxid_zw")
    # two 张伟 accounts on one platform are two people, and 李娜 matches nobody
    assert not MergeSuggestion.objects.filter(
        member_a__in=[member("user1"), member("user2")], member_b__in=[member("user2")]
    ).exists()
    ln = member("wxid_ln")
    assert not MergeSuggestion.objects.filter(member_a=ln).exists()
    assert not MergeSuggestion.objects.filter(member_b=ln).exists()


def test_same_verified_email_merges_automatically_and_is_audited(workspace, alice) -> None:
    records = [
        *said("slack", "U9", "Lily", 2, email="Lily@Example.com"),
        *said("discourse", "42", "lily_w", 3, email="lily@example.com"),
    ]
    do_import_records(workspace, records, file_name="t", format_name="jsonl")

    result = do_find_duplicate_members(workspace, acting_user=alice)

    assert result.auto_merged == 1
    lily = Member.objects.get(workspace=workspace)
    assert sorted(lily.identities.values_list("platform", flat=True)) == ["discourse", "slack"]
    event = AuditEvent.objects.get(action="members_merged")
    assert event.params["reason"] == "same_email"
    assert "lily@example.com" not in str(event.params)  # masked in the log


def test_accepting_a_suggestion_merges_without_losing_or_doubling_activity(people, alice):
    do_find_duplicate_members(people, acting_user=alice)
    before = Activity.objects.filter(workspace=people).count()
    pair = sorted([member("user1").pk, member("wxid_zw").pk])
    suggestion = MergeSuggestion.objects.get(member_a_id=pair[0], member_b_id=pair[1])

    kept = do_decide_suggestion(people, suggestion, accept=True, acting_user=alice)

    assert kept is not None
    assert Activity.objects.filter(workspace=people).count() == before
    assert kept.activity_count == 9
    assert set(kept.identities.values_list("external_id", flat=True)) == {"user1", "wxid_zw"}
    event = AuditEvent.objects.get(action="members_merged")
    assert event.actor == alice
    assert event.params["activities_moved"] == 4
    assert event.params["evidence"][0]["kind"] == "name"


def test_the_dashboard_counts_a_merged_person_once(people, alice) -> None:
    assert workspace_kpis(people)["members_total"] == 6

    do_merge_members(people, member("user1"), member("wxid_zw"), acting_user=alice)

    assert workspace_kpis(people)["members_total"] == 5


def test_unmerge_gives_an_identity_exactly_its_activities_back(people, alice) -> None:
    keep = do_merge_members(people, member("user1"), member("U1"), acting_user=alice)
    slack = Identity.objects.get(external_id="U1")

    alone = do_unmerge_identity(people, slack, acting_user=alice)

    assert alone.activity_count == 3
    assert set(alone.activities.values_list("external_id", flat=True)) == {"U1-0", "U1-1", "U1-2"}
    keep.refresh_from_db()
    assert keep.activity_count == 5
    assert AuditEvent.objects.filter(action="member_unmerged").count() == 1
    do_find_duplicate_members(people, acting_user=alice)
    pair = sorted([keep.pk, alone.pk])
    assert MergeSuggestion.objects.get(member_a_id=pair[0], member_b_id=pair[1]).status == (
        "rejected"
    )


def test_a_rejected_suggestion_is_not_suggested_again(people, alice) -> None:
    do_find_duplicate_members(people, acting_user=alice)
    suggestion = MergeSuggestion.objects.filter(status="open").first()
    do_decide_suggestion(people, suggestion, accept=False, acting_user=alice)

    do_find_duplicate_members(people, acting_user=alice)

    assert MergeSuggestion.objects.get(pk=suggestion.pk).status == "rejected"
    assert AuditEvent.objects.filter(action="merge_suggestion_rejected").count() == 1


def test_a_member_cannot_be_merged_with_themself_or_across_workspaces(
    people, other_workspace, alice
) -> None:
    stranger = Member.objects.create(workspace=other_workspace, display_name="x")

    with pytest.raises(MergeError):
        do_merge_members(people, member("user1"), member("user1"), acting_user=alice)
    with pytest.raises(MergeError):
        do_merge_members(people, member("user1"), stranger, acting_user=alice)
    with pytest.raises(MergeError):
        do_unmerge_identity(people, Identity.objects.get(external_id="U1"), acting_user=alice)
