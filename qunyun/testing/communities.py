"""A small made-up community as push-API / JSONL items, for tests that need history
enough for segments and the churn model (ninety days, twice the churn horizon)."""

from __future__ import annotations

import random
from datetime import datetime, timedelta
from typing import Any


def ninety_days(
    *, people: int, seed: int, start: datetime, name: str = "成员{}", regulars_roam: bool = False
) -> list[dict[str, Any]]:
    """Ninety days of a group of ``people`` in two channels: regulars (every third person,
    on 60 % of their days), fading members, newcomers, questions, replies.

    Odd-numbered people speak in the ``vip`` channel; with ``regulars_roam`` one message
    in ten of theirs goes to ``general`` too. ``name`` formats a person's display name.
    """
    rng = random.Random(seed)
    items: list[dict[str, Any]] = []
    for person in range(people):
        first_day = rng.randrange(0, 60)
        last_day = rng.randrange(first_day, 90)
        for day in range(first_day, last_day + 1):
            if rng.random() < (0.6 if person % 3 == 0 else 0.15):
                when = start + timedelta(days=day, hours=rng.randrange(8, 23))
                vip = person % 2 and (not regulars_roam or rng.random() < 0.9)
                item = {
                    "external_id": f"m{len(items)}",
                    "kind": "message",
                    "occurred_at": when.isoformat(),
                    "member_id": f"u{person}",
                    "member_name": name.format(person),
                    "source": "crm",
                    "channel": "vip" if vip else "general",
                    "text": "请问怎么开发票？" if rng.random() < 0.1 else "好的，谢谢",
                }
                if items and rng.random() < 0.3:
                    item["reply_to"] = items[-1]["external_id"]
                items.append(item)
    return items
