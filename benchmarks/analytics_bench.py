"""Time the full dashboard computation three ways over a big demo community.

    .venv/bin/python benchmarks/analytics_bench.py [--members 500000] [--cache var/bench/analytics]

1. Data (cached under ``--cache``, built once): ``--members`` demo members made by the demo
   generator in chunks of ``--chunk`` (each chunk its own seed and a ``--days`` window, the
   windows' ends spread over 150 days, so that the whole history spans about 6 months and
   memory stays bounded), imported through the real ingest pipeline into SQLite, then snapshotted
   with the real snapshot code. 500k members give about 10M activities.
2. The dashboard (``compute_kpis(period="week")``: every section it has) three ways:
   Qunyun's Ibis on DuckDB, hand-written DuckDB SQL and a pandas reference, all over the
   same Parquet snapshot. Each way returns the same dict shape; the script checks that
   the three agree on every section it covers and prints times and ratios.
3. Snapshot refresh after a 100k-activity import through the real pipeline, on a copy of
   the cached workspace (the full-size base).

``COVERED`` lists the compute_kpis keys the hand SQL and pandas ways compute (now:
headline figures, daily and by-period series, growth, engagement, heatmap, top
contributors). Add a section by computing it in ``sql_way`` and ``pandas_way``, passing it
through ``_sections_from`` and naming its key in ``COVERED`` (and in
``qunyun_same_sections``); the rest of compute_kpis is timed but not compared.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import shutil
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import date, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
END = date(2026, 11, 24)
SPREAD_DAYS = 150  # the chunks' windows end this many days apart, first to last
TARGET_QUNYUN_S = 3.0
TARGET_VS_SQL = 1.3
TARGET_VS_PANDAS = 10.0
TARGET_REFRESH_S = 2.0


def _setup_django(data_dir: Path) -> None:
    os.environ["QUNYUN_DATA_DIR"] = str(data_dir)
    os.environ["QUNYUN_DATABASE_URL"] = ""
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "qunyun.settings")
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()


# --- 1. Data ----------------------------------------------------------------------------


def _chunk_records(k: int, chunks: int, members: int, days: int) -> Any:
    """Chunk ``k`` of ``chunks``: the demo generator, external ids made unique."""
    from qunyun.demo.generator import DemoPlan, generate
    from qunyun.ingest.records import ActivityRecord

    plan = DemoPlan(
        members=members,
        days=days,
        seed=1000 + k,
        end=END - timedelta(days=SPREAD_DAYS * k // max(1, chunks - 1)),
    )
    prefix = f"{k}:"
    for record in generate(plan):
        if isinstance(record, ActivityRecord):
            record.external_id = prefix + record.external_id
            if record.reply_to:
                record.reply_to = prefix + record.reply_to
        yield record


def prepare(cache: Path, members: int, chunk: int, days: int) -> dict[str, Any]:
    """Build (or reuse) the cached snapshot; return what it holds.

    The demo records go straight into the snapshot through the snapshot module's own
    Arrow functions (the rows have the shape its SQL query reads), not through the ORM:
    10M rows through SQLite would take most of an hour on this machine. Member and
    activity ids are numbered as the database would number them.
    """
    import pyarrow as pa

    from qunyun.activity import snapshot as snap
    from qunyun.ingest.records import ChannelRecord

    marker = cache / "ready.json"
    params = {"members": members, "chunk": chunk, "days": days, "spread": SPREAD_DAYS}
    if marker.exists():
        info = json.loads(marker.read_text())
        written_format = (cache / "snapshot" / "FORMAT").read_text().strip()
        same = all(info["params"].get(k) == v for k, v in params.items())
        if same and written_format == snap.SNAPSHOT_FORMAT:
            return info
    if cache.exists():
        shutil.rmtree(cache)
    base = cache / "snapshot"
    for folder in ("activities", "member_day", "channel_hour"):
        (base / folder).mkdir(parents=True)
    time_zone = "Asia/Shanghai"
    member_ids: dict[tuple[str, str], int] = {}
    bots: set[int] = set()
    channels: dict[tuple[str, str], tuple[int, str, str]] = {}
    next_id, written = 1, 0
    rows: list[tuple[Any, ...]] = []
    started = time.perf_counter()

    def flush() -> None:
        nonlocal rows, written
        if not rows:
            return
        part = snap._activities_table(rows, time_zone)
        name = f"part-1-{rows[0][0]}-{rows[-1][0]}.parquet"
        snap._write_atomically(part, base / "activities" / name)
        snap._write_atomically(snap.member_day_rollup(part), base / "member_day" / name)
        if hasattr(snap, "channel_hour_rollup"):
            snap._write_atomically(snap.channel_hour_rollup(part), base / "channel_hour" / name)
        written += len(rows)
        rows = []

    chunks = math.ceil(members / chunk)
    for k in range(chunks):
        size = min(chunk, members - k * chunk)
        for record in _chunk_records(k, chunks, size, days):
            if isinstance(record, ChannelRecord):
                key = (record.source, record.external_id)
                if key not in channels:
                    channels[key] = (len(channels) + 1, record.source, record.name)
                continue
            person = record.author
            who = (record.source, person.external_id or person.display_name)
            member = member_ids.get(who)
            if member is None:
                member = member_ids[who] = len(member_ids) + 1
                if person.is_bot:
                    bots.add(member)
            occurred = record.occurred_at
            rows.append(
                (
                    next_id,
                    member,
                    channels[(record.source, record.channel)][0],
                    record.source,
                    str(record.kind),
                    int(occurred.timestamp()) * 1_000_000 + occurred.microsecond,
                    record.external_id,
                    record.reply_to or "",
                    record.thread or "",
                    record.text,
                )
            )
            next_id += 1
            if len(rows) >= snap.FETCH_ROWS:
                flush()
        flush()
        print(
            f"  chunk {k + 1}/{chunks}: {written:,} activities, {len(member_ids):,} members "
            f"in {time.perf_counter() - started:.0f} s",
            flush=True,
        )
    ids = sorted(member_ids.values())
    snap._write_atomically(
        pa.table(
            {
                "member_id": pa.array(ids, pa.int64()),
                "is_bot": pa.array([i in bots for i in ids], pa.bool_()),
            }
        ),
        base / "members.parquet",
    )
    chans = sorted(channels.values())
    snap._write_atomically(
        pa.table(
            {
                "channel_id": pa.array([c[0] for c in chans], pa.int64()),
                "platform": pa.array([c[1] for c in chans], pa.string()),
                "name": pa.array([c[2] for c in chans], pa.string()),
            }
        ),
        base / "channels.parquet",
    )
    (base / "FORMAT").write_text(snap.SNAPSHOT_FORMAT)
    info = {
        "params": params,
        "activities": written,
        "members": len(member_ids),
        "build_s": round(time.perf_counter() - started, 1),
        "snapshot": str(base),
    }
    marker.write_text(json.dumps(info, indent=2))
    return info


# --- 2. The dashboard three ways ---------------------------------------------------------
#
# Each way returns {section: value} for the sections it covers, in compute_kpis's shape.
# The by-period arithmetic (rates from counts) is the same few lines of Python for all.


def _daily(start: date, end: date, columns: dict[str, dict[date, int]]) -> list[dict[str, Any]]:
    out = []
    for i in range((end - start).days + 1):
        day = start + timedelta(days=i)
        out.append({"date": day.isoformat(), **{c: int(v.get(day, 0)) for c, v in columns.items()}})
    return out


def _sections_from(
    head: dict[str, Any],
    daily: list[dict[str, Any]],
    by_period: list[dict[str, Any]],
    shares: tuple[float | None, float | None],
    heat: dict[int, int],
    top: list[dict[str, int]],
) -> dict[str, Any]:
    current = by_period[-1]
    grid = [[0] * 24 for _ in range(7)]
    for hour, messages in heat.items():
        grid[hour // 24][hour % 24] = int(messages)
    return {
        "headline": head,
        "series": {"daily": daily, "by_period": by_period},
        "growth": {k: current[k] for k in ("joined", "left", "net_growth", "growth_rate")},
        "engagement": {
            "engagement_rate": current["engagement_rate"],
            "messages_per_active_member": current["messages_per_active_member"],
            "reply_rate": current["reply_rate"],
            "top_1pct_share": shares[0],
            "top_10pct_share": shares[1],
        },
        "heatmap": {"hour_of_week": grid},
        "top_contributors": top,
    }


HEADLINE = (
    "as_of",
    "members_total",
    "active_members_1d",
    "active_members_7d",
    "active_members_30d",
    "stickiness",
    "new_members_30d",
    "messages_total",
)
#: What the hand SQL and pandas ways compute (compute_kpis's keys; "headline" = HEADLINE).
COVERED = ("headline", "series", "growth", "engagement", "heatmap", "top_contributors")


def qunyun_way(snapshot: Path, period: str) -> dict[str, Any]:
    """Qunyun itself: the whole dashboard, compute_kpis on DuckDB (every section it has)."""
    from qunyun.analytics.kpis import compute_kpis

    return compute_kpis(snapshot, period=period, backend="duckdb")


def qunyun_covered(kpis: dict[str, Any]) -> dict[str, Any]:
    return {"headline": {k: kpis[k] for k in HEADLINE}} | {
        k: kpis[k] for k in COVERED if k != "headline"
    }


def sql_way(snapshot: Path, period: str) -> dict[str, Any]:
    """Hand-written DuckDB SQL over the same Parquet files."""
    import duckdb

    # Only the engine work differs between the ways: turning per-period counts into the
    # series (running total, ratios) is the same pure function for all three.
    from qunyun.analytics.kpis import assemble_period_series
    from qunyun.analytics.metrics import period_start

    con = duckdb.connect(config={"threads": int(os.environ.get("QUNYUN_ANALYTICS_THREADS", "2"))})
    md = f"read_parquet('{snapshot}/member_day/*.parquet')"
    ch = f"read_parquet('{snapshot}/channel_hour/*.parquet')"
    members = f"read_parquet('{snapshot}/members.parquet')"

    def one(sql: str, *params: Any) -> Any:
        return con.execute(sql, list(params)).fetchall()

    start, end = one(f"SELECT min(day), max(day) FROM {md}")[0]
    d30, d7 = end - timedelta(days=29), end - timedelta(days=6)
    active_between = (
        f"SELECT count(DISTINCT member_id) FROM {md} WHERE n_active > 0 AND day BETWEEN ? AND ?"
    )
    # The same method as Qunyun's metric (a running sum of +1/−1 per member stretch), so
    # the comparison is of engines, not of algorithms.
    rolling = f"""
        WITH a AS (SELECT DISTINCT member_id, day FROM {md}
                   WHERE n_active > 0 AND day BETWEEN ? AND ?),
             s AS (SELECT day, lead(day) OVER (PARTITION BY member_id ORDER BY day) AS nxt,
                          day + CAST(? AS INTEGER) AS until FROM a),
             steps AS (SELECT day AS d, 1 AS step FROM s
                       UNION ALL
                       SELECT CASE WHEN nxt IS NOT NULL AND nxt < until THEN nxt ELSE until END,
                              -1 FROM s),
             agg AS (SELECT d, sum(step) AS step FROM steps GROUP BY d),
             days AS (SELECT CAST(unnest(generate_series(CAST(? AS DATE), CAST(? AS DATE),
                                                         INTERVAL 1 DAY)) AS DATE) AS d)
        SELECT d, running FROM (
            SELECT days.d, sum(coalesce(agg.step, 0)) OVER (ORDER BY days.d) AS running
            FROM days LEFT JOIN agg USING (d))
        WHERE d BETWEEN ? AND ? AND running > 0"""

    def rolling_rows(window: int) -> list[tuple[Any, ...]]:
        first = start - timedelta(days=window - 1)
        return one(rolling, first, end, window, first, end, start, end)

    mau = dict(rolling_rows(30))
    wau = dict(rolling_rows(7))
    dau = dict(
        one(f"SELECT day, count(DISTINCT member_id) FROM {md} WHERE n_active > 0 GROUP BY day")
    )
    first = f"SELECT member_id, min(day) AS first_day FROM {md} GROUP BY member_id"
    new = dict(one(f"SELECT first_day, count(*) FROM ({first}) GROUP BY first_day"))
    messages = dict(one(f"SELECT day, sum(n_messages) FROM {md} GROUP BY day"))
    sticky_days = [d for d in mau if max(start, d30) <= d <= end]
    stickiness = sum(dau.get(d, 0) / mau[d] for d in sticky_days) / len(sticky_days)
    head = {
        "as_of": end.isoformat(),
        "members_total": one(
            f"""SELECT count(*) FROM (SELECT max(last_join_at) j, max(last_leave_at) l
                FROM {md} WHERE day <= ? GROUP BY member_id)
                WHERE NOT (l IS NOT NULL AND (j IS NULL OR l > j))""",
            end,
        )[0][0],
        "active_members_1d": one(active_between, end, end)[0][0],
        "active_members_7d": one(active_between, d7, end)[0][0],
        "active_members_30d": one(active_between, d30, end)[0][0],
        "stickiness": round(stickiness, 4),
        "new_members_30d": sum(v for d, v in new.items() if d30 <= d <= end),
        "messages_total": int(sum(messages.values())),
    }
    daily = _daily(
        start,
        end,
        {"active_members": dau, "new_members": new, "messages": messages, "wau": wau, "mau": mau},
    )
    trunc = {
        "day": "day",
        "week": "CAST(date_trunc('week', day) AS DATE)",
        "month": "CAST(date_trunc('month', day) AS DATE)",
    }[period]
    values: dict[date, dict[str, int]] = {}
    rows = one(
        f"""
        WITH per AS (SELECT member_id, {trunc} AS p, max(last_join_at) lj, max(last_leave_at) ll
                     FROM {md} GROUP BY ALL),
             w AS (SELECT *, max(lj) OVER m AS js, max(ll) OVER m AS ls FROM per
                   WINDOW m AS (PARTITION BY member_id ORDER BY p ROWS UNBOUNDED PRECEDING)),
             s AS (SELECT member_id, p, CASE WHEN ls IS NOT NULL AND (js IS NULL OR ls > js)
                   THEN 0 ELSE 1 END AS is_in FROM w),
             x AS (SELECT p, is_in, coalesce(lag(is_in) OVER (PARTITION BY member_id ORDER BY p), 0) AS was_in FROM s)
        SELECT p, count(*) FILTER (is_in = 1 AND was_in = 0), count(*) FILTER (is_in = 0 AND was_in = 1)
        FROM x GROUP BY p"""
    )
    for p, joined, left in rows:
        values.setdefault(p, {}).update(joined=joined, left=left)
    for p, active in one(
        f"SELECT {trunc}, count(DISTINCT member_id) FROM {md} WHERE n_active > 0 GROUP BY 1"
    ):
        values.setdefault(p, {})["active_members"] = active
    for p, msgs, replies in one(
        f"SELECT {trunc}, sum(n_messages), sum(n_replies) FROM {md} GROUP BY 1"
    ):
        values.setdefault(p, {}).update(messages=int(msgs), replies=int(replies))
    by_period = assemble_period_series(values, start, end, period)
    share_sql = f"""
        WITH per AS (SELECT member_id, sum(n_messages) AS m FROM {md}
                     WHERE day BETWEEN ? AND ? GROUP BY member_id HAVING sum(n_messages) > 0),
             r AS (SELECT m, row_number() OVER (ORDER BY m DESC, member_id) AS rank, count(*) OVER () AS n FROM per)
        SELECT CAST(sum(m) FILTER (rank <= ceil(n * ?)) AS DOUBLE) / sum(m) FROM r"""
    current = period_start(end, period)
    shares = tuple(
        None if (v := one(share_sql, current, end, share)[0][0]) is None else round(v, 4)
        for share in (0.01, 0.10)
    )
    heat = dict(
        one(
            f"SELECT hour_of_week, sum(n_messages) FROM {ch} WHERE day BETWEEN ? AND ? GROUP BY 1",
            end - timedelta(days=27),
            end,
        )
    )
    recent = max(start, d30)
    top = [
        dict(
            zip(
                ("member_id", "messages", "replies", "reactions", "active_days"),
                map(int, row),
                strict=True,
            )
        )
        for row in one(
            f"""SELECT member_id, sum(n_messages) AS m, sum(n_replies), sum(n_reactions),
                       count(DISTINCT day) FILTER (n_active > 0)
                FROM {md} WHERE day BETWEEN ? AND ?
                  AND member_id IN (SELECT member_id FROM {members} WHERE NOT is_bot)
                GROUP BY member_id HAVING sum(n_messages) > 0
                ORDER BY m DESC, member_id LIMIT 20""",
            recent,
            end,
        )
    ]
    return _sections_from(head, daily, by_period, (shares[0], shares[1]), heat, top)


def pandas_way(snapshot: Path, period: str) -> dict[str, Any]:
    """A pandas reference: the same figures with pandas over the same Parquet files."""
    import numpy as np
    import pandas as pd

    from qunyun.analytics.kpis import assemble_period_series
    from qunyun.analytics.metrics import period_start

    md = pd.read_parquet(snapshot / "member_day")
    ch = pd.read_parquet(snapshot / "channel_hour", columns=["day", "hour_of_week", "n_messages"])
    members = pd.read_parquet(snapshot / "members.parquet")
    md["day"] = pd.to_datetime(md["day"])
    start, end = md["day"].min(), md["day"].max()
    d30, d7 = end - pd.Timedelta(days=29), end - pd.Timedelta(days=6)
    active = md.loc[md["n_active"] > 0, ["member_id", "day"]].drop_duplicates()
    dau = active.groupby("day").size()

    def rolling(window: int) -> pd.Series:
        # Each active member-day counts until the window closes or the member's next
        # active day, whichever first: distinct members per day without a cross join.
        a = active.sort_values(["member_id", "day"])
        nxt = a.groupby("member_id")["day"].shift(-1)
        stop = np.minimum(a["day"] + pd.Timedelta(days=window), nxt.fillna(pd.Timestamp.max))
        delta = (
            pd.concat([pd.Series(1, index=a["day"]), pd.Series(-1, index=stop)])
            .groupby(level=0)
            .sum()
        )
        days = pd.date_range(start, end)
        return delta.reindex(delta.index.union(days), fill_value=0).cumsum().reindex(days)

    mau, wau = rolling(30), rolling(7)
    first = md.groupby("member_id")["day"].min()
    new = first.value_counts()
    messages = md.groupby("day")["n_messages"].sum()
    window = mau[(mau.index >= max(start, d30)) & (mau > 0)]
    stickiness = (dau.reindex(window.index, fill_value=0) / window).mean()
    per = (
        md[md["day"] <= end]
        .groupby("member_id")
        .agg(j=("last_join_at", "max"), l=("last_leave_at", "max"))
    )
    left = per["l"].notna() & (per["j"].isna() | (per["l"] > per["j"]))

    def between(frame: pd.DataFrame, lo: Any, hi: Any) -> pd.DataFrame:
        return frame[(frame["day"] >= lo) & (frame["day"] <= hi)]

    head = {
        "as_of": end.date().isoformat(),
        "members_total": int((~left).sum()),
        "active_members_1d": int(between(active, end, end)["member_id"].nunique()),
        "active_members_7d": int(between(active, d7, end)["member_id"].nunique()),
        "active_members_30d": int(between(active, d30, end)["member_id"].nunique()),
        "stickiness": round(float(stickiness), 4),
        "new_members_30d": int(((first >= d30) & (first <= end)).sum()),
        "messages_total": int(messages.sum()),
    }

    def by_day(series: pd.Series) -> dict[date, int]:
        return {k.date(): int(v) for k, v in series.items()}

    daily = _daily(
        start.date(),
        end.date(),
        {
            "active_members": by_day(dau),
            "new_members": by_day(new),
            "messages": by_day(messages),
            "wau": by_day(wau),
            "mau": by_day(mau),
        },
    )
    if period == "week":
        md["p"] = md["day"] - pd.to_timedelta(md["day"].dt.weekday, unit="D")
    elif period == "month":
        md["p"] = md["day"].dt.to_period("M").dt.start_time
    else:
        md["p"] = md["day"]
    per = md.groupby(["member_id", "p"], sort=True).agg(
        lj=("last_join_at", "max"), ll=("last_leave_at", "max")
    )
    per = per.reset_index()
    g = per.groupby("member_id")
    js, ls = g["lj"].cummax(), g["ll"].cummax()
    # cummax skips NaT but leaves NaT in place: carry the last value forward.
    js, ls = js.groupby(per["member_id"]).ffill(), ls.groupby(per["member_id"]).ffill()
    per["is_in"] = (~(ls.notna() & (js.isna() | (ls > js)))).astype(int)
    per["was_in"] = per.groupby("member_id")["is_in"].shift(1).fillna(0).astype(int)
    changes = per.groupby("p").agg(
        joined=("is_in", lambda s: int(((s == 1) & (per.loc[s.index, "was_in"] == 0)).sum())),
        left=("is_in", lambda s: int(((s == 0) & (per.loc[s.index, "was_in"] == 1)).sum())),
    )
    values: dict[date, dict[str, int]] = {}
    for p, row in changes.iterrows():
        values.setdefault(p.date(), {}).update(joined=int(row["joined"]), left=int(row["left"]))
    act = md[md["n_active"] > 0].groupby("p")["member_id"].nunique()
    for p, v in act.items():
        values.setdefault(p.date(), {})["active_members"] = int(v)
    sums = md.groupby("p")[["n_messages", "n_replies"]].sum()
    for p, row in sums.iterrows():
        values.setdefault(p.date(), {}).update(
            messages=int(row["n_messages"]), replies=int(row["n_replies"])
        )
    by_period = assemble_period_series(values, start.date(), end.date(), period)
    current = pd.Timestamp(period_start(end.date(), period))
    writers = between(md, current, end).groupby("member_id")["n_messages"].sum()
    writers = (
        writers[writers > 0]
        .reset_index()
        .sort_values(["n_messages", "member_id"], ascending=[False, True])
    )

    def share(p: float) -> float | None:
        if writers.empty:
            return None
        top_n = math.ceil(len(writers) * p)
        return round(
            float(writers["n_messages"].iloc[:top_n].sum() / writers["n_messages"].sum()), 4
        )

    heat_rows = ch[(ch["day"] >= (end - pd.Timedelta(days=27)).date()) & (ch["day"] <= end.date())]
    heat = {
        int(k): int(v) for k, v in heat_rows.groupby("hour_of_week")["n_messages"].sum().items()
    }
    recent = between(md, max(start, d30), end)
    agg = recent.groupby("member_id").agg(
        messages=("n_messages", "sum"),
        replies=("n_replies", "sum"),
        reactions=("n_reactions", "sum"),
    )
    agg["active_days"] = recent[recent["n_active"] > 0].groupby("member_id")["day"].nunique()
    humans = members.loc[~members["is_bot"], "member_id"]
    agg = (
        agg[(agg["messages"] > 0) & agg.index.isin(humans)].fillna({"active_days": 0}).reset_index()
    )
    agg = agg.sort_values(["messages", "member_id"], ascending=[False, True]).head(20)
    top = [{k: int(v) for k, v in row.items()} for row in agg.to_dict("records")]
    return _sections_from(head, daily, by_period, (share(0.01), share(0.10)), heat, top)


def differences(left: Any, right: Any, path: str = "") -> list[str]:
    """Key paths where two JSON-like values differ (floats to 1e-9)."""
    if isinstance(left, dict) and isinstance(right, dict):
        if set(left) != set(right):
            return [f"{path or '<root>'}: keys {sorted(set(left) ^ set(right))}"]
        return [d for k in left for d in differences(left[k], right[k], f"{path}.{k}".strip("."))]
    if isinstance(left, list) and isinstance(right, list):
        if len(left) != len(right):
            return [f"{path}: {len(left)} vs {len(right)} items"]
        return [
            d
            for i, (a, b) in enumerate(zip(left, right, strict=True))
            for d in differences(a, b, f"{path}[{i}]")
        ]
    if isinstance(left, float) or isinstance(right, float):
        if (
            left is None
            or right is None
            or not math.isclose(left, right, rel_tol=1e-9, abs_tol=1e-12)
        ):
            return [f"{path}: {left!r} vs {right!r}"]
        return []
    return [] if left == right else [f"{path}: {left!r} vs {right!r}"]


def timed(fn: Callable[[], Any], repeat: int) -> tuple[Any, float, float]:
    """(result, first run in s, median of the next ``repeat`` runs in s)."""
    started = time.perf_counter()
    result = fn()
    first = time.perf_counter() - started
    runs = []
    for _ in range(repeat):
        started = time.perf_counter()
        fn()
        runs.append(time.perf_counter() - started)
    return result, first, statistics.median(runs) if runs else first


def qunyun_same_sections(snapshot: Path, period: str) -> dict[str, Any]:
    """Qunyun's own functions for only the sections the other two ways cover (a fair ratio)."""
    from qunyun.analytics import kpis, metrics
    from qunyun.analytics.backend import connect, execute, read_parquet

    con = connect("duckdb")
    md = read_parquet(con, snapshot / "member_day")
    members = read_parquet(con, snapshot / "members.parquet")
    start = kpis._as_date(execute(metrics.first_activity_day(md)))
    end = kpis._as_date(execute(metrics.last_activity_day(md)))

    def scalar(expr: Any) -> int:
        return int(execute(expr))

    head = {
        "as_of": end.isoformat(),
        "members_total": scalar(metrics.members_total(md, end)),
        "active_members_1d": scalar(metrics.active_members_between(md, end, end)),
        "active_members_7d": scalar(
            metrics.active_members_between(md, end - timedelta(days=6), end)
        ),
        "active_members_30d": scalar(
            metrics.active_members_between(md, end - timedelta(days=29), end)
        ),
        "stickiness": round(
            float(execute(metrics.stickiness(md, max(start, end - timedelta(days=29)), end))), 4
        ),
        "new_members_30d": scalar(metrics.new_members_between(md, end - timedelta(days=29), end)),
        "messages_total": scalar(metrics.messages_until(md, end)),
    }
    by_period = kpis.period_series(md, start, end, period)
    current = by_period[-1]
    return {
        "headline": head,
        "series": {"daily": kpis.daily_series(md, start, end), "by_period": by_period},
        "growth": {k: current[k] for k in ("joined", "left", "net_growth", "growth_rate")},
        "engagement": kpis.engagement_section(md, current, end),
        "heatmap": kpis.heatmap_section(con, snapshot / "channel_hour", end, None),
        "top_contributors": kpis.contributors_section(
            md, members, max(start, end - timedelta(days=29)), end
        ),
    }


# --- 3. Snapshot refresh after an import -------------------------------------------------


def refresh_after_import(base_members: int, added: int) -> dict[str, Any]:
    """Import ``added`` activities through the real pipeline into a workspace that already
    has a snapshot (the demo with ``base_members`` members), then time the refresh."""
    from django.core.management import call_command

    from qunyun.activity.snapshot import do_refresh_snapshot
    from qunyun.demo.generator import DemoPlan, generate
    from qunyun.ingest.pipeline import do_import_records
    from qunyun.ingest.records import ActivityRecord

    call_command("migrate", verbosity=0)
    from qunyun.workspaces.actions import do_get_or_create_workspace

    workspace = do_get_or_create_workspace("refresh", time_zone="Asia/Shanghai")
    base = do_import_records(
        workspace, generate(DemoPlan(members=base_members)), file_name="base", format_name="demo"
    )
    full = do_refresh_snapshot(workspace)
    extra, count = [], 0
    for record in _chunk_records(0, 1, max(2000, added // 25), 60):
        if isinstance(record, ActivityRecord):
            if count == added:
                break
            count += 1
        extra.append(record)
    run = do_import_records(workspace, extra, file_name="extra", format_name="demo")
    refresh = do_refresh_snapshot(workspace)
    return {
        "base_activities": base.records_read,
        "full_build_s": full.seconds,
        "imported": run.records_read,
        "import_s": run.duration_seconds,
        "refresh_added": refresh.activities_added,
        "refresh_s": refresh.seconds,
        "rebuilt": refresh.rebuilt,
    }


def _verdict(ok: bool) -> str:
    return "met" if ok else "NOT met"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--members", type=int, default=500_000)
    parser.add_argument("--chunk", type=int, default=10_000)
    parser.add_argument("--days", type=int, default=32)
    parser.add_argument("--period", default="week", choices=("day", "week", "month"))
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--whole-repeat", type=int, default=1)
    parser.add_argument("--cache", type=Path, default=ROOT / "var" / "bench" / "analytics")
    parser.add_argument("--refresh-base-members", type=int, default=2000)
    parser.add_argument("--refresh-activities", type=int, default=100_000)
    parser.add_argument("--skip-refresh", action="store_true")
    args = parser.parse_args()

    _setup_django(Path(tempfile.mkdtemp(prefix="qunyun-bench-")))
    info = prepare(args.cache.resolve(), args.members, args.chunk, args.days)
    snapshot = Path(info["snapshot"])
    print(
        f"data: {info['members']:,} members, {info['activities']:,} activities "
        f"(snapshot written in {info['build_s']} s, cached in {args.cache})",
        flush=True,
    )
    same, _, same_s = timed(lambda: qunyun_same_sections(snapshot, args.period), args.repeat)
    print(f"Qunyun, covered sections: {same_s:6.2f} s (median of {args.repeat})", flush=True)
    sql, _, sql_s = timed(lambda: sql_way(snapshot, args.period), args.repeat)
    print(f"hand-written DuckDB SQL:  {sql_s:6.2f} s (median of {args.repeat})", flush=True)
    pan, pandas_s, _ = timed(lambda: pandas_way(snapshot, args.period), 0)
    print(f"pandas reference:         {pandas_s:6.2f} s (one run)", flush=True)
    print(f"  Qunyun vs SQL (same sections): {differences(same, sql) or 'agree'}", flush=True)
    print(f"  Qunyun vs pandas (same sections): {differences(same, pan) or 'agree'}", flush=True)
    ratio = same_s / sql_s
    print(
        f"target ≤ {TARGET_VS_SQL}× hand SQL (same sections): {ratio:.2f}×, {_verdict(ratio <= TARGET_VS_SQL)}"
    )
    speedup = pandas_s / same_s
    print(
        f"target ≥ {TARGET_VS_PANDAS}× faster than pandas (same sections): {speedup:.1f}×, {_verdict(speedup >= TARGET_VS_PANDAS)}"
    )
    if not args.skip_refresh:
        r = refresh_after_import(args.refresh_base_members, args.refresh_activities)
        print(
            f"refresh after importing {r['imported']:,} activities (pipeline {r['import_s']:.1f} s) "
            f"into a {r['base_activities']:,}-activity workspace: {r['refresh_s']:.2f} s "
            f"({r['refresh_added']:,} added, rebuilt: {r['rebuilt']}); "
            f"target ≤ {TARGET_REFRESH_S} s {_verdict(r['refresh_s'] <= TARGET_REFRESH_S)}"
        )
    # Last, as it is the slowest: the whole dashboard, every section compute_kpis has.
    full, full_first, full_s = timed(lambda: qunyun_way(snapshot, args.period), args.whole_repeat)
    print(
        f"Qunyun, whole dashboard:  first {full_first:6.2f} s, then {full_s:6.2f} s (median)",
        flush=True,
    )

    covered = qunyun_covered(full)
    problems = {
        "Qunyun (sections alone) vs whole": differences(covered, same),
        "Qunyun vs SQL": differences(covered, sql),
        "Qunyun vs pandas": differences(covered, pan),
    }
    for name, found in problems.items():
        print(f"{name}: {'agree' if not found else f'{len(found)} differences'}")
        for line in found[:10]:
            print(f"    {line}")
    not_covered = sorted(set(full) - set(HEADLINE) - set(COVERED) - {"period", "channel_id"})
    print(
        f"sections compared: {', '.join(COVERED)}; Qunyun-only (timed, not compared): {', '.join(not_covered)}"
    )

    print(
        f"target ≤ {TARGET_QUNYUN_S} s for Qunyun: {full_s:.2f} s, {_verdict(full_s <= TARGET_QUNYUN_S)}"
    )
    if any(problems.values()):
        sys.exit(1)


if __name__ == "__main__":
    main()
