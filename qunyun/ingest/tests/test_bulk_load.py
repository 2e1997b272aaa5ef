"""A large import: member figures counted while writing, members inserted in bulk, and
the activity table's secondary indexes built once at the end — with the same outcome as
counting, creating and indexing row by row."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from django.db import connection

from qunyun.activity.models import Activity
from qunyun.conftest import channel, message, utc
from qunyun.ingest import bulk_load
from qunyun.ingest.errors import ImportFormatError
from qunyun.ingest.pipeline import do_import_records
from qunyun.ingest.records import ActivityKind, ActivityRecord, ChannelRecord, PersonRef
from qunyun.members.models import Identity, Member
from qunyun.members.stats import do_refresh_member_stats

FIGURES = ("first_seen_at", "last_seen_at", "activity_count", "message_count")


def figures(workspace: Any) -> dict[int, tuple[Any, ...]]:
    return {
        row[0]: row[1:]
        for row in Member.objects.filter(workspace=workspace).values_list("pk", *FIGURES)
    }


def recounted(workspace: Any) -> dict[int, tuple[Any, ...]]:
    """The figures as counting every member's activities in the database gives them."""
    members = Member.objects.filter(workspace=workspace).values_list("pk", flat=True)
    do_refresh_member_stats(workspace, list(members))
    return figures(workspace)


def chatter(first: int, last: int, channel_id: str = "g1") -> Iterator[ActivityRecord]:
    for i in range(first, last):
        kind = [ActivityKind.MESSAGE, ActivityKind.REPLY, ActivityKind.REACTION][i % 3]
        yield message(
            str(i),
            utc(2026, 3, 1 + i % 27, i % 24, i % 60),
            f"user{i % 5}",
            name=f"P{i % 5}",
            kind=kind,
            channel=channel_id,
        )


def test_figures_counted_while_writing_equal_a_recount(
    workspace, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("qunyun.ingest.rows.BATCH", 7)
    recounts: list[int] = []

    def spy(workspace: Any, member_ids: Any) -> int:
        recounts.extend(member_ids)
        return do_refresh_member_stats(workspace, member_ids)

    monkeypatch.setattr("qunyun.ingest.pipeline.do_refresh_member_stats", spy)
    records = [channel(), *chatter(0, 60), *chatter(0, 10, channel_id="g2")]
    # The same message twice in one file, alone in the last batch: written once.
    records.append(message("7", utc(2020, 1, 1), "user8", name="P8"))

    do_import_records(workspace, records, file_name="a", format_name="telegram")

    p8 = Member.objects.get(identities__external_id="user8")
    assert recounts == [p8.pk]  # the only one with a row already there
    assert (p8.activity_count, p8.first_seen_at) == (0, None)
    assert figures(workspace) == recounted(workspace)
    assert Member.objects.filter(workspace=workspace).count() == 6


def test_figures_after_a_partial_reimport_and_name_resolution_equal_a_recount(workspace) -> None:
    do_import_records(workspace, list(chatter(0, 30)), file_name="a", format_name="telegram")
    newcomer = ActivityRecord(
        "telegram",
        "g1",
        "99:join:0",
        ActivityKind.JOIN,
        utc(2026, 2, 1),
        PersonRef(external_id=None, display_name="P9"),
    )
    records = [
        *chatter(20, 50),  # ten known, twenty new rows of known people
        message("200", utc(2026, 4, 1), "user9", name="P9"),  # a new person …
        newcomer,  # … named only by name in another row: folded into them
    ]

    run = do_import_records(workspace, records, file_name="b", format_name="telegram")

    assert (run.activities_added, run.activities_skipped) == (22, 10)
    assert figures(workspace) == recounted(workspace)
    p9 = Member.objects.get(identities__external_id="user9")
    assert (p9.activity_count, p9.first_seen_at) == (2, utc(2026, 2, 1))


def test_members_inserted_in_bulk_are_the_rows_the_orm_would_write(workspace) -> None:
    person = PersonRef("user1", "张伟", "zw", True, "Zhang@Example.com", "123", "ab" * 16)
    records = [message("1", utc(2026, 3, 1), "user1"), message("2", utc(2026, 3, 1), "x")]
    records[0].author = person
    records[1].author = PersonRef(None, "Lily")
    do_import_records(workspace, records, file_name="a", format_name="telegram")
    by_orm = Member.objects.create(workspace=workspace, display_name="张伟", is_bot=True)
    Identity.objects.create(
        workspace=workspace,
        member=by_orm,
        platform="telegram",
        external_id="user1-orm",
        handle="zw",
        display_name="张伟",
        is_bot=True,
        email="zhang@example.com",
        phone="123",
        avatar_hash="ab" * 16,
    )

    def columns(model: Any, **lookup: Any) -> dict[str, Any]:
        row = model.objects.filter(**lookup).values().get()
        return {k: v for k, v in row.items() if k not in {"id", "created_at", "member_id"}}

    bulk = columns(Member, identities__external_id="user1")
    orm = columns(Member, pk=by_orm.pk)
    for name in FIGURES:  # set by the import from the member's activity
        bulk.pop(name), orm.pop(name)
    assert bulk == orm
    assert {**columns(Identity, external_id="user1"), "external_id": "-"} == {
        **columns(Identity, external_id="user1-orm"),
        "external_id": "-",
    }
    lily = Identity.objects.get(external_id="~name:g1:Lily")
    assert lily.is_name_only and lily.member.display_name == "Lily"


def activity_indexes() -> list[tuple[str, str]]:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT name, sql FROM sqlite_master WHERE type = 'index' AND tbl_name = %s "
            "ORDER BY name",
            [Activity._meta.db_table],
        )
        return cursor.fetchall()


@pytest.fixture
def small_loads(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(bulk_load, "DEFER_INDEXES_AFTER", 10)
    monkeypatch.setattr("qunyun.ingest.rows.BATCH", 7)


@pytest.mark.skipif(connection.vendor != "sqlite", reason="an SQLite bulk load")
@pytest.mark.usefixtures("small_loads")
def test_a_large_load_builds_the_indexes_again_and_reads_like_a_small_one(
    workspace, monkeypatch: pytest.MonkeyPatch
) -> None:
    dropped: list[str] = []
    restore = bulk_load.DeferredIndexes.restore

    def spy(self: bulk_load.DeferredIndexes) -> None:
        dropped.extend(self.dropped)
        restore(self)

    monkeypatch.setattr(bulk_load.DeferredIndexes, "restore", spy)
    before = activity_indexes()

    do_import_records(workspace, list(chatter(0, 60)), file_name="a", format_name="telegram")

    assert len(dropped) == 2  # member/time and channel; the unique index stays
    assert activity_indexes() == before
    assert figures(workspace) == recounted(workspace)
    again = do_import_records(workspace, list(chatter(0, 60)), file_name="a", format_name="x")
    assert again.activities_added == 0


@pytest.mark.skipif(connection.vendor != "sqlite", reason="an SQLite bulk load")
@pytest.mark.usefixtures("small_loads")
def test_a_load_smaller_than_the_table_keeps_its_indexes(
    workspace, monkeypatch: pytest.MonkeyPatch
) -> None:
    do_import_records(workspace, list(chatter(0, 100)), file_name="a", format_name="telegram")
    drops: list[str] = []
    monkeypatch.setattr(
        bulk_load.DeferredIndexes, "restore", lambda self: drops.extend(self.dropped)
    )

    do_import_records(workspace, list(chatter(100, 130)), file_name="b", format_name="telegram")

    assert drops == []


@pytest.mark.skipif(connection.vendor != "sqlite", reason="an SQLite bulk load")
@pytest.mark.usefixtures("small_loads")
def test_a_large_load_that_fails_leaves_the_table_and_its_indexes_as_they_were(
    workspace,
) -> None:
    before = activity_indexes()

    def broken() -> Iterator[ChannelRecord | ActivityRecord]:
        yield from chatter(0, 60)
        raise ImportFormatError("bad date", path="x.json", record=61, field="date")

    with pytest.raises(ImportFormatError):
        do_import_records(workspace, broken(), file_name="x.json", format_name="telegram")

    assert activity_indexes() == before
    assert Activity.objects.count() == 0
