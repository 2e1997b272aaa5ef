"""Checks every platform parser's tests make of what it yields; test support, kept out of the
production package so nothing at run time can lean on it."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable

from qunyun.ingest.records import ActivityKind, ActivityRecord, ChannelRecord


def kinds_per_channel(
    records: Iterable[ChannelRecord | ActivityRecord],
) -> Counter[tuple[str, ActivityKind]]:
    """Count activities per (channel, kind), asserting on the way that each channel's
    record came right before its own activities (the pipeline relies on it)."""
    owners: list[str] = []
    kinds: Counter[tuple[str, ActivityKind]] = Counter()
    for record in records:
        if isinstance(record, ChannelRecord):
            owners.append(record.external_id)
        else:
            assert owners and record.channel == owners[-1], record
            kinds[(record.channel, record.kind)] += 1
    return kinds
