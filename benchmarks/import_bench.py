"""Import speed per format: Qunyun's importer, a naive bulk_create importer, chat-analytics.

    .venv/bin/python benchmarks/import_bench.py [--messages 1000000] [--formats telegram,discord]

For each format, writes an export of N messages in the platform's own format
(benchmarks/export_writers.py; ``--exports DIR`` keeps them there and reuses them), then
runs, each in its own process on a fresh SQLite database and data dir:
  qunyun     — the import into the store: parse (in a read-ahead process) + the shared
               ingest pipeline (identities, activity rows, member figures, audit event),
               all committed to SQLite; then, timed apart, the analytics snapshot refresh
               (Parquet) that `qunyun import` runs afterwards,
  baseline   — the same parser, then Django model objects written with bulk_create
               (what a straightforward Django importer does; it writes activities,
               members and identities but no member figures and no snapshot),
  chat-analytics — the open-source chat-analytics CLI (npm, 1.1.2) on the same file, for
               Telegram, Discord and WhatsApp, when Node.js and npm are present
               (installed into a temporary folder from the npm registry),
and prints messages/second of the import into the store (the snapshot refresh apart),
the CPU seconds of the importer (writer) process and of its parser process, and peak
memory (max RSS: the importer's plus its parser process's, an upper bound).
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
from qunyun.team.actions import do_get_or_create_workspace
parse = get_parser(fmt)
ws = do_get_or_create_workspace("bench")
def cpu(who):
    usage = resource.getrusage(who)
    return usage.ru_utime + usage.ru_stime
cpu_start = cpu(resource.RUSAGE_SELF)  # Django's start and the migrations are not counted
t = time.perf_counter()
if mode == "qunyun":
    from qunyun.ingest.pipeline import do_import_records
    from qunyun.activity.snapshot import do_refresh_snapshot
    run = do_import_records(ws, parse(path), file_name=str(path), format_name=fmt)
    imported = time.perf_counter() - t
    cpu_import = (cpu(resource.RUSAGE_SELF) - cpu_start, cpu(resource.RUSAGE_CHILDREN))
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
if mode == "qunyun":
    stages = {
        "import_secs": imported,
        "snapshot_secs": secs - imported,
        "writer_cpu": cpu_import[0],
        "parser_cpu": cpu_import[1],
        "snapshot_cpu": cpu(resource.RUSAGE_SELF) - cpu_start - cpu_import[0],
    }
else:
    stages = {
        "import_secs": secs,
        "writer_cpu": cpu(resource.RUSAGE_SELF) - cpu_start,
        "parser_cpu": cpu(resource.RUSAGE_CHILDREN),
    }
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
    parser.add_argument(
        "--exports", type=Path, help="keep the exports in this folder and reuse them"
    )
    args = parser.parse_args()
    cli = None if args.no_chat_analytics else chat_analytics()
    print(
        "msg/s = messages per second of the import into the store (parse, identities, "
        "activity rows, member figures, committed); the snapshot refresh is timed apart.\n"
        "CPU = process CPU seconds of the importer (writer) / its parser process.\n"
    )
    print(
        f"{'format':10} {'importer':15} {'records':>10} {'import s':>8} {'msg/s':>9} "
        f"{'CPU w/p':>13} {'snapshot':>9} {'peak RSS':>9}"
    )
    for fmt in args.formats.split(","):
        if args.exports:
            folder = args.exports / f"{fmt}-{args.messages}"
            keep = True
        else:
            folder = Path(tempfile.mkdtemp(prefix=f"qunyun-export-{fmt}-"))
            keep = False
        try:
            export = folder / WRITERS[fmt][0]
            if not export.exists():
                folder.mkdir(parents=True, exist_ok=True)
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
                secs = r.get("import_secs", r["secs"])
                rate = args.messages / secs
                note = "" if r.get("ok", True) else "  (failed)"
                cpu = (
                    f"{r['writer_cpu']:5.1f}/{r['parser_cpu']:4.1f} s" if "writer_cpu" in r else ""
                )
                snapshot = f"{r['snapshot_secs']:7.1f} s" if "snapshot_secs" in r else ""
                print(
                    f"{fmt:10} {name:15} {r['n']:>10,} {secs:>8.1f} {rate:>9,.0f} "
                    f"{cpu:>13} {snapshot:>9} {r['rss_mb']:>6,.0f} MB{note}"
                )
            ours = rows[0][1]
            line = f"{'':10} export: {size:,.0f} MiB"
            if len(rows) > 1 and rows[1][0] == "bulk_create":
                ratio = rows[1][1]["import_secs"] / ours["import_secs"]
                line += f"; qunyun import ÷ bulk_create: {ratio:.1f}× faster"
            line += (
                f"; qunyun with the snapshot: {ours['secs']:.1f} s "
                f"({args.messages / ours['secs']:,.0f} msg/s), "
                f"snapshot CPU {ours['snapshot_cpu']:.1f} s"
            )
            print(line)
        finally:
            if not keep:
                shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    main()
