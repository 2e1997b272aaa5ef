"""Import speed: a generated Telegram Desktop export through `qunyun import telegram`.

    .venv/bin/python benchmarks/import_bench.py [--messages 200000]

Writes a realistic export (a supergroup, members joining, Chinese and English text, text
given as entity lists, replies, reactions with recent reactors) to a temporary folder,
then runs, each in its own process on a fresh SQLite database:
  parse     — the parser alone (records/s),
  qunyun    — parse + the shared ingest pipeline + snapshot refresh (`qunyun import`),
  baseline  — parse, then Django model objects and bulk_create (the naive importer),
and prints messages/second and peak memory (max RSS) for each.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
WORDS_ZH = ["怎么", "同步", "导出", "笔记", "插件", "谢谢", "版本", "更新", "好用", "试试"]
WORDS_EN = ["sync", "export", "notes", "plugin", "thanks", "version", "update", "works"]


def write_export(path: Path, messages: int, seed: int = 1) -> None:
    rng = random.Random(seed)
    users = [
        (f"user{5_000_000_000 + i}", f"成员{i}" if i % 3 else f"Member {i}") for i in range(8000)
    ]
    start = 1_726_900_000
    with path.open("w", encoding="utf-8") as out:
        out.write(
            '{\n "name": "Bench 群",\n "type": "public_supergroup",\n "id": 1234567,\n "messages": [\n'
        )
        for i in range(1, messages + 1):
            ts = start + i * 13
            uid, name = users[rng.randrange(len(users))]
            local = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(ts + 8 * 3600))
            msg: dict = {"id": i, "type": "message", "date": local, "date_unixtime": str(ts)}
            roll = rng.random()
            if roll < 0.02:
                msg = {
                    "id": i,
                    "type": "service",
                    "date": local,
                    "date_unixtime": str(ts),
                    "actor": name,
                    "actor_id": uid,
                    "action": "join_group_by_link",
                    "inviter": "Group",
                    "text": "",
                    "text_entities": [],
                }
            else:
                words = WORDS_ZH if rng.random() < 0.7 else WORDS_EN
                text = " ".join(rng.choice(words) for _ in range(rng.randint(2, 12)))
                msg.update({"from": name, "from_id": uid})
                if roll < 0.3 and i > 1:
                    msg["reply_to_message_id"] = rng.randrange(max(1, i - 50), i)
                if roll > 0.9:
                    msg["text"] = [text + " ", {"type": "link", "text": "https://example.com"}, ""]
                    msg["text_entities"] = [
                        {"type": "plain", "text": text + " "},
                        {"type": "link", "text": "https://example.com"},
                    ]
                else:
                    msg["text"] = text
                    msg["text_entities"] = [{"type": "plain", "text": text}]
                if roll > 0.95:
                    ruid, rname = users[rng.randrange(len(users))]
                    msg["reactions"] = [
                        {
                            "type": "emoji",
                            "count": 3,
                            "emoji": "👍",
                            "recent": [{"from": rname, "from_id": ruid, "date": local}],
                        }
                    ]
            out.write(
                "  " + json.dumps(msg, ensure_ascii=False) + (",\n" if i < messages else "\n")
            )
        out.write(" ]\n}\n")


CHILD = r"""
import os, resource, sys, time, json
os.environ["DJANGO_SETTINGS_MODULE"] = "qunyun.settings"
import django; django.setup()
from pathlib import Path
from django.core.management import call_command
call_command("migrate", verbosity=0)
mode, path = sys.argv[1], Path(sys.argv[2])
from qunyun.ingest.platforms import get_parser
from qunyun.ingest.records import ActivityRecord
parse = get_parser("telegram")
t = time.perf_counter()
if mode == "parse":
    n = sum(1 for r in parse(path) if isinstance(r, ActivityRecord))
elif mode == "qunyun":
    from qunyun.workspaces.actions import do_get_or_create_workspace
    from qunyun.ingest.pipeline import do_import_records
    from qunyun.activity.snapshot import do_refresh_snapshot
    ws = do_get_or_create_workspace("bench")
    run = do_import_records(ws, parse(path), file_name=str(path), format_name="telegram")
    do_refresh_snapshot(ws)
    n = run.records_read
else:
    from qunyun.workspaces.actions import do_get_or_create_workspace
    from qunyun.activity.models import Activity, Channel
    from qunyun.members.models import Identity, Member
    from qunyun.ingest.records import ChannelRecord
    ws = do_get_or_create_workspace("bench")
    members, channels, batch, n = {}, {}, [], 0
    for r in parse(path):
        if isinstance(r, ChannelRecord):
            channels[r.external_id] = Channel.objects.create(workspace=ws, platform=r.source, external_id=r.external_id, name=r.name)
            continue
        key = r.author.external_id or r.author.display_name
        if key not in members:
            m = Member.objects.create(workspace=ws, display_name=r.author.display_name)
            Identity.objects.create(workspace=ws, member=m, platform=r.source, external_id=key)
            members[key] = m
        batch.append(Activity(workspace=ws, source=r.source, channel=channels[r.channel], external_id=r.external_id,
                              member=members[key], kind=str(r.kind), occurred_at=r.occurred_at, text=r.text,
                              reply_to=r.reply_to or "", thread=r.thread or "", attrs=r.attrs))
        n += 1
        if len(batch) >= 2000:
            Activity.objects.bulk_create(batch, batch_size=2000, ignore_conflicts=True); batch = []
    Activity.objects.bulk_create(batch, batch_size=2000, ignore_conflicts=True)
secs = time.perf_counter() - t
print(json.dumps({"n": n, "secs": secs, "rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}))
"""


def run_mode(mode: str, export: Path) -> dict:
    data_dir = tempfile.mkdtemp(prefix=f"qunyun-import-{mode}-")
    env = {
        **os.environ,
        "QUNYUN_DATA_DIR": data_dir,
        "QUNYUN_DATABASE_URL": "",
        "PYTHONPATH": str(ROOT),
    }
    out = subprocess.run(
        [sys.executable, "-c", CHILD, mode, str(export)],
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--messages", type=int, default=200_000)
    parser.add_argument("--modes", default="parse,qunyun,baseline")
    args = parser.parse_args()
    folder = Path(tempfile.mkdtemp(prefix="qunyun-export-"))
    export = folder / "result.json"
    t = time.perf_counter()
    write_export(export, args.messages)
    size = export.stat().st_size / 2**20
    print(
        f"export: {args.messages:,} messages, {size:,.0f} MiB, written in {time.perf_counter() - t:.1f} s"
    )
    print(f"{'mode':10} {'records':>10} {'seconds':>8} {'records/s':>10} {'peak RSS':>9}")
    for mode in args.modes.split(","):
        r = run_mode(mode, export)
        print(
            f"{mode:10} {r['n']:>10,} {r['secs']:>8.2f} {r['n'] / r['secs']:>10,.0f} {r['rss_mb']:>7,.0f} MB"
        )


if __name__ == "__main__":
    main()
