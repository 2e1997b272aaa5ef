"""Per-person reactions from a Telegram message's ``reactions[].recent`` (tdesktop ≥ 5.6).

The exporter (``SerializeMessage`` in tdesktop
``Telegram/SourceFiles/export/output/export_output_json.cpp``) lists only the few most
recent reactors of each emoji, with the time in the exporting PC's local clock; the
total is in ``count``. So these records are a sample of who reacted, not all of them.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from typing import Any

from django.utils.translation import gettext as _

from qunyun.ingest.platforms.telegram.chat_context import ChatContext
from qunyun.ingest.platforms.telegram.clock import parse_local, parse_unixtime
from qunyun.ingest.platforms.telegram.content import reaction_key
from qunyun.ingest.records import ActivityKind, ActivityRecord


def reaction_records(
    reader: ChatContext, index: int, msg_id: int, message_time: datetime, reactions: list[Any]
) -> Iterator[ActivityRecord]:
    """Yield one REACTION, replying to the message, per reactor listed in ``recent``.

    ``reactions`` must already have passed :func:`content.reaction_counts`. A reaction
    whose UTC time is not known yet is handed to ``reader.clock``, which releases it
    once a later message tells the exporting PC's offset.
    """
    for reaction in reactions:
        emoji = reaction_key(reaction)
        recent = reaction.get("recent", [])
        if not isinstance(recent, list):
            raise reader.error(_("“recent” is not a list."), record=index, field="reactions")
        for entry in recent:
            if not isinstance(entry, dict):
                raise reader.error(
                    _("A recent reaction is not a JSON object."), record=index, field="reactions"
                )
            reactor = reader.person(index, entry, "from_id", "from")
            if reactor is None:
                continue
            record = reader.activity(
                f"{msg_id}:reaction:{emoji}:{reactor.external_id}",
                ActivityKind.REACTION,
                message_time,  # until the reaction's own time is known
                reactor,
                reply_to=str(msg_id),
                attrs={"emoji": emoji},
            )
            if "date_unixtime" in entry:  # not written today, but the natural next field
                moment = parse_unixtime(entry["date_unixtime"])
                if moment is not None:
                    record.occurred_at = moment
                    yield record
                    continue
            local = _local_time(reader, index, entry)
            if local is None or reader.clock.place(record, local):
                yield record


def _local_time(reader: ChatContext, index: int, entry: dict[str, Any]) -> datetime | None:
    """Return the reaction's time on the exporting PC, ``None`` if it has none."""
    if "date" not in entry:
        return None
    local = parse_local(entry["date"])
    if local is None:
        raise reader.error(
            _("A reaction’s “date” is not an ISO 8601 time: %(value)r") % {"value": entry["date"]},
            record=index,
            field="reactions",
        )
    return local
