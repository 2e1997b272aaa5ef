"""Every weighted activity kind counts in the engagement score (issue 15, requirement 5).

The weights of comments, event registrations and attendances, survey answers and
purchases are workspace settings (``analytics_settings["segments"]["weights"]``); changing
one must change the score of a member who did that kind of thing and leave alone the
score of one who did not. The data goes through the real pipeline, the Parquet snapshot
and ``do_update_segments``, as in production.
"""

from __future__ import annotations

from typing import Any

import pytest

from qunyun.activity.snapshot import MEMBER_DAY_COUNTS, snapshot_dir
from qunyun.analytics.backend import connect, read_parquet
from qunyun.analytics.segments import DEFAULT_WEIGHTS, KIND_COLUMNS
from qunyun.conftest import message, utc
from qunyun.ingest.pipeline import do_import_records
from qunyun.ingest.records import ActivityKind as K
from qunyun.members.models import Identity
from qunyun.members.scoring import do_update_segments

#: The kinds that earn points but are no chat message (the rollup lacked their counts).
OTHER_KINDS = [
    K.COMMENT,
    K.EVENT_REGISTERED,
    K.EVENT_ATTENDED,
    K.SURVEY_ANSWERED,
    K.PURCHASE,
]


def on(month: int, day: int, person: str, kind: K = K.MESSAGE) -> Any:
    return message(f"{person}-{month}-{day}-{kind}", utc(2026, month, day, 2), person, kind=kind)


def community(workspace, kind: K) -> None:
    """As of 06-30: "doer" wrote one message and did ``kind`` today and 30 days ago;
    "talker" only wrote (a message today, a reply 30 days ago)."""
    records = [
        on(6, 30, "doer"),
        on(6, 30, "doer", kind),
        on(5, 31, "doer", kind),
        on(6, 30, "talker"),
        on(5, 31, "talker", K.REPLY),
    ]
    do_import_records(workspace, records, file_name="t", format_name="jsonl")


def scores(workspace) -> dict[str, float]:
    do_update_segments(workspace)
    return {
        identity.external_id: identity.member.engagement_score
        for identity in Identity.objects.filter(workspace=workspace).select_related("member")
    }


@pytest.mark.parametrize("kind", OTHER_KINDS, ids=str)
def test_the_weight_of_a_kind_changes_the_score_of_who_did_it(workspace, kind) -> None:
    community(workspace, kind)
    default = DEFAULT_WEIGHTS[kind]

    before = scores(workspace)
    workspace.analytics_settings = {"segments": {"weights": {kind.value: 10}}}
    workspace.save()
    after = scores(workspace)

    # One message today (1 point) and the kind today (× 1) and 30 days ago (× 0.5).
    assert before["doer"] == pytest.approx(1 + 1.5 * default)
    assert after["doer"] == pytest.approx(1 + 1.5 * 10)
    # A message today and a reply 30 days ago (2 × 0.5): no activity of that kind.
    assert before["talker"] == after["talker"] == pytest.approx(2.0)


@pytest.mark.parametrize("kind", OTHER_KINDS, ids=str)
def test_a_kind_weighted_zero_scores_nothing(workspace, kind) -> None:
    community(workspace, kind)
    workspace.analytics_settings = {"segments": {"weights": {kind.value: 0}}}
    workspace.save()

    assert scores(workspace) == {"doer": pytest.approx(1.0), "talker": pytest.approx(2.0)}


def test_the_score_per_platform_counts_those_kinds_too(workspace) -> None:
    community(workspace, K.PURCHASE)
    do_import_records(
        workspace,
        [message("shop-1", utc(2026, 6, 30, 2), "doer", kind=K.PURCHASE, source="discord")],
        file_name="d",
        format_name="jsonl",
    )
    workspace.analytics_settings = {"segments": {"weights": {"purchase": 4}}}
    workspace.save()

    do_update_segments(workspace)

    doer = Identity.objects.get(workspace=workspace, platform="telegram", external_id="doer").member
    assert doer.engagement_by_platform == {"telegram": pytest.approx(1 + 1.5 * 4)}
    buyer = Identity.objects.get(workspace=workspace, platform="discord", external_id="doer").member
    assert buyer.engagement_by_platform == {"discord": pytest.approx(4.0)}


def test_the_snapshot_carries_a_count_for_every_weighted_kind(workspace) -> None:
    community(workspace, K.SURVEY_ANSWERED)
    do_update_segments(workspace)  # brings the snapshot up to date

    md = read_parquet(connect(), snapshot_dir(workspace) / "member_day")
    needed = {column for columns in KIND_COLUMNS.values() for column in columns}

    assert set(KIND_COLUMNS) == set(DEFAULT_WEIGHTS)
    assert needed <= set(MEMBER_DAY_COUNTS)
    assert needed <= set(md.columns)
