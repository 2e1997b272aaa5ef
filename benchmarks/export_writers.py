"""Write large, realistic exports in each platform's own format, for the benchmarks.

Every writer streams to disk (a 1M-message export never sits in memory) and makes the
same community: 8,000 people, bilingual text, about 30% replies, some joins and
reactions, one message every 13 seconds from 2024-09-21.
"""

from __future__ import annotations

import csv
import json
import random
import time
import zipfile
from collections.abc import Callable, Iterator
from pathlib import Path

from qunyun.ingest.platforms.wechat.parser import COLUMNS as WECHAT_COLUMNS

START = 1_726_900_000
STEP = 13
WORDS_ZH = ["怎么", "同步", "导出", "笔记", "插件", "谢谢", "版本", "更新", "好用", "试试"]
WORDS_EN = ["sync", "export", "notes", "plugin", "thanks", "version", "update", "works"]
PEOPLE = 8000


def _people() -> list[tuple[int, str]]:
    return [(5_000_000_000 + i, f"成员{i}" if i % 3 else f"Member {i}") for i in range(PEOPLE)]


def _text(rng: random.Random) -> str:
    words = WORDS_ZH if rng.random() < 0.7 else WORDS_EN
    return " ".join(rng.choice(words) for _ in range(rng.randint(2, 12)))


def _stream(messages: int, seed: int = 1) -> Iterator[tuple[int, int, int, str, str, int | None]]:
    """(index, epoch, person id, name, text, replied index or None) for each message."""
    rng = random.Random(seed)
    people = _people()
    for i in range(1, messages + 1):
        person, name = people[rng.randrange(PEOPLE)]
        reply = rng.randrange(max(1, i - 50), i) if i > 1 and rng.random() < 0.3 else None
        yield i, START + i * STEP, person, name, _text(rng), reply


def _iso(epoch: int, offset_hours: int = 0) -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(epoch + offset_hours * 3600))


def write_telegram(path: Path, messages: int) -> None:
    with path.open("w", encoding="utf-8") as out:
        out.write('{\n "name": "Bench 群",\n "type": "public_supergroup",\n "id": 1234567,\n')
        out.write(' "messages": [\n')
        for i, epoch, person, name, text, reply in _stream(messages):
            msg: dict = {
                "id": i,
                "type": "message",
                "date": _iso(epoch, 8),
                "date_unixtime": str(epoch),
                "from": name,
                "from_id": f"user{person}",
            }
            if reply:
                msg["reply_to_message_id"] = reply
            msg["text"] = text
            msg["text_entities"] = [{"type": "plain", "text": text}]
            if i % 20 == 0:
                msg["reactions"] = [
                    {
                        "type": "emoji",
                        "count": 2,
                        "emoji": "👍",
                        "recent": [
                            {"from": name, "from_id": f"user{person}", "date": _iso(epoch, 8)}
                        ],
                    }
                ]
            out.write("  " + json.dumps(msg, ensure_ascii=False))
            out.write(",\n" if i < messages else "\n")
        out.write(" ]\n}\n")


def write_discord(path: Path, messages: int) -> None:
    with path.open("w", encoding="utf-8") as out:
        head = {
            "guild": {"id": "900000000000000001", "name": "Bench", "iconUrl": ""},
            "channel": {
                "id": "900000000000000002",
                "type": "GuildTextChat",
                "categoryId": "900000000000000003",
                "category": "Text",
                "name": "general",
                "topic": None,
            },
            "dateRange": {"after": None, "before": None},
            "exportedAt": "2026-11-24T00:00:00+00:00",
        }
        # DiscordChatExporter writes indented JSON (two spaces); so do we.
        out.write(json.dumps(head, ensure_ascii=False, indent=2)[:-2] + ',\n  "messages": [\n')
        for i, epoch, person, name, text, reply in _stream(messages):
            msg: dict = {
                "id": str(1_000_000_000_000_000_000 + i),
                "type": "Reply" if reply else "Default",
                "timestamp": _iso(epoch) + ".123+00:00",
                "timestampEdited": None,
                "callEndedTimestamp": None,
                "isPinned": False,
                "content": text,
                "author": {
                    "id": str(person),
                    "name": f"user{person}",
                    "discriminator": "0000",
                    "nickname": name,
                    "color": None,
                    "isBot": False,
                    "roles": [],
                    "avatarUrl": "",
                },
                "attachments": [],
                "embeds": [],
                "stickers": [],
                "reactions": [],
                "mentions": [],
            }
            if reply:
                msg["reference"] = {
                    "messageId": str(1_000_000_000_000_000_000 + reply),
                    "channelId": "900000000000000002",
                    "guildId": "900000000000000001",
                }
            body = json.dumps(msg, ensure_ascii=False, indent=2).replace("\n", "\n    ")
            out.write("    " + body + (",\n" if i < messages else "\n"))
        out.write(f'  ],\n  "messageCount": {messages}\n}}\n')


def write_slack(path: Path, messages: int) -> None:
    people = _people()
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr(
            "users.json",
            json.dumps(
                [
                    {
                        "id": f"U{p}",
                        "name": f"user{p}",
                        "real_name": n,
                        "deleted": False,
                        "profile": {"display_name": n, "real_name": n},
                        "is_bot": False,
                    }
                    for p, n in people
                ],
                ensure_ascii=False,
            ),
        )
        archive.writestr(
            "channels.json",
            json.dumps(
                [
                    {
                        "id": "C0001",
                        "name": "general",
                        "created": START,
                        "creator": f"U{people[0][0]}",
                        "is_archived": False,
                        "is_general": True,
                        "members": [],
                    }
                ]
            ),
        )
        day, batch = None, []
        for i, epoch, person, _name, text, reply in _stream(messages):
            today = time.strftime("%Y-%m-%d", time.gmtime(epoch))
            if today != day and batch:
                archive.writestr(f"general/{day}.json", json.dumps(batch, ensure_ascii=False))
                batch = []
            day = today
            msg = {
                "type": "message",
                "user": f"U{person}",
                "text": text,
                "ts": f"{epoch}.{i % 1000000:06d}",
            }
            if reply:
                msg["thread_ts"] = f"{START + reply * STEP}.{reply % 1000000:06d}"
            batch.append(msg)
        if batch:
            archive.writestr(f"general/{day}.json", json.dumps(batch, ensure_ascii=False))


def write_wechat(path: Path, messages: int) -> None:
    with path.open("w", encoding="utf-8-sig", newline="") as out:
        writer = csv.writer(out)
        writer.writerow(WECHAT_COLUMNS)
        for i, epoch, person, name, text, _reply in _stream(messages):
            writer.writerow(
                [
                    i,
                    217,
                    1,
                    0,
                    0,
                    epoch,
                    2,
                    text,
                    _iso(epoch, 8).replace("T", " "),
                    "",
                    name,
                    f"wxid_{person}",
                ]
            )


def write_qq(path: Path, messages: int) -> None:
    with path.open("w", encoding="utf-8-sig") as out:
        out.write("消息记录（此消息记录为文本格式，不支持重新导入）\n\n")
        out.write("=" * 64 + "\n消息分组:我的群聊\n" + "=" * 64 + "\n")
        out.write("消息对象:Bench 群(123456789)\n" + "=" * 64 + "\n\n")
        for _i, epoch, person, name, text, _reply in _stream(messages):
            stamp = time.strftime("%Y-%m-%d %H:%M:%S", time.gmtime(epoch + 8 * 3600))
            out.write(f"{stamp} {name}({person % 10_000_000_000})\n{text}\n\n")


def write_whatsapp(path: Path, messages: int) -> None:
    with path.open("w", encoding="utf-8") as out:
        for _i, epoch, person, name, text, _reply in _stream(messages):
            stamp = time.strftime("%d/%m/%Y, %H:%M", time.gmtime(epoch + 8 * 3600))
            out.write(f"{stamp} - {name} {person % 10000}: {text}\n")


def write_discourse(path: Path, messages: int) -> None:
    with path.open("w", encoding="utf-8") as out:
        out.write('{"latest_posts": [\n')
        for i, epoch, person, name, text, _reply in _stream(messages):
            topic = 1 + (i - 1) // 20
            number = 1 + (i - 1) % 20
            post = {
                "id": messages + 1 - i,
                "name": name,
                "username": f"user{person}",
                "created_at": _iso(epoch) + ".000Z",
                "cooked": f"<p>{text}</p>",
                "raw": text,
                "post_number": number,
                "post_type": 1,
                "updated_at": _iso(epoch) + ".000Z",
                "reply_to_post_number": None if number == 1 else 1,
                "topic_id": topic,
                "topic_slug": f"t{topic}",
                "topic_title": f"话题 {topic}",
                "category_id": 5,
                "user_id": person % 1_000_000,
                "actions_summary": [],
            }
            out.write(json.dumps(post, ensure_ascii=False) + (",\n" if i < messages else "\n"))
        out.write("]}\n")


WRITERS: dict[str, tuple[str, Callable[[Path, int], None]]] = {
    "telegram": ("result.json", write_telegram),
    "discord": ("Bench - Text - general [900000000000000002].json", write_discord),
    "slack": ("slack-export.zip", write_slack),
    "wechat": ("Bench_utf8.csv", write_wechat),
    "qq": ("Bench 群.txt", write_qq),
    "whatsapp": ("WhatsApp Chat with Bench.txt", write_whatsapp),
    "discourse": ("posts.json", write_discourse),
}


def write(format_name: str, folder: Path, messages: int) -> Path:
    name, writer = WRITERS[format_name]
    path = folder / name
    writer(path, messages)
    return path
