"""Time the demo community end to end: build, snapshot, KPIs, and the overview page.

    .venv/bin/python benchmarks/dashboard_bench.py [--members 2000] [--days 180]

Runs in a fresh temporary data dir (SQLite) and prints the figures.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from datetime import date
from pathlib import Path


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--members", type=int, default=2000)
    parser.add_argument("--days", type=int, default=180)
    parser.add_argument("--repeat", type=int, default=20)
    args = parser.parse_args()

    os.environ["QUNYUN_DATA_DIR"] = tempfile.mkdtemp(prefix="qunyun-bench-")
    os.environ["QUNYUN_DATABASE_URL"] = ""
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "qunyun.settings")
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
    import django

    django.setup()
    from django.core.cache import cache
    from django.core.management import call_command
    from django.test import Client

    from qunyun.activity.snapshot import do_refresh_snapshot, snapshot_dir
    from qunyun.analytics.kpis import compute_kpis
    from qunyun.demo.generator import DemoPlan, generate
    from qunyun.ingest.pipeline import do_import_records
    from qunyun.team.actions import do_add_workspace_member, do_get_or_create_workspace

    call_command("migrate", verbosity=0)
    workspace = do_get_or_create_workspace("bench")
    plan = DemoPlan(members=args.members, days=args.days, seed=7, end=date(2026, 11, 24))

    started = time.perf_counter()
    records = list(generate(plan))
    generate_s = time.perf_counter() - started
    run = do_import_records(workspace, records, file_name="bench", format_name="demo")
    refresh = do_refresh_snapshot(workspace)
    cold = time.perf_counter()
    kpis = compute_kpis(snapshot_dir(workspace))
    cold_s = time.perf_counter() - cold
    warm = []
    for _ in range(5):
        t = time.perf_counter()
        compute_kpis(snapshot_dir(workspace))
        warm.append(time.perf_counter() - t)

    from django.contrib.auth import get_user_model

    user = get_user_model().objects.create_user("bench", password="bench-password-1")
    do_add_workspace_member(workspace, user)
    client = Client(HTTP_HOST="127.0.0.1")
    client.force_login(user)
    cache.clear()
    t = time.perf_counter()
    assert client.get("/w/bench/").status_code == 200
    page_cold = time.perf_counter() - t
    page_warm = []
    for _ in range(args.repeat):
        t = time.perf_counter()
        assert client.get("/w/bench/").status_code == 200
        page_warm.append(time.perf_counter() - t)

    print(f"demo: {args.members} members, {args.days} days, {run.records_read:,} activities")
    print(f"generate records:          {generate_s:6.2f} s")
    print(
        f"import (pipeline):         {run.duration_seconds:6.2f} s "
        f"= {run.records_read / (run.duration_seconds or 1):,.0f} activities/s"
    )
    print(f"snapshot build (full):     {refresh.seconds:6.2f} s")
    print(f"KPIs, first computation:   {cold_s * 1000:6.0f} ms")
    print(f"KPIs, again (median):      {statistics.median(warm) * 1000:6.0f} ms")
    print(f"overview page, cold cache: {page_cold * 1000:6.0f} ms")
    print(f"overview page, cached:     {statistics.median(page_warm) * 1000:6.1f} ms (median)")
    print(f"members total {kpis['members_total']}, messages {kpis['messages_total']:,}")


if __name__ == "__main__":
    main()
