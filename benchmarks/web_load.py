"""Load the web app like a team would: N concurrent users against the production server.

    .venv/bin/python benchmarks/web_load.py [--users 100] [--seconds 60] [--think 1.0]
        [--members 2000] [--days 180] [--workers 5] [--threads 4]

Builds the demo community in a fresh data dir (SQLite), starts `qunyun serve` (gunicorn,
DEBUG off) on 127.0.0.1, logs every simulated user in with a real session, warms the
caches, then runs closed-loop users: each repeatedly opens the overview (dashboard), the
member list and a random member's profile, pausing a random think time (uniform
0..2×--think seconds) between pages, like a person reading. Prints requests per second
and p50/p95/p99 latency per page; the target is p99 < 150 ms for the cached dashboard and
profile pages at 100 users.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[1]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def prepare(members: int, days: int, users: int) -> tuple[list[str], list[int]]:
    """Demo community, one Django session per simulated user; returns cookies and member ids."""
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "qunyun.settings")
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()
    from django.conf import settings
    from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
    from django.contrib.auth.models import User
    from django.contrib.sessions.backends.db import SessionStore
    from django.core.management import call_command

    from qunyun.activity.snapshot import do_refresh_snapshot
    from qunyun.demo.generator import DemoPlan, generate
    from qunyun.ingest.pipeline import do_import_records
    from qunyun.members.models import Member
    from qunyun.workspaces.actions import do_add_workspace_member, do_get_or_create_workspace
    from qunyun.workspaces.models import Role

    call_command("migrate", verbosity=0)
    workspace = do_get_or_create_workspace("demo")
    plan = DemoPlan(members=members, days=days, seed=7, end=date(2026, 11, 24))
    do_import_records(workspace, generate(plan), file_name="demo", format_name="demo")
    do_refresh_snapshot(workspace)
    cookies = []
    for n in range(users):
        user = User.objects.create_user(f"operator{n}", password=f"pw-{n}-load-test")
        do_add_workspace_member(workspace, user, Role.ANALYST)
        session = SessionStore()
        session[SESSION_KEY] = str(user.pk)
        session[BACKEND_SESSION_KEY] = "django.contrib.auth.backends.ModelBackend"
        session[HASH_SESSION_KEY] = user.get_session_auth_hash()
        session.create()
        cookies.append(f"{settings.SESSION_COOKIE_NAME}={session.session_key}")
    ids = list(
        Member.objects.filter(workspace=workspace, is_bot=False).values_list("id", flat=True)
    )
    return cookies, ids


async def one_user(
    client: httpx.AsyncClient,
    cookie: str,
    member_ids: list[int],
    think: float,
    until: float,
    timings: dict[str, list[float]],
    errors: list[str],
    rng: random.Random,
) -> None:
    pages = [
        ("dashboard", lambda: "/w/demo/"),
        ("member list", lambda: f"/w/demo/members/?page={rng.randint(1, 20)}"),
        ("member profile", lambda: f"/w/demo/members/{rng.choice(member_ids)}/"),
    ]
    await asyncio.sleep(rng.uniform(0, 2 * think))  # users do not all arrive at once
    while time.monotonic() < until:
        for name, url in pages:
            started = time.perf_counter()
            try:
                response = await client.get(url(), headers={"Cookie": cookie})
                if response.status_code != 200:
                    errors.append(f"{name}: HTTP {response.status_code}")
            except httpx.HTTPError as error:
                errors.append(f"{name}: {error!r}")
                continue
            timings[name].append(time.perf_counter() - started)
            await asyncio.sleep(rng.uniform(0, 2 * think))
            if time.monotonic() >= until:
                return


async def load(
    base: str, cookies: list[str], member_ids: list[int], seconds: float, think: float
) -> tuple[dict[str, list[float]], list[str], float]:
    timings: dict[str, list[float]] = {"dashboard": [], "member list": [], "member profile": []}
    errors: list[str] = []
    limits = httpx.Limits(max_connections=len(cookies), max_keepalive_connections=len(cookies))
    async with httpx.AsyncClient(base_url=base, limits=limits, timeout=30) as client:
        for cookie in cookies[:3]:  # warm every cache the pages use
            for url in ("/w/demo/", "/w/demo/members/"):
                await client.get(url, headers={"Cookie": cookie})
        for member_id in member_ids:
            await client.get(f"/w/demo/members/{member_id}/", headers={"Cookie": cookies[0]})
        started = time.monotonic()
        until = started + seconds
        await asyncio.gather(
            *[
                one_user(client, c, member_ids, think, until, timings, errors, random.Random(i))
                for i, c in enumerate(cookies)
            ]
        )
        elapsed = time.monotonic() - started
    return timings, errors, elapsed


def percentile(values: list[float], p: float) -> float:
    if not values:
        return float("nan")
    return statistics.quantiles(values, n=100, method="inclusive")[int(p) - 1]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--users", type=int, default=100)
    parser.add_argument("--seconds", type=float, default=60)
    parser.add_argument("--think", type=float, default=1.0, help="mean think time (s)")
    parser.add_argument("--members", type=int, default=2000)
    parser.add_argument("--days", type=int, default=180)
    parser.add_argument("--workers", type=int, default=5)
    parser.add_argument("--threads", type=int, default=4)
    args = parser.parse_args()

    data_dir = tempfile.mkdtemp(prefix="qunyun-load-")
    os.environ |= {
        "QUNYUN_DATA_DIR": data_dir,
        "QUNYUN_DATABASE_URL": "",
        "QUNYUN_DEBUG": "0",
        "QUNYUN_LANGUAGE": "en",
    }
    print(f"Building the demo community ({args.members} members, {args.days} days)…")
    cookies, member_ids = prepare(args.members, args.days, args.users)
    port = free_port()
    server = subprocess.Popen(  # noqa: S603 — our own interpreter and command
        [sys.executable, "-m", "qunyun", "serve", f"127.0.0.1:{port}", "--no-worker",
         "--workers", str(args.workers), "--threads", str(args.threads)],
        env=os.environ.copy(),
        stdout=subprocess.DEVNULL,
    )  # fmt: skip
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                if httpx.get(f"{base}/accounts/login/", timeout=2).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if time.monotonic() > deadline or server.poll() is not None:
                raise SystemExit("the server did not start")
            time.sleep(0.3)
        print(
            f"Load: {args.users} users × {args.seconds:.0f} s, think time ~{args.think} s, "
            f"gunicorn {args.workers} workers × {args.threads} threads, DEBUG off."
        )
        timings, errors, elapsed = asyncio.run(
            load(base, cookies, member_ids, args.seconds, args.think)
        )
    finally:
        server.terminate()
        server.wait(timeout=20)

    total = sum(len(v) for v in timings.values())
    print(f"\n{'page':<16}{'requests':>10}{'req/s':>9}{'p50 ms':>9}{'p95 ms':>9}{'p99 ms':>9}")
    for name, values in timings.items():
        ms = [v * 1000 for v in values]
        print(
            f"{name:<16}{len(values):>10}{len(values) / elapsed:>9.1f}"
            f"{percentile(ms, 50):>9.1f}{percentile(ms, 95):>9.1f}{percentile(ms, 99):>9.1f}"
        )
    print(f"{'all':<16}{total:>10}{total / elapsed:>9.1f}")
    print(f"errors: {len(errors)}" + (f" (first: {errors[0]})" if errors else ""))
    for name in ("dashboard", "member profile"):
        p99 = percentile([v * 1000 for v in timings[name]], 99)
        verdict = "met" if p99 < 150 else "NOT met"
        print(f"target p99 < 150 ms for {name}: {p99:.1f} ms — {verdict}")


if __name__ == "__main__":
    main()
