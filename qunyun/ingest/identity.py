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

from django.db import connections, router
from django.db.models import Model
from django.utils import timezone

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
        #: The ids of the members created here.
        self.created: set[int] = set()

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
        workspace_id = self.workspace.pk
        member_ids = _insert(
            Member,
            ["workspace_id", "display_name", "is_bot"],
            [
                (
                    workspace_id,
                    (refs[key].display_name or refs[key].handle)[:255],
                    refs[key].is_bot,
                )
                for key in keys
            ],
        )
        identity_ids = _insert(
            Identity,
            [
                "workspace_id",
                "member_id",
                "platform",
                "external_id",
                "handle",
                "display_name",
                "is_bot",
                "is_name_only",
                "email",
                "phone",
                "avatar_hash",
            ],
            [
                (
                    workspace_id,
                    member_id,
                    key[0],
                    key[1],
                    refs[key].handle[:255],
                    refs[key].display_name[:255],
                    refs[key].is_bot,
                    refs[key].external_id is None,
                    refs[key].email[:254].lower(),
                    refs[key].phone[:32],
                    refs[key].avatar_hash[:64],
                )
                for key, member_id in zip(keys, member_ids, strict=True)
            ],
        )
        for key, member_id, identity_id in zip(keys, member_ids, identity_ids, strict=True):
            self.cache[key] = (member_id, identity_id)
            self.created.add(member_id)
        self.members_added += len(keys)


def _insert(model: type[Model], attnames: list[str], rows: list[tuple[Any, ...]]) -> list[int]:
    """Insert ``rows`` of ``model`` and return their new primary keys, in order.

    Each row holds the values of the fields ``attnames`` (``workspace_id``, not
    ``workspace``), ready for the database; every other field takes its default. This is
    what ``bulk_create`` does for these models (one multi-row ``INSERT … RETURNING`` per
    chunk, ids in the order of the rows), without building a model object and preparing
    every field of every row: the fields not given are prepared once.
    """
    connection = connections[router.db_for_write(model)]
    if not connection.features.can_return_rows_from_bulk_insert:  # SQLite before 3.35
        objects = [model(**dict(zip(attnames, row, strict=True))) for row in rows]
        model._default_manager.bulk_create(objects, batch_size=1000)
        return [int(obj.pk) for obj in objects]
    meta = model._meta
    now = timezone.now()
    fields = {field.attname: field for field in meta.concrete_fields}
    columns = [str(fields[name].column) for name in attnames]
    fixed: list[Any] = []
    for name, field in fields.items():
        if field.primary_key or name in attnames:
            continue
        value = now if getattr(field, "auto_now_add", False) else field.get_default()
        fixed.append(field.get_db_prep_save(value, connection))
        columns.append(str(field.column))
    quote = connection.ops.quote_name
    limit = connection.features.max_query_params or 30_000
    per_statement = max(1, min(500, limit // len(columns)))
    values = "(" + ", ".join(["%s"] * len(columns)) + ")"
    head = f"INSERT INTO {quote(meta.db_table)} ({', '.join(map(quote, columns))}) VALUES "
    tail = f" RETURNING {quote(str(meta.pk.column))}"  # type: ignore[union-attr]
    ids: list[int] = []
    with connection.cursor() as cursor:
        for start in range(0, len(rows), per_statement):
            chunk = rows[start : start + per_statement]
            params = [value for row in chunk for value in (*row, *fixed)]
            cursor.execute(head + ", ".join([values] * len(chunk)) + tail, params)
            ids.extend(int(found[0]) for found in cursor.fetchall())
    return ids


def do_resolve_name_only_identities(
    workspace: Workspace, touched: set[int], moved_to: set[int] | None = None
) -> int:
    """Fold name-only members into the member of the same name in the same channel.

    Only members touched by this import are considered. A name that matches exactly one
    member with a platform id in a channel where the name-only member appears is resolved
    to that member: the activities move to them and the name-only member is deleted. An
    ambiguous name (two people share it) stays as its own member rather than guessing.
    ``touched`` is updated in place: folded members leave it, their targets join it (and
    ``moved_to``, when given). Returns the number of members folded away.
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
        if moved_to is not None:
            moved_to.add(target_member)
        folded += 1
    if stale_snapshot:
        SnapshotState.objects.filter(workspace=workspace).update(needs_rebuild=True)
    return folded
