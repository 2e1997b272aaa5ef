"""The shared ingest path: idempotent, all-or-nothing, one person never counted twice."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from qunyun.activity.models import Activity, Channel
from qunyun.conftest import channel, message, utc
from qunyun.ingest.errors import ImportFormatError
from qunyun.ingest.models import ImportRun
from qunyun.ingest.pipeline import do_import_records
from qunyun.ingest.records import ActivityKind, ActivityRecord, ChannelRecord, PersonRef
from qunyun.members.models import Identity, Member


def history() -> list[ChannelRecord | ActivityRecord]:
    return [
        channel(),
        message("1", utc(2026, 3, 1, 2), "user1", name="张伟", text="大家好"),
        message("2", utc(2026, 3, 1, 3), "user2", name="Wei Zhang", text="hi"),
        message("3", utc(2026, 3, 1, 4), "user1", kind=ActivityKind.REPLY, reply_to="2"),
    ]


def test_import_writes_members_identities_channels_and_activities(workspace) -> None:
    run = do_import_records(workspace, history(), file_name="a.json", format_name="telegram")

    assert run.status == ImportRun.Status.SUCCEEDED
    assert (run.records_read, run.activities_added, run.members_added) == (3, 3, 2)
    assert Channel.objects.get(workspace=workspace).name == "用户群"
    zhang = Member.objects.get(workspace=workspace, identities__external_id="user1")
    assert zhang.display_name == "张伟"
    assert zhang.message_count == 2
    assert zhang.first_seen_at == utc(2026, 3, 1, 2)
    assert zhang.last_seen_at == utc(2026, 3, 1, 4)
    reply = Activity.objects.get(external_id="3")
    assert (reply.kind, reply.reply_to, reply.member_id) == ("reply", "2", zhang.pk)


def test_importing_the_same_records_again_adds_nothing(workspace) -> None:
    do_import_records(workspace, history(), file_name="a.json", format_name="telegram")
    again = do_import_records(workspace, history(), file_name="a.json", format_name="telegram")

    assert (again.activities_added, again.activities_skipped, again.members_added) == (0, 3, 0)
    assert Activity.objects.filter(workspace=workspace).count() == 3
    assert Member.objects.filter(workspace=workspace).count() == 2


def test_a_failure_half_way_writes_nothing_and_is_recorded(workspace) -> None:
    def broken() -> Iterator[ChannelRecord | ActivityRecord]:
        yield from history()
        raise ImportFormatError("bad date", path="x.json", record=4, field="date")

    with pytest.raises(ImportFormatError):
        do_import_records(workspace, broken(), file_name="x.json", format_name="telegram")

    assert Activity.objects.count() == 0
    assert Member.objects.count() == 0
    run = ImportRun.objects.get()
    assert run.status == ImportRun.Status.FAILED
    assert "record 4" in run.errors[0]["message"]
    assert "date" in run.errors[0]["place"]


def test_a_person_named_only_by_display_name_is_the_member_with_that_name(workspace) -> None:
    invite = ActivityRecord(
        source="telegram",
        channel="g1",
        external_id="10:join:0",
        kind=ActivityKind.JOIN,
        occurred_at=utc(2026, 3, 1, 1),
        author=PersonRef(external_id=None, display_name="张伟"),
    )
    do_import_records(workspace, [invite, *history()], file_name="a", format_name="telegram")

    assert Member.objects.filter(workspace=workspace).count() == 2
    zhang = Member.objects.get(identities__external_id="user1")
    assert set(zhang.activities.values_list("kind", flat=True)) == {"join", "message", "reply"}
    assert zhang.first_seen_at == utc(2026, 3, 1, 1)
    assert not Identity.objects.filter(is_name_only=True).exists()


def test_a_name_shared_by_two_people_is_not_guessed(workspace) -> None:
    records = [
        message("1", utc(2026, 3, 1, 2), "user1", name="小鱼"),
        message("2", utc(2026, 3, 1, 3), "user2", name="小鱼"),
        ActivityRecord(
            source="telegram",
            channel="g1",
            external_id="9:leave:0",
            kind=ActivityKind.LEAVE,
            occurred_at=utc(2026, 3, 2),
            author=PersonRef(external_id=None, display_name="小鱼"),
        ),
    ]
    do_import_records(workspace, records, file_name="a", format_name="telegram")

    assert Member.objects.filter(workspace=workspace).count() == 3
    assert Identity.objects.filter(is_name_only=True).count() == 1


def test_a_name_resolves_only_within_the_same_chat(workspace) -> None:
    records = [
        message("1", utc(2026, 3, 1, 2), "user1", name="Lily", channel="g1"),
        ActivityRecord(
            source="telegram",
            channel="g2",
            external_id="5:join:0",
            kind=ActivityKind.JOIN,
            occurred_at=utc(2026, 3, 2),
            author=PersonRef(external_id=None, display_name="Lily"),
        ),
    ]
    do_import_records(workspace, records, file_name="a", format_name="telegram")

    assert Member.objects.filter(workspace=workspace).count() == 2


def test_workspaces_do_not_share_members(workspace, other_workspace) -> None:
    do_import_records(workspace, history(), file_name="a", format_name="telegram")
    do_import_records(other_workspace, history(), file_name="a", format_name="telegram")

    assert Member.objects.filter(workspace=workspace).count() == 2
    assert Member.objects.filter(workspace=other_workspace).count() == 2
    assert Activity.objects.filter(workspace=other_workspace).count() == 3


def test_nul_characters_are_dropped_from_text(workspace) -> None:
    records = [message("1", utc(2026, 3, 1), "user1", text="a\x00b")]
    do_import_records(workspace, records, file_name="a", format_name="telegram")

    assert Activity.objects.get().text == "ab"


def test_one_name_only_person_object_in_two_chats_is_two_people(workspace) -> None:
    # Parsers may hand out the same PersonRef again; a name is still known per chat.
    nameless = PersonRef(external_id=None, display_name="Lily")
    records = [
        ActivityRecord("telegram", "g1", "1:join:0", ActivityKind.JOIN, utc(2026, 3, 1), nameless),
        ActivityRecord("telegram", "g2", "1:join:0", ActivityKind.JOIN, utc(2026, 3, 2), nameless),
    ]
    run = do_import_records(workspace, records, file_name="a", format_name="telegram")

    assert (run.activities_added, run.members_added) == (2, 2)
    assert set(Identity.objects.values_list("external_id", flat=True)) == {
        "~name:g1:Lily",
        "~name:g2:Lily",
    }


def test_an_import_of_many_batches_counts_every_row_and_person(workspace) -> None:
    from django.db import connection

    from qunyun.ingest.read_ahead import BATCH

    def records() -> Iterator[ChannelRecord | ActivityRecord]:  # lazy: parsed ahead
        yield channel()
        for i in range(2 * BATCH + 3):
            yield message(str(i), utc(2026, 3, 1 + i % 28), f"user{i % 7}", name=f"P{i % 7}")

    first = do_import_records(workspace, records(), file_name="a", format_name="telegram")
    again = do_import_records(workspace, records(), file_name="a", format_name="telegram")

    assert (first.records_read, first.activities_added, first.members_added) == (
        2 * BATCH + 3,
        2 * BATCH + 3,
        7,
    )
    assert (again.activities_added, again.activities_skipped, again.members_added) == (
        0,
        2 * BATCH + 3,
        0,
    )
    counts = Member.objects.filter(workspace=workspace).values_list("message_count", flat=True)
    assert sum(counts) == 2 * BATCH + 3
    if connection.vendor == "sqlite":  # the import's larger page cache is given back
        with connection.cursor() as cursor:
            cursor.execute("PRAGMA cache_size")
            assert cursor.fetchone()[0] == -2000
