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
import urllib.request
from datetime import date
from pathlib import Path

import aiohttp

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
    from qunyun.team.actions import do_add_workspace_member, do_get_or_create_workspace
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
    client: aiohttp.ClientSession,
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
                async with client.get(url(), headers={"Cookie": cookie}) as response:
                    await response.read()
                    if response.status != 200:
                        errors.append(f"{name}: HTTP {response.status}")
            except (aiohttp.ClientError, TimeoutError) as error:
                errors.append(f"{name}: {error!r}")
                continue
            timings[name].append(time.perf_counter() - started)
            await asyncio.sleep(rng.uniform(0, 2 * think))
            if time.monotonic() >= until:
                return


async def load(
    base: str,
    cookies: list[str],
    member_ids: list[int],
    seconds: float,
    think: float,
    server_pid: int,
) -> tuple[dict[str, list[float]], list[str], float]:
    timings: dict[str, list[float]] = {"dashboard": [], "member list": [], "member profile": []}
    errors: list[str] = []
    # aiohttp rather than httpx: the client shares the 2 cores with the server, and
    # httpx spent ~13 ms of CPU per request (a third of a core at 28 pages/s).
    connector = aiohttp.TCPConnector(limit=len(cookies))
    timeout = aiohttp.ClientTimeout(total=30)
    # No shared cookie jar: each simulated user sends only its own session cookie.
    jar = aiohttp.DummyCookieJar()
    async with aiohttp.ClientSession(
        base, connector=connector, timeout=timeout, cookie_jar=jar
    ) as client:

        async def fetch(url: str, cookie: str) -> None:
            async with client.get(url, headers={"Cookie": cookie}) as response:
                await response.read()

        for cookie in cookies[:3]:  # warm every cache the pages use
            for url in ("/w/demo/", "/w/demo/members/"):
                await fetch(url, cookie)
        profiles = [f"/w/demo/members/{member_id}/" for member_id in member_ids]
        for start in range(0, len(profiles), 20):  # 20 at a time, like the server's threads
            await asyncio.gather(*[fetch(url, cookies[0]) for url in profiles[start : start + 20]])
        server_cpu = process_tree_cpu_seconds(server_pid)
        started = time.monotonic()
        until = started + seconds
        await asyncio.gather(
            *[
                one_user(client, c, member_ids, think, until, timings, errors, random.Random(i))
                for i, c in enumerate(cookies)
            ]
        )
        elapsed = time.monotonic() - started
        LOAD_CPU["server"] = process_tree_cpu_seconds(server_pid) - server_cpu
    return timings, errors, elapsed


#: CPU seconds the server's processes spent during the measured run (set by load()).
LOAD_CPU: dict[str, float] = {}


def process_tree_cpu_seconds(pid: int) -> float:
    """User + system CPU seconds of ``pid`` and all its living descendants (Linux /proc)."""
    ticks = os.sysconf("SC_CLK_TCK")
    parents: dict[int, int] = {}
    cpu: dict[int, float] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            parents[int(entry.name)] = int(fields[1])
            cpu[int(entry.name)] = (int(fields[11]) + int(fields[12])) / ticks
    tree, grew = {pid}, True
    while grew:
        more = {child for child, parent in parents.items() if parent in tree} - tree
        tree |= more
        grew = bool(more)
    return sum(cpu.get(p, 0.0) for p in tree)


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
                with urllib.request.urlopen(f"{base}/accounts/login/", timeout=2) as answer:  # noqa: S310 — our own server on loopback
                    if answer.status == 200:
                        break
            except OSError:
                pass
            if time.monotonic() > deadline or server.poll() is not None:
                raise SystemExit("the server did not start")
            time.sleep(0.3)
        print(
            f"Load: {args.users} users × {args.seconds:.0f} s, think time ~{args.think} s, "
            f"gunicorn {args.workers} workers × {args.threads} threads, DEBUG off."
        )
        client_cpu = time.process_time()
        timings, errors, elapsed = asyncio.run(
            load(base, cookies, member_ids, args.seconds, args.think, server.pid)
        )
        client_cpu = time.process_time() - client_cpu
        server_cpu = LOAD_CPU["server"]
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
    print(
        f"CPU over the run ({os.cpu_count()} cores, {elapsed:.0f} s): server "
        f"{server_cpu:.1f} s ({server_cpu / elapsed:.2f} cores, "
        f"{server_cpu / max(total, 1) * 1000:.1f} ms per request), load client "
        f"{client_cpu:.1f} s ({client_cpu / elapsed:.2f} cores)"
    )
    for name in ("dashboard", "member profile"):
        p99 = percentile([v * 1000 for v in timings[name]], 99)
        verdict = "met" if p99 < 150 else "NOT met"
        print(f"target p99 < 150 ms for {name}: {p99:.1f} ms — {verdict}")


if __name__ == "__main__":
    main()
