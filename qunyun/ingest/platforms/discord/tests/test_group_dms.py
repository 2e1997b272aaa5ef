"""Group DMs: recipients added and removed, calls, and kinds written as bare numbers.

The exports are built inline in DCE's shape for a ``DirectGroupTextChat`` (guild
``{"id": "0", "name": "Direct Messages"}``).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from qunyun.ingest.platforms.discord.parser import parse
from qunyun.ingest.records import ActivityKind, ActivityRecord

LI = "521486476985155645"
ANNA = "627848643557663699"
WANG = "896568767994532880"
K = ActivityKind


def activities(path: Path) -> dict[str, ActivityRecord]:
    return {r.external_id: r for r in parse(path) if isinstance(r, ActivityRecord)}


def group_dm(*messages: dict[str, Any]) -> dict[str, Any]:
    return {
        "guild": {"id": "0", "name": "Direct Messages", "iconUrl": ""},
        "channel": {
            "id": "1100000000000000000",
            "type": "DirectGroupTextChat",
            "categoryId": None,
            "category": None,
            "name": "李伟, Anna Schmidt, 王芳",
            "topic": None,
        },
        "dateRange": {"after": None, "before": None},
        "exportedAt": "2024-09-22T09:30:00+08:00",
        "messages": list(messages),
        "messageCount": len(messages),
    }


def person(uid: str, name: str) -> dict[str, Any]:
    return {"id": uid, "name": name, "discriminator": "0000", "nickname": name, "isBot": False}


def dm_message(msg_id: str, kind: str, author: dict[str, Any], **fields: Any) -> dict[str, Any]:
    return {
        "id": msg_id,
        "type": kind,
        "timestamp": "2024-09-22T10:00:00+08:00",
        "timestampEdited": None,
        "callEndedTimestamp": None,
        "isPinned": False,
        "content": "",
        "author": author,
        "attachments": [],
        "embeds": [],
        "stickers": [],
        "reactions": [],
        "mentions": [],
        **fields,
    }


def test_recipients_added_and_removed_in_a_group_dm_join_and_leave(tmp_path: Path) -> None:
    li, anna, wang = person(LI, "liwei"), person(ANNA, "anna"), person(WANG, "wangfang")
    path = tmp_path / "Direct Messages - Group [1100000000000000000].json"
    path.write_text(
        json.dumps(
            group_dm(
                dm_message("1", "RecipientAdd", li, content="Added a recipient.", mentions=[wang]),
                dm_message(
                    "2", "RecipientRemove", anna, content="Left the group.", mentions=[anna]
                ),
                dm_message("3", "RecipientRemove", li, mentions=[wang]),
                dm_message("4", "RecipientAdd", anna),
                dm_message("5", "Call", li, callEndedTimestamp="2024-09-22T10:42:30.5+08:00"),
            ),
            ensure_ascii=False,
        ),
        encoding="utf-8",
    )

    found = activities(path)

    assert (found["1"].kind, found["1"].author.external_id, found["1"].attrs) == (
        K.JOIN,
        WANG,
        {"mentions": [WANG], "added_by": LI},
    )
    assert (found["2"].kind, found["2"].author.external_id) == (K.LEAVE, ANNA)
    assert found["2"].attrs["removed"] is False
    assert (found["3"].kind, found["3"].author.external_id) == (K.LEAVE, WANG)
    assert (found["3"].attrs["removed"], found["3"].attrs["removed_by"]) == (True, LI)
    assert (found["4"].kind, found["4"].author.external_id, found["4"].attrs) == (
        K.JOIN,
        ANNA,
        {},
    )
    assert found["5"].attrs == {"action": "Call", "duration": 2550}


def test_kinds_written_as_bare_numbers_are_read_by_their_number(tmp_path: Path) -> None:
    li = person(LI, "liwei")
    path = tmp_path / "numbers.json"
    reference = {"messageId": "1", "channelId": "1100000000000000000"}
    path.write_text(
        json.dumps(
            group_dm(
                dm_message("1", 0, li, content="hi"),
                dm_message("2", "19", li, content="re", reference=reference),
                dm_message("3", "7", li),
                dm_message("4", 24, li),
            )
        ),
        encoding="utf-8",
    )

    found = activities(path)

    assert [found[i].kind for i in "1234"] == [K.MESSAGE, K.REPLY, K.JOIN, K.SERVICE]
    assert found["2"].reply_to == "1"
    assert found["4"].attrs == {"action": "24"}
