"""Import speed per format: Qunyun's importer, a naive bulk_create importer, chat-analytics.

    .venv/bin/python benchmarks/import_bench.py [--messages 1000000] [--formats telegram,discord]

For each format, writes an export of N messages in the platform's own format
(benchmarks/export_writers.py), then runs, each in its own process on a fresh SQLite
database and data dir:
  qunyun     — `qunyun import`: parse + the shared ingest pipeline + snapshot refresh,
  baseline   — the same parser, then Django model objects written with bulk_create
               (what a straightforward Django importer does),
  chat-analytics — the open-source chat-analytics CLI (npm, 1.1.2) on the same file, for
               Telegram, Discord and WhatsApp, when Node.js and npm are present
               (installed into a temporary folder from the npm registry),
and prints messages/second and peak memory (max RSS) side by side, and for Qunyun the
import (parse, identities, write, member figures) and the snapshot refresh apart.
Peak memory is the importer's peak plus that of its parser process (an upper bound).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from benchmarks.export_writers import WRITERS, write, write_telegram  # noqa: E402

#: Kept for the crash test: a Telegram export of N messages.
write_export = write_telegram

CHAT_ANALYTICS = {"telegram": "telegram", "discord": "discord", "whatsapp": "whatsapp"}

CHILD = r"""
import json, os, resource, sys, time
os.environ["DJANGO_SETTINGS_MODULE"] = "qunyun.settings"
import django; django.setup()
from pathlib import Path
from django.core.management import call_command
call_command("migrate", verbosity=0)
mode, fmt, path = sys.argv[1], sys.argv[2], Path(sys.argv[3])
from qunyun.ingest.platforms import get_parser
from qunyun.ingest.records import ActivityRecord, ChannelRecord
from qunyun.workspaces.actions import do_get_or_create_workspace
parse = get_parser(fmt)
ws = do_get_or_create_workspace("bench")
t = time.perf_counter()
if mode == "qunyun":
    from qunyun.ingest.pipeline import do_import_records
    from qunyun.activity.snapshot import do_refresh_snapshot
    run = do_import_records(ws, parse(path), file_name=str(path), format_name=fmt)
    imported = time.perf_counter() - t
    do_refresh_snapshot(ws)
    n = run.records_read
else:
    from qunyun.activity.models import Activity, Channel
    from qunyun.members.models import Identity, Member
    members, channels, batch, n = {}, {}, [], 0
    for r in parse(path):
        if isinstance(r, ChannelRecord):
            channels[r.external_id] = Channel.objects.get_or_create(
                workspace=ws, platform=r.source, external_id=r.external_id,
                defaults={"name": r.name})[0]
            continue
        if r.channel not in channels:
            channels[r.channel] = Channel.objects.get_or_create(
                workspace=ws, platform=r.source, external_id=r.channel)[0]
        key = r.author.external_id or "~" + r.author.display_name
        if key not in members:
            m = Member.objects.create(workspace=ws, display_name=r.author.display_name)
            i = Identity.objects.create(workspace=ws, member=m, platform=r.source, external_id=key)
            members[key] = (m, i)
        m, i = members[key]
        batch.append(Activity(
            workspace=ws, source=r.source, channel=channels[r.channel], external_id=r.external_id,
            member=m, identity=i, kind=str(r.kind), occurred_at=r.occurred_at, text=r.text,
            reply_to=r.reply_to or "", thread=r.thread or "", attrs=r.attrs))
        n += 1
        if len(batch) >= 2000:
            Activity.objects.bulk_create(batch, batch_size=2000, ignore_conflicts=True)
            batch = []
    Activity.objects.bulk_create(batch, batch_size=2000, ignore_conflicts=True)
secs = time.perf_counter() - t
# The parser's child process counts too: the sum of both peaks bounds what was used.
rss = sum(resource.getrusage(who).ru_maxrss for who in (resource.RUSAGE_SELF, resource.RUSAGE_CHILDREN)) / 1024
stages = {"import_secs": imported, "snapshot_secs": secs - imported} if mode == "qunyun" else {}
print(json.dumps({"n": n, "secs": secs, "rss_mb": rss, **stages}))
"""


def run_child(mode: str, fmt: str, export: Path) -> dict:
    data_dir = tempfile.mkdtemp(prefix=f"qunyun-bench-{fmt}-{mode}-")
    env = {
        **os.environ,
        "QUNYUN_DATA_DIR": data_dir,
        "QUNYUN_DATABASE_URL": "",
        "PYTHONPATH": str(ROOT),
    }
    try:
        out = subprocess.run(
            [sys.executable, "-c", CHILD, mode, fmt, str(export)],
            env=env,
            capture_output=True,
            text=True,
            check=True,
        )
    finally:
        shutil.rmtree(data_dir, ignore_errors=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def chat_analytics() -> Path | None:
    """The chat-analytics 1.1.2 CLI, installed once into a temporary folder."""
    if not shutil.which("npm") or not shutil.which("node"):
        return None
    folder = Path(tempfile.gettempdir()) / "qunyun-chat-analytics"
    cli = folder / "node_modules" / ".bin" / "chat-analytics"
    if not cli.exists():
        folder.mkdir(exist_ok=True)
        subprocess.run(
            ["npm", "install", "--no-audit", "--no-fund", "chat-analytics@1.1.2"],
            cwd=folder,
            check=True,
            capture_output=True,
        )
    return cli


def run_chat_analytics(cli: Path, platform: str, export: Path, messages: int) -> dict:
    report = export.parent / "report.html"
    started = time.perf_counter()
    result = subprocess.run(
        [
            "/usr/bin/time",
            "-f",
            "%M",
            str(cli),
            "-p",
            platform,
            "-i",
            str(export),
            "-o",
            str(report),
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    secs = time.perf_counter() - started
    rss_kb = int(result.stderr.strip().splitlines()[-1]) if result.returncode == 0 else 0
    return {"n": messages, "secs": secs, "rss_mb": rss_kb / 1024, "ok": result.returncode == 0}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--messages", type=int, default=1_000_000)
    parser.add_argument("--formats", default=",".join(WRITERS))
    parser.add_argument("--no-baseline", action="store_true", help="skip the slow baseline")
    parser.add_argument(
        "--no-chat-analytics", action="store_true", help="skip chat-analytics (needs npm)"
    )
    args = parser.parse_args()
    cli = None if args.no_chat_analytics else chat_analytics()
    print(
        f"{'format':10} {'importer':15} {'records':>10} {'seconds':>8} {'msg/s':>9} {'peak RSS':>9}"
    )
    for fmt in args.formats.split(","):
        folder = Path(tempfile.mkdtemp(prefix=f"qunyun-export-{fmt}-"))
        try:
            export = write(fmt, folder, args.messages)
            size = export.stat().st_size / 2**20
            rows = [("qunyun", run_child("qunyun", fmt, export))]
            if not args.no_baseline:
                rows.append(("bulk_create", run_child("baseline", fmt, export)))
            if cli is not None and fmt in CHAT_ANALYTICS:
                rows.append(
                    (
                        "chat-analytics",
                        run_chat_analytics(cli, CHAT_ANALYTICS[fmt], export, args.messages),
                    )
                )
            for name, r in rows:
                rate = args.messages / r["secs"]
                note = "" if r.get("ok", True) else "  (failed)"
                print(
                    f"{fmt:10} {name:15} {r['n']:>10,} {r['secs']:>8.1f} {rate:>9,.0f} "
                    f"{r['rss_mb']:>6,.0f} MB{note}"
                )
            stages = rows[0][1]
            print(
                f"{'':10} export: {size:,.0f} MiB; qunyun: import (parse + write) "
                f"{stages['import_secs']:.1f} s, snapshot {stages['snapshot_secs']:.1f} s"
            )
        finally:
            shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    main()
