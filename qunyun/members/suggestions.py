"""Find members who are probably one person, with the evidence an operator can judge.

Strong evidence — the same verified email or phone on two identities — merges at once.
Everything else becomes a :class:`MergeSuggestion` for an operator to accept or reject:

| evidence | score | when |
|---|---|---|
| avatar | 0.90 | the same avatar hash |
| name | 0.80 | equal full-name keys (张伟 ≈ zhangwei88 ≈ Wei Zhang), on different platforms |
| nickname | 0.45 | equal given-name keys (伟哥 ≈ 张伟), on different platforms |
| co_activity | +0.10 | active on the same days (Jaccard ≥ 0.3 over ≥ 3 shared days) |

Name and nickname evidence describe the same fact, so only the stronger of them counts;
independent kinds combine as 1 − Π(1 − score), capped at 0.99. Candidate pairs come from blocking on
the keys, so the cost grows with the number of identities, not its square; a key shared
by more than :data:`MAX_BUCKET` members is too common to be evidence ("david", "wei").
A pair an operator rejected (or unmerged) is never suggested again.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from django.contrib.auth.models import User
from django.db import transaction
from django.db.models.functions import TruncDate

from qunyun.activity.models import Activity
from qunyun.members.merging import do_merge_members
from qunyun.members.models import Identity, Member, MergeSuggestion
from qunyun.members.names import full_name_keys, given_name_key
from qunyun.workspaces.models import Workspace

MAX_BUCKET = 5
SCORES = {"avatar": 0.90, "name": 0.80, "nickname": 0.45}
CO_ACTIVITY_BONUS = 0.10


@dataclass
class _Candidate:
    evidence: dict[str, str] = field(default_factory=dict)

    @property
    def score(self) -> float:
        names = max((SCORES[k] for k in ("name", "nickname") if k in self.evidence), default=0.0)
        others = [
            SCORES.get(kind, CO_ACTIVITY_BONUS)
            for kind in self.evidence
            if kind not in ("name", "nickname")
        ]
        doubt = 1.0 - names
        for score in others:
            doubt *= 1.0 - score
        return min(0.99, 1.0 - doubt)


@dataclass
class SuggestionRun:
    auto_merged: int = 0
    suggested: int = 0


def do_find_duplicate_members(
    workspace: Workspace, *, acting_user: User | None = None
) -> SuggestionRun:
    """Merge on strong evidence, then (re)write the open merge suggestions."""
    result = SuggestionRun()
    result.auto_merged = _merge_on_contact_facts(workspace, acting_user)
    identities = list(
        Identity.objects.filter(workspace=workspace, is_name_only=False, is_bot=False).values(
            "member_id", "platform", "display_name", "handle", "avatar_hash"
        )
    )
    pairs = _candidate_pairs(identities)
    _add_co_activity(workspace, pairs)
    decided = {
        (a, b)
        for a, b in MergeSuggestion.objects.filter(workspace=workspace)
        .exclude(status=MergeSuggestion.Status.OPEN)
        .values_list("member_a_id", "member_b_id")
    }
    with transaction.atomic():
        MergeSuggestion.objects.filter(
            workspace=workspace, status=MergeSuggestion.Status.OPEN
        ).delete()
        MergeSuggestion.objects.bulk_create(
            [
                MergeSuggestion(
                    workspace=workspace,
                    member_a_id=a,
                    member_b_id=b,
                    score=round(candidate.score, 2),
                    evidence=[{"kind": k, "detail": d} for k, d in candidate.evidence.items()],
                )
                for (a, b), candidate in pairs.items()
                if (a, b) not in decided and set(candidate.evidence) - {"co_activity"}
            ],
            batch_size=1000,
        )
    result.suggested = MergeSuggestion.objects.filter(
        workspace=workspace, status=MergeSuggestion.Status.OPEN
    ).count()
    return result


def _merge_on_contact_facts(workspace: Workspace, acting_user: User | None) -> int:
    merged = 0
    for fact in ("email", "phone"):
        groups: dict[str, set[int]] = defaultdict(set)
        rows = (
            Identity.objects.filter(workspace=workspace)
            .exclude(**{fact: ""})
            .values_list(fact, "member_id")
        )
        for value, member_id in rows:
            groups[value.strip().lower()].add(member_id)
        for value, member_ids in groups.items():
            if len(member_ids) < 2:
                continue
            members = sorted(
                Member.objects.filter(pk__in=member_ids),
                key=lambda m: (-m.activity_count, m.pk),
            )
            keep = members[0]
            for absorb in members[1:]:
                do_merge_members(
                    workspace,
                    keep,
                    absorb,
                    acting_user=acting_user,
                    reason=f"same_{fact}",
                    evidence=[{"kind": fact, "detail": _mask(value)}],
                )
                merged += 1
    return merged


def _mask(value: str) -> str:
    # The audit log needs to say which fact matched, not to repeat the personal data.
    if "@" in value:
        name, _at, domain = value.partition("@")
        return f"{name[:2]}…@{domain}"
    return f"{value[:3]}…{value[-2:]}"


def _candidate_pairs(identities: Sequence[Mapping[str, Any]]) -> dict[tuple[int, int], _Candidate]:
    buckets: dict[tuple[str, str], dict[int, tuple[str, str]]] = defaultdict(dict)
    for row in identities:
        member, platform = row["member_id"], row["platform"]
        for text in {row["display_name"], row["handle"]} - {""}:
            for key in full_name_keys(text):
                buckets[("name", key)].setdefault(member, (platform, text))
            given = given_name_key(text)
            if given:
                buckets[("nickname", given)].setdefault(member, (platform, text))
        if row["avatar_hash"]:
            buckets[("avatar", row["avatar_hash"])].setdefault(member, (platform, "avatar"))
    pairs: dict[tuple[int, int], _Candidate] = defaultdict(_Candidate)
    for (kind, key), members in buckets.items():
        if len(members) < 2 or len(members) > MAX_BUCKET:
            continue
        ordered = sorted(members.items())
        for i, (a, (platform_a, text_a)) in enumerate(ordered):
            for b, (platform_b, text_b) in ordered[i + 1 :]:
                if kind != "avatar" and platform_a == platform_b:
                    continue  # two accounts on one platform with one name: two people
                if kind == "avatar":
                    detail = f"{platform_a} = {platform_b}"
                else:
                    detail = f"{text_a} ≈ {text_b} ({key})"
                pairs[(a, b)].evidence.setdefault(kind, detail)
    return pairs


def _add_co_activity(workspace: Workspace, pairs: dict[tuple[int, int], _Candidate]) -> None:
    members = {m for pair in pairs for m in pair}
    if not members:
        return
    days: dict[int, set[Any]] = defaultdict(set)
    rows = (
        Activity.objects.filter(workspace=workspace, member_id__in=members)
        .annotate(day=TruncDate("occurred_at"))
        .values_list("member_id", "day")
        .distinct()
    )
    for member_id, day in rows:
        days[member_id].add(day)
    for (a, b), candidate in pairs.items():
        shared = days[a] & days[b]
        union = days[a] | days[b]
        if len(shared) >= 3 and len(shared) / len(union) >= 0.3:
            candidate.evidence["co_activity"] = f"{len(shared)}/{len(union)}"
