"""Resolve the people named in records to members, creating them when new.

A person is known by their platform id (``Identity`` unique on workspace + platform +
external id). Some sources name a person only by display name — Telegram's invite and
remove service messages list display names, not ids. Such a person first gets a
*name-only* identity scoped to the channel; at the end of the import
:func:`do_resolve_name_only_identities` folds it into the member who has that display name
in the same channel, so that one person is never counted as two.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from qunyun.activity.models import Activity, SnapshotState
from qunyun.ingest.records import PersonRef
from qunyun.members.models import Identity, Member
from qunyun.workspaces.models import Workspace

LOOKUP_CHUNK = 500


def name_only_external_id(channel: str, display_name: str) -> str:
    return f"~name:{channel}:{display_name}"[:255]


#: A person as the read-ahead tuples carry them (see :mod:`qunyun.ingest.read_ahead`):
#: (external_id, display_name, handle, is_bot, email, phone, avatar_hash).
Person = tuple[Any, ...]


def person_tuple(ref: PersonRef) -> Person:
    return (
        ref.external_id,
        ref.display_name,
        ref.handle,
        ref.is_bot,
        ref.email,
        ref.phone,
        ref.avatar_hash,
    )


class IdentityResolver:
    """Maps (platform, person) to member ids, with a cache across batches."""

    def __init__(self, workspace: Workspace) -> None:
        self.workspace = workspace
        self.cache: dict[tuple[str, str], tuple[int, int]] = {}
        self.members_added = 0

    def resolve(self, people: Sequence[tuple[str, str, Person]]) -> list[tuple[int, int]]:
        """``(member id, identity id)`` for ``(platform, identity external id, person)``.

        The identity external id is the person's platform id, or
        :func:`name_only_external_id` for a person known only by name. One query per
        :data:`LOOKUP_CHUNK` people not met before, and one bulk insert of the new ones.
        """
        cache = self.cache
        refs: dict[tuple[str, str], PersonRef] = {}
        keys = []
        for platform, external_id, person in people:
            key = (platform, external_id)
            keys.append(key)
            if key not in cache and key not in refs:
                refs[key] = PersonRef(*person)
        if refs:
            self._load(refs)
        return [cache[key] for key in keys]

    def _load(self, refs: dict[tuple[str, str], PersonRef]) -> None:
        by_platform: dict[str, list[str]] = {}
        for platform, external_id in refs:
            by_platform.setdefault(platform, []).append(external_id)
        for platform, external_ids in by_platform.items():
            for start in range(0, len(external_ids), LOOKUP_CHUNK):
                chunk = external_ids[start : start + LOOKUP_CHUNK]
                found = Identity.objects.filter(
                    workspace=self.workspace, platform=platform, external_id__in=chunk
                ).values_list("external_id", "member_id", "id")
                for external_id, member_id, identity_id in found:
                    self.cache[(platform, external_id)] = (member_id, identity_id)
        missing = [key for key in refs if key not in self.cache]
        if missing:
            self._create(missing, refs)

    def _create(self, keys: list[tuple[str, str]], refs: dict[tuple[str, str], PersonRef]) -> None:
        members = Member.objects.bulk_create(
            [
                Member(
                    workspace=self.workspace,
                    display_name=(refs[key].display_name or refs[key].handle)[:255],
                    is_bot=refs[key].is_bot,
                )
                for key in keys
            ],
            batch_size=1000,
        )
        identities = Identity.objects.bulk_create(
            [
                Identity(
                    workspace=self.workspace,
                    member=member,
                    platform=key[0],
                    external_id=key[1],
                    handle=refs[key].handle[:255],
                    display_name=refs[key].display_name[:255],
                    is_bot=refs[key].is_bot,
                    is_name_only=refs[key].external_id is None,
                    email=refs[key].email[:254].lower(),
                    phone=refs[key].phone[:32],
                    avatar_hash=refs[key].avatar_hash[:64],
                )
                for key, member in zip(keys, members, strict=True)
            ],
            batch_size=1000,
        )
        for key, member, identity in zip(keys, members, identities, strict=True):
            self.cache[key] = (member.pk, identity.pk)
        self.members_added += len(keys)


def do_resolve_name_only_identities(workspace: Workspace, touched: set[int]) -> int:
    """Fold name-only members into the member of the same name in the same channel.

    Only members touched by this import are considered. A name that matches exactly one
    member with a platform id in a channel where the name-only member appears is resolved
    to that member: the activities move to them and the name-only member is deleted. An
    ambiguous name (two people share it) stays as its own member rather than guessing.
    ``touched`` is updated in place: folded members leave it, their targets join it.
    Returns the number of members folded away.
    """
    placeholders = Identity.objects.filter(
        workspace=workspace, is_name_only=True, member_id__in=touched
    ).values_list("member_id", "platform", "display_name")
    folded = 0
    stale_snapshot = False
    watermark = (
        SnapshotState.objects.filter(workspace=workspace)
        .values_list("activity_watermark", flat=True)
        .first()
        or 0
    )
    for member_id, platform, display_name in list(placeholders):
        if not display_name:
            continue
        channel_ids = list(
            Activity.objects.filter(member_id=member_id)
            .values_list("channel_id", flat=True)
            .distinct()
        )
        candidates = list(
            Identity.objects.filter(
                workspace=workspace,
                platform=platform,
                display_name=display_name,
                is_name_only=False,
                activities__channel_id__in=channel_ids,
            )
            .values_list("member_id", "id")
            .distinct()
        )
        if len(candidates) != 1:
            continue
        target_member, target_identity = candidates[0]
        moved = Activity.objects.filter(member_id=member_id)
        if watermark and moved.filter(id__lte=watermark).exists():
            stale_snapshot = True
        moved.update(member_id=target_member, identity_id=target_identity)
        Member.objects.filter(pk=member_id).delete()
        touched.discard(member_id)
        touched.add(target_member)
        folded += 1
    if stale_snapshot:
        SnapshotState.objects.filter(workspace=workspace).update(needs_rebuild=True)
    return folded
