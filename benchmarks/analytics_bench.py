"""Time the full dashboard computation three ways over a big demo community.

    .venv/bin/python benchmarks/analytics_bench.py [--members 500000] [--cache var/bench/analytics]

1. Data (cached under ``--cache``, built once): ``--members`` demo members made by the demo
   generator in chunks of ``--chunk`` (each chunk its own seed and a ``--days`` window, the
   windows' ends spread over 150 days, so that the whole history spans about 6 months and
   memory stays bounded), written straight into the Parquet snapshot with the snapshot
   module's own Arrow functions (see :func:`prepare`). 500k members give about 10M
   activities.
2. The dashboard (``compute_kpis(period="week")``: every section it has) three ways:
   Qunyun's Ibis on DuckDB, hand-written DuckDB SQL and a pandas reference, all over the
   same Parquet snapshot and with the same methods. Each way returns the same dict shape;
   the script checks that the three agree on every section and prints wall and CPU times
   and ratios (Qunyun and the SQL take turns run by run, so that load from other jobs on a
   shared machine falls on both alike).
3. Snapshot refresh after a 100k-activity import through the real pipeline, into a
   fresh demo workspace (``--refresh-base-members``) and, with ``--refresh-on-cache``,
   into a workspace whose snapshot is the cached full-size one (its members created in
   the database, the watermark at its last activity).

``COVERED`` lists the compute_kpis sections the hand SQL and pandas ways compute: all of
them (a new section of ``Kpis`` must be added to ``sql_way`` and ``pandas_way`` too — the
script names the sections it does not compare). The headline's keys and the sections come
from ``qunyun.analytics.kpi_types``, the one declaration of compute_kpis's shape.
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
from collections.abc import Callable, Mapping, Sequence
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

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
    by_period: Sequence[Mapping[str, Any]],
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


#: What the hand SQL and pandas ways compute: "headline" (kpi_types.HEADLINE_KEYS) and
#: these sections of kpi_types.SECTION_KEYS.
COVERED = (
    "headline",
    "series",
    "growth",
    "engagement",
    "heatmap",
    "top_contributors",
    "questions",
    "retention",
    "lifecycle",
    "silent_members",
    "segments",
)


def qunyun_way(snapshot: Path, period: str) -> Mapping[str, Any]:
    """Qunyun itself: the whole dashboard, compute_kpis on DuckDB (every section it has)."""
    from qunyun.analytics.kpis import compute_kpis

    return compute_kpis(snapshot, period=period, backend="duckdb")


def qunyun_covered(kpis: Mapping[str, Any]) -> dict[str, Any]:
    from qunyun.analytics.kpi_types import HEADLINE_KEYS

    return {"headline": {k: kpis[k] for k in HEADLINE_KEYS}} | {
        k: kpis[k] for k in COVERED if k != "headline"
    }


def sql_way(snapshot: Path, period: str) -> dict[str, Any]:
    """Hand-written DuckDB SQL over the same Parquet files."""
    import duckdb

    from qunyun.analytics.metrics import period_start

    # Only the engine work differs between the ways: turning per-period counts into the
    # series (running total, ratios) is the same pure function for all three.
    from qunyun.analytics.series import assemble_period_series

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
    return _sections_from(head, daily, by_period, (shares[0], shares[1]), heat, top) | (
        sql_more_sections(con, snapshot, start, end, period)
    )


def pandas_way(snapshot: Path, period: str) -> dict[str, Any]:
    """A pandas reference: the same figures with pandas over the same Parquet files."""
    import numpy as np
    import pandas as pd

    from qunyun.analytics.metrics import period_start
    from qunyun.analytics.series import assemble_period_series

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
    return _sections_from(head, daily, by_period, (share(0.01), share(0.10)), heat, top) | (
        pandas_more_sections(md, members, snapshot, start.date(), end.date(), period)
    )


def _period_index_sql(period: str, start: date) -> str:
    """SQL for the number of the period holding ``day``, the period of ``start`` being 0."""
    s = f"DATE '{start.isoformat()}'"
    if period == "day":
        return f"(day - {s})"
    if period == "week":
        return f"((CAST(date_trunc('week', day) AS DATE) - CAST(date_trunc('week', {s}) AS DATE)) // 7)"
    return f"(12 * (year(day) - year({s})) + month(day) - month({s}))"


def sql_more_sections(
    con: Any, snapshot: Path, start: date, end: date, period: str
) -> dict[str, Any]:
    """Questions, retention, lifecycle, silent members and segments in hand-written SQL."""
    from qunyun.analytics import cohorts, response, segments
    from qunyun.analytics.kpis import RECENT_DAYS, RETENTION_WEEKS

    md = f"read_parquet('{snapshot}/member_day/*.parquet')"
    acts = f"read_parquet('{snapshot}/activities/*.parquet')"
    members = f"read_parquet('{snapshot}/members.parquet')"
    recent = max(start, end - timedelta(days=RECENT_DAYS - 1))
    window_s = int(response.UNLINKED_RESPONSE_WINDOW.total_seconds())
    # Questions: a reply link, or (in a channel without any reply up to the end) the first
    # message by someone else after the question in its stream within 24 hours.
    frame = con.execute(
        f"""
        WITH linked AS (SELECT DISTINCT channel_id FROM {md} WHERE n_replies > 0 AND day <= $end),
             w AS (SELECT id, member_id, channel_id, occurred_at, external_id, reply_to, thread,
                          is_question FROM {acts}
                   WHERE kind IN ('message', 'reply') AND day BETWEEN $start AND $end
                     AND member_id IN (SELECT member_id FROM {members} WHERE NOT is_bot)),
             q AS (SELECT * FROM w WHERE is_question),
             by_link AS (SELECT q.id, r.occurred_at AS resp_at FROM q JOIN w r
                         ON r.channel_id = q.channel_id AND r.reply_to = q.external_id
                         WHERE r.member_id <> q.member_id AND r.occurred_at >= q.occurred_at),
             uq AS (SELECT * FROM q WHERE channel_id NOT IN (SELECT channel_id FROM linked)),
             nearby AS (SELECT uq.id, r.occurred_at AS resp_at FROM uq JOIN w r
                        ON r.channel_id = uq.channel_id
                        WHERE (coalesce(uq.thread, '') = '' OR r.thread = uq.thread)
                          AND (r.occurred_at > uq.occurred_at
                               OR (r.occurred_at = uq.occurred_at AND r.id > uq.id))
                          AND r.occurred_at <= uq.occurred_at + to_seconds($window)
                          AND r.member_id <> uq.member_id),
             firsts AS (SELECT id, min(resp_at) AS first_response_at
                        FROM (SELECT * FROM by_link UNION ALL SELECT * FROM nearby) GROUP BY id)
        SELECT q.id AS activity_id, q.member_id, q.channel_id, q.occurred_at,
               firsts.first_response_at
        FROM q LEFT JOIN firsts USING (id)""",
        {"start": recent, "end": end, "window": window_s},
    ).df()
    out: dict[str, Any] = {"questions": response.summarise_questions(frame)}

    # Retention (weeks) and lifecycle (``period``): first-seen and active period indexes.
    def first_and_active(p: str) -> str:
        idx = _period_index_sql(p, start)
        return f"""t AS (SELECT *, {idx} AS idx FROM {md} WHERE day <= $end),
             f AS (SELECT member_id, min(idx) AS first_idx FROM t GROUP BY member_id),
             a AS (SELECT DISTINCT member_id, idx FROM t WHERE n_active > 0)"""

    weeks = cohorts.period_starts(start, end, "week")
    sizes = dict(
        con.execute(
            f"WITH {first_and_active('week')} SELECT first_idx, count(*) FROM f GROUP BY 1",
            {"end": end},
        ).fetchall()
    )
    active = {
        (c, o): n
        for c, o, n in con.execute(
            f"""WITH {first_and_active("week")}
                SELECT first_idx, idx - first_idx, count(DISTINCT member_id)
                FROM a JOIN f USING (member_id) GROUP BY ALL""",
            {"end": end},
        ).fetchall()
    }
    out["retention"] = cohorts.assemble_retention(weeks, sizes, active, RETENTION_WEEKS)
    out["lifecycle"] = cohorts.assemble_lifecycle(
        cohorts.period_starts(start, end, period),
        con.execute(
            f"""WITH {first_and_active(period)},
                s AS (SELECT a.idx, f.first_idx,
                             lag(a.idx) OVER m AS prev_idx, lead(a.idx) OVER m AS next_idx
                      FROM a JOIN f USING (member_id)
                      WINDOW m AS (PARTITION BY a.member_id ORDER BY a.idx))
                SELECT idx, CASE WHEN idx = first_idx THEN 'new'
                                 WHEN prev_idx = idx - 1 THEN 'returning'
                                 ELSE 'resurrecting' END AS state, count(*)
                FROM s GROUP BY ALL
                UNION ALL
                SELECT idx + 1, 'dormant', count(*) FROM s
                WHERE next_idx IS NULL OR next_idx > idx + 1 GROUP BY ALL""",
            {"end": end},
        ).fetchall(),
    )

    # Per human member: presence, activity windows and the decayed engagement score.
    rules = segments.rules_for({})
    first = con.execute(f"SELECT min(day) FROM {md} WHERE day <= $end", {"end": end}).fetchall()[0][
        0
    ]
    days = [first + timedelta(days=i) for i in range((end - first).days + 1)]
    decay = pd.DataFrame(  # the same factors as Qunyun's decay calendar
        {"day": days, "decay": [0.5 ** ((end - d).days / rules.half_life_days) for d in days]}
    )
    con.register("decay_days", decay)
    w = rules.weights
    recent_start = end - timedelta(days=rules.at_risk_recent_days - 1)
    baseline_start = recent_start - timedelta(days=rules.at_risk_baseline_days)
    window_start = end - timedelta(days=rules.active_days_window - 1)
    features = f"""
        rows AS (SELECT md.*, (0.0 + (n_messages - n_replies) * CAST({w["message"]} AS DOUBLE)
                              + n_replies * CAST({w["reply"]} AS DOUBLE)
                              + n_reactions * CAST({w["reaction"]} AS DOUBLE)
                              + n_posts * CAST({w["post"]} AS DOUBLE)
                              + n_comments * CAST({w["comment"]} AS DOUBLE)
                              + n_events_registered * CAST({w["event_registered"]} AS DOUBLE)
                              + n_events_attended * CAST({w["event_attended"]} AS DOUBLE)
                              + n_surveys_answered * CAST({w["survey_answered"]} AS DOUBLE)
                              + n_purchases * CAST({w["purchase"]} AS DOUBLE)) * decay AS points
                 FROM {md} md JOIN decay_days USING (day) WHERE md.day <= $end),
        per_day AS (SELECT member_id, day, sum(n_active) AS n_active, sum(points) AS points,
                           max(last_join_at) AS lj, max(last_leave_at) AS ll
                    FROM rows GROUP BY member_id, day),
        f AS (SELECT member_id, min(day) AS first_day, sum(n_active) AS active_total,
                     max(day) FILTER (n_active > 0) AS last_active_day,
                     coalesce(max(ll) IS NOT NULL AND (max(lj) IS NULL OR max(ll) > max(lj)), false)
                         AS has_left,
                     count(*) FILTER (n_active > 0 AND day >= $window_start) AS active_days,
                     coalesce(sum(n_active) FILTER (day >= $recent_start), 0) AS recent_count,
                     coalesce(sum(n_active) FILTER (day >= $baseline_start AND day < $recent_start), 0)
                         AS baseline_count,
                     count(*) FILTER (n_active > 0 AND day >= $baseline_start AND day < $recent_start)
                         AS baseline_days,
                     coalesce(sum(points), 0.0) AS score
              FROM per_day
              WHERE member_id IN (SELECT member_id FROM {members} WHERE NOT is_bot)
              GROUP BY member_id),
        r AS (SELECT *, percent_rank() OVER (ORDER BY score DESC) AS score_rank FROM f)"""
    params = {
        "end": end,
        "window_start": window_start,
        "recent_start": recent_start,
        "baseline_start": baseline_start,
    }
    counts, silent = dict.fromkeys(segments.PRECEDENCE, 0), 0
    inactive_since = end - timedelta(days=rules.churned_inactive_days)
    new_after = end - timedelta(days=rules.new_days)
    for name, n, quiet in con.execute(
        f"""WITH {features}
            SELECT CASE
                WHEN has_left OR (active_total <> 0 AND last_active_day <= $inactive_since)
                    THEN 'churned'
                WHEN active_total = 0 THEN 'silent'
                WHEN first_day > $new_after THEN 'new'
                WHEN score > 0 AND score_rank < {rules.core_top_share}
                     AND active_days >= {rules.core_min_active_days} THEN 'core'
                WHEN baseline_days >= {rules.at_risk_min_baseline_days}
                     AND CAST(recent_count AS DOUBLE) / {rules.at_risk_recent_days}
                         < CAST(baseline_count AS DOUBLE) / {rules.at_risk_baseline_days}
                           * {rules.at_risk_ratio} THEN 'at_risk'
                WHEN active_days >= {rules.active_min_days} THEN 'active'
                ELSE 'casual' END, count(*),
                count(*) FILTER (active_total = 0 AND NOT has_left)
            FROM r GROUP BY 1""",
        params | {"inactive_since": inactive_since, "new_after": new_after},
    ).fetchall():
        counts[name] = n
        silent += quiet
    out["silent_members"] = silent
    out["segments"] = counts
    return out


def _period_index(days: pd.Series, period: str, start: date) -> pd.Series:
    """The number of the period holding each day, the period of ``start`` being 0."""
    from qunyun.analytics.metrics import period_start

    first = pd.Timestamp(period_start(start, period))
    if period == "day":
        return (days - first).dt.days
    if period == "week":
        return (days - pd.to_timedelta(days.dt.weekday, unit="D") - first).dt.days // 7
    return 12 * (days.dt.year - first.year) + days.dt.month - first.month


def pandas_more_sections(
    md: pd.DataFrame, members: pd.DataFrame, snapshot: Path, start: date, end: date, period: str
) -> dict[str, Any]:
    """Questions, retention, lifecycle, silent members and segments in pandas."""
    from qunyun.analytics import cohorts, response, segments
    from qunyun.analytics.kpis import RECENT_DAYS, RETENTION_WEEKS

    humans = set(members.loc[~members["is_bot"], "member_id"])
    recent = max(start, end - timedelta(days=RECENT_DAYS - 1))
    a = pd.read_parquet(
        snapshot / "activities",
        columns=[
            "id",
            "member_id",
            "channel_id",
            "kind",
            "occurred_at",
            "day",
            "external_id",
            "reply_to",
            "thread",
            "is_question",
        ],
        filters=[("day", ">=", recent), ("day", "<=", end), ("kind", "in", ["message", "reply"])],
    )
    w = a[a["member_id"].isin(humans)]
    q = w[w["is_question"]]
    linked = set(md.loc[(md["n_replies"] > 0) & (md["day"] <= pd.Timestamp(end)), "channel_id"])
    r = q.merge(
        w[w["reply_to"].fillna("") != ""],
        left_on=["channel_id", "external_id"],
        right_on=["channel_id", "reply_to"],
        suffixes=("", "_r"),
    )
    r = r[(r["member_id_r"] != r["member_id"]) & (r["occurred_at_r"] >= r["occurred_at"])]
    candidates = [r[["id", "occurred_at_r"]].rename(columns={"occurred_at_r": "at"})]
    uq = q[~q["channel_id"].isin(linked)]
    if len(uq):
        # The next run (consecutive messages by one author) in the question's stream.
        stream = w[w["channel_id"].isin(set(uq["channel_id"]))]
        threaded = uq["thread"].fillna("") != ""
        for keys, asked, part in (
            (["channel_id"], uq[~threaded], stream),
            (["channel_id", "thread"], uq[threaded], stream[stream["thread"].fillna("") != ""]),
        ):
            s = part.sort_values([*keys, "occurred_at", "id"]).copy()
            g = s.groupby(keys, sort=False)
            s["run"] = (
                (s["member_id"] != g["member_id"].shift())
                .astype(int)
                .groupby([s[k] for k in keys])
                .cumsum()
            )
            runs = s.groupby([*keys, "run"], as_index=False)["occurred_at"].min()
            runs["next_run_at"] = runs.groupby(keys)["occurred_at"].shift(-1)
            s = s.merge(runs.drop(columns="occurred_at"), on=[*keys, "run"])
            hit = asked[["id", "occurred_at"]].merge(s[["id", "next_run_at"]], on="id")
            hit = hit[
                hit["next_run_at"].notna()
                & (hit["next_run_at"] <= hit["occurred_at"] + response.UNLINKED_RESPONSE_WINDOW)
            ]
            candidates.append(hit[["id", "next_run_at"]].rename(columns={"next_run_at": "at"}))
    firsts = pd.concat(candidates).groupby("id")["at"].min().rename("first_response_at")
    frame = q[["id", "member_id", "channel_id", "occurred_at"]].merge(
        firsts, left_on="id", right_index=True, how="left"
    )
    frame = frame.rename(columns={"id": "activity_id"}).reset_index(drop=True)
    out: dict[str, Any] = {"questions": response.summarise_questions(frame)}

    t = md[md["day"] <= pd.Timestamp(end)]
    weeks = cohorts.period_starts(start, end, "week")

    def first_and_active(p: str) -> tuple[pd.Series, pd.DataFrame]:
        idx = _period_index(t["day"], p, start)
        first = idx.groupby(t["member_id"]).min().rename("first_idx")
        act = (
            pd.DataFrame({"member_id": t["member_id"], "idx": idx})[t["n_active"] > 0]
            .drop_duplicates()
            .merge(first, left_on="member_id", right_index=True)
        )
        return first, act

    first, act = first_and_active("week")
    act["offset"] = act["idx"] - act["first_idx"]
    active = act.groupby(["first_idx", "offset"])["member_id"].nunique()
    out["retention"] = cohorts.assemble_retention(
        weeks,
        {int(k): int(v) for k, v in first.value_counts().items()},
        {(int(c), int(o)): int(n) for (c, o), n in active.items()},
        RETENTION_WEEKS,
    )
    first, act = first_and_active(period)
    act = act.sort_values(["member_id", "idx"])
    prev = act.groupby("member_id")["idx"].shift(1)
    nxt = act.groupby("member_id")["idx"].shift(-1)
    state = np.where(
        act["idx"] == act["first_idx"],
        "new",
        np.where(prev == act["idx"] - 1, "returning", "resurrecting"),
    )
    present = pd.DataFrame({"idx": act["idx"], "state": state})
    gone = act.loc[nxt.isna() | (nxt > act["idx"] + 1), ["idx"]] + 1
    gone["state"] = "dormant"
    both = pd.concat([present, gone]).groupby(["idx", "state"]).size()
    out["lifecycle"] = cohorts.assemble_lifecycle(
        cohorts.period_starts(start, end, period),
        [(int(i), s, int(n)) for (i, s), n in both.items()],
    )

    rules = segments.rules_for({})
    wt = rules.weights
    # The same factors as Qunyun's decay calendar (Python's ** per day).
    factors = {
        pd.Timestamp(d): 0.5 ** ((end - d.date()).days / rules.half_life_days)
        for d in t["day"].drop_duplicates()
    }
    decay = t["day"].map(factors)
    points = (
        0.0
        + (t["n_messages"] - t["n_replies"]).astype(float) * wt["message"]
        + t["n_replies"].astype(float) * wt["reply"]
        + t["n_reactions"].astype(float) * wt["reaction"]
        + t["n_posts"].astype(float) * wt["post"]
        + t["n_comments"].astype(float) * wt["comment"]
        + t["n_events_registered"].astype(float) * wt["event_registered"]
        + t["n_events_attended"].astype(float) * wt["event_attended"]
        + t["n_surveys_answered"].astype(float) * wt["survey_answered"]
        + t["n_purchases"].astype(float) * wt["purchase"]
    ) * decay
    per_day = (
        t.assign(points=points)
        .groupby(["member_id", "day"], as_index=False)
        .agg(
            n_active=("n_active", "sum"),
            points=("points", "sum"),
            lj=("last_join_at", "max"),
            ll=("last_leave_at", "max"),
        )
    )
    per_day = per_day[per_day["member_id"].isin(humans)]
    day = per_day["day"]
    recent_start = pd.Timestamp(end - timedelta(days=rules.at_risk_recent_days - 1))
    baseline_start = recent_start - pd.Timedelta(days=rules.at_risk_baseline_days)
    window_start = pd.Timestamp(end - timedelta(days=rules.active_days_window - 1))
    on = per_day["n_active"] > 0
    in_base = (day >= baseline_start) & (day < recent_start)
    f = (
        per_day.assign(
            active_day=(on & (day >= window_start)).astype(int),
            recent=per_day["n_active"].where(day >= recent_start, 0),
            base=per_day["n_active"].where(in_base, 0),
            base_day=(on & in_base).astype(int),
            active_on=day.where(on),
        )
        .groupby("member_id")
        .agg(
            first_day=("day", "min"),
            active_total=("n_active", "sum"),
            last_active_day=("active_on", "max"),
            lj=("lj", "max"),
            ll=("ll", "max"),
            active_days=("active_day", "sum"),
            recent_count=("recent", "sum"),
            baseline_count=("base", "sum"),
            baseline_days=("base_day", "sum"),
            score=("points", "sum"),
        )
    )
    has_left = f["ll"].notna() & (f["lj"].isna() | (f["ll"] > f["lj"]))
    never = f["active_total"] == 0
    out["silent_members"] = int((never & ~has_left).sum())
    n = len(f)
    rank = f["score"].rank(method="min", ascending=False)
    score_rank = (rank - 1) / (n - 1) if n > 1 else rank * 0.0
    conditions = [
        has_left
        | (
            ~never
            & (
                f["last_active_day"]
                <= pd.Timestamp(end - timedelta(days=rules.churned_inactive_days))
            )
        ),
        never,
        f["first_day"] > pd.Timestamp(end - timedelta(days=rules.new_days)),
        (f["score"] > 0)
        & (score_rank < rules.core_top_share)
        & (f["active_days"] >= rules.core_min_active_days),
        (f["baseline_days"] >= rules.at_risk_min_baseline_days)
        & (
            f["recent_count"].astype(float) / rules.at_risk_recent_days
            < f["baseline_count"].astype(float) / rules.at_risk_baseline_days * rules.at_risk_ratio
        ),
        f["active_days"] >= rules.active_min_days,
    ]
    segment = np.select(conditions, list(segments.PRECEDENCE[:-1]), default="casual")
    counts = dict.fromkeys(segments.PRECEDENCE, 0)
    for name, k in pd.Series(segment).value_counts().items():
        counts[str(name)] = int(k)
    out["segments"] = counts
    return out


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


def _cpu() -> float:
    """CPU seconds of this process so far, DuckDB's and Arrow's threads included."""
    import resource

    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def timed_ways(
    ways: dict[str, Callable[[], Any]], repeat: int
) -> tuple[dict[str, Any], dict[str, float], dict[str, tuple[float, float]]]:
    """Each way's result, its first run's wall time, and the medians (wall s, CPU s) of
    ``repeat`` more runs. The ways take turns run by run, so that load from other jobs on
    a shared machine falls on all of them alike."""
    results, first = {}, {}
    runs: dict[str, list[tuple[float, float]]] = {name: [] for name in ways}
    for name, fn in ways.items():
        started = time.perf_counter()
        results[name] = fn()
        first[name] = time.perf_counter() - started
    for _ in range(repeat):
        for name, fn in ways.items():
            started, cpu = time.perf_counter(), _cpu()
            fn()
            runs[name].append((time.perf_counter() - started, _cpu() - cpu))
    medians = {
        name: (
            (statistics.median(r[0] for r in times), statistics.median(r[1] for r in times))
            if times
            else (first[name], math.nan)
        )
        for name, times in runs.items()
    }
    return results, first, medians


# --- 3. Snapshot refresh after an import -------------------------------------------------


def _records_with_activities(added: int) -> list[Any]:
    """A fresh demo chunk's records up to its ``added``-th activity (with the channels
    and people before them): the import whose refresh is timed."""
    from qunyun.ingest.records import ActivityRecord

    records, count = [], 0
    for record in _chunk_records(0, 1, max(2000, added // 25), 60):
        if isinstance(record, ActivityRecord):
            if count == added:
                break
            count += 1
        records.append(record)
    return records


def refresh_after_import(base_members: int, added: int) -> dict[str, Any]:
    """Import ``added`` activities through the real pipeline into a workspace that already
    has a snapshot (the demo with ``base_members`` members), then time the refresh."""
    from django.core.management import call_command

    from qunyun.activity.snapshot import do_refresh_snapshot
    from qunyun.demo.generator import DemoPlan, generate
    from qunyun.ingest.pipeline import do_import_records

    call_command("migrate", verbosity=0)
    from qunyun.team.actions import do_get_or_create_workspace

    workspace = do_get_or_create_workspace("refresh", time_zone="Asia/Shanghai")
    base = do_import_records(
        workspace, generate(DemoPlan(members=base_members)), file_name="base", format_name="demo"
    )
    full = do_refresh_snapshot(workspace)
    extra = _records_with_activities(added)
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


def refresh_on_cached_base(info: dict[str, Any], added: int) -> dict[str, Any]:
    """The refresh after an import into a workspace whose snapshot is the cached full-size
    one: its members and channels are created in the database, the snapshot is copied in
    with the watermark at its last activity id, and ``added`` activities go through the
    real pipeline (new ids above the watermark) before the timed refresh.

    The 10M activities themselves are not in the database: the refresh reads only rows
    above the watermark, while it rewrites members.parquet from every member.
    """
    import resource

    import pyarrow.parquet as pq
    from django.core.management import call_command
    from django.db import connection

    from qunyun.activity.models import Activity, Channel, SnapshotState
    from qunyun.activity.snapshot import do_refresh_snapshot, snapshot_dir
    from qunyun.ingest.pipeline import do_import_records
    from qunyun.members.models import Member
    from qunyun.team.actions import do_get_or_create_workspace

    call_command("migrate", verbosity=0)
    workspace = do_get_or_create_workspace("refresh-full", time_zone="Asia/Shanghai")
    source = Path(info["snapshot"])
    bots = pq.read_table(source / "members.parquet").column("is_bot").to_pylist()
    started = time.perf_counter()
    batch = 20_000
    for first in range(0, len(bots), batch):
        Member.objects.bulk_create(
            Member(workspace=workspace, display_name=f"m{n}", is_bot=bot)
            for n, bot in enumerate(bots[first : first + batch], start=first + 1)
        )
    for row in pq.read_table(source / "channels.parquet").to_pylist():
        Channel.objects.create(
            workspace=workspace, platform=row["platform"], external_id=row["name"], name=row["name"]
        )
    target = snapshot_dir(workspace)
    shutil.rmtree(target, ignore_errors=True)
    shutil.copytree(source, target)
    SnapshotState.objects.update_or_create(
        workspace=workspace,
        defaults={
            "activity_watermark": info["activities"],
            "generation": 1,
            "time_zone": workspace.time_zone,
            "needs_rebuild": False,
        },
    )
    with connection.cursor() as cursor:  # new activities get ids above the watermark
        table = Activity._meta.db_table
        cursor.execute("DELETE FROM sqlite_sequence WHERE name = %s", [table])
        cursor.execute(
            "INSERT INTO sqlite_sequence (name, seq) VALUES (%s, %s)", [table, info["activities"]]
        )
    setup_s = time.perf_counter() - started
    extra = _records_with_activities(added)
    run = do_import_records(workspace, extra, file_name="extra", format_name="demo")

    def cpu() -> float:
        usage = resource.getrusage(resource.RUSAGE_SELF)
        return usage.ru_utime + usage.ru_stime

    cpu_before = cpu()
    refresh = do_refresh_snapshot(workspace)
    return {
        "setup_s": round(setup_s, 1),
        "base_activities": info["activities"],
        "members": Member.objects.filter(workspace=workspace).count(),
        "imported": run.records_read,
        "import_s": run.duration_seconds,
        "refresh_added": refresh.activities_added,
        "refresh_s": refresh.seconds,
        "refresh_cpu_s": cpu() - cpu_before,
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
    parser.add_argument(
        "--refresh-on-cache",
        action="store_true",
        help="also time the refresh with the cached full-size snapshot as the base",
    )
    args = parser.parse_args()

    _setup_django(Path(tempfile.mkdtemp(prefix="qunyun-bench-")))
    info = prepare(args.cache.resolve(), args.members, args.chunk, args.days)
    snapshot = Path(info["snapshot"])
    print(
        f"data: {info['members']:,} members, {info['activities']:,} activities "
        f"(snapshot written in {info['build_s']} s, cached in {args.cache})",
        flush=True,
    )
    # Every section of compute_kpis is covered by the other two ways: Qunyun's time is the
    # whole dashboard's. Qunyun and the hand SQL take turns; pandas runs once (slow).
    results, first, medians = timed_ways(
        {
            "qunyun": lambda: qunyun_way(snapshot, args.period),
            "sql": lambda: sql_way(snapshot, args.period),
        },
        args.repeat,
    )
    full, sql = results["qunyun"], results["sql"]
    (full_s, full_cpu), (sql_s, sql_cpu) = medians["qunyun"], medians["sql"]
    print(
        f"Qunyun, whole dashboard:  {full_s:6.2f} s, CPU {full_cpu:6.2f} s "
        f"(medians of {args.repeat}; first run {first['qunyun']:.2f} s)",
        flush=True,
    )
    print(
        f"hand-written DuckDB SQL:  {sql_s:6.2f} s, CPU {sql_cpu:6.2f} s "
        f"(medians of {args.repeat}; first run {first['sql']:.2f} s)",
        flush=True,
    )
    started, cpu = time.perf_counter(), _cpu()
    pan = pandas_way(snapshot, args.period)
    pandas_s, pandas_cpu = time.perf_counter() - started, _cpu() - cpu
    print(
        f"pandas reference:         {pandas_s:6.2f} s, CPU {pandas_cpu:6.2f} s (one run)",
        flush=True,
    )
    ratio, ratio_cpu = full_s / sql_s, full_cpu / sql_cpu
    print(
        f"target ≤ {TARGET_VS_SQL}× hand SQL (same sections): {ratio:.2f}× "
        f"(CPU {ratio_cpu:.2f}×), {_verdict(ratio <= TARGET_VS_SQL)}"
    )
    speedup, speedup_cpu = pandas_s / full_s, pandas_cpu / full_cpu
    print(
        f"target ≥ {TARGET_VS_PANDAS}× faster than pandas (same sections): {speedup:.1f}× "
        f"(CPU {speedup_cpu:.1f}×), {_verdict(speedup >= TARGET_VS_PANDAS)}"
    )
    if not args.skip_refresh:
        r = refresh_after_import(args.refresh_base_members, args.refresh_activities)
        print(
            f"refresh after importing {r['imported']:,} activities (pipeline {r['import_s']:.1f} s) "
            f"into a {r['base_activities']:,}-activity workspace: {r['refresh_s']:.2f} s "
            f"({r['refresh_added']:,} added, rebuilt: {r['rebuilt']}); "
            f"target ≤ {TARGET_REFRESH_S} s {_verdict(r['refresh_s'] <= TARGET_REFRESH_S)}"
        )
    if args.refresh_on_cache:
        r = refresh_on_cached_base(info, args.refresh_activities)
        print(
            f"refresh after importing {r['imported']:,} activities (pipeline {r['import_s']:.1f} s) "
            f"into a workspace with the cached snapshot ({r['base_activities']:,} activities, "
            f"{r['members']:,} members; set up in {r['setup_s']} s): {r['refresh_s']:.2f} s, "
            f"CPU {r['refresh_cpu_s']:.2f} s ({r['refresh_added']:,} added, rebuilt: "
            f"{r['rebuilt']}); target ≤ {TARGET_REFRESH_S} s {_verdict(r['refresh_s'] <= TARGET_REFRESH_S)}",
            flush=True,
        )
    covered = qunyun_covered(full)
    problems = {
        "Qunyun vs SQL": differences(covered, sql),
        "Qunyun vs pandas": differences(covered, pan),
    }
    for name, found in problems.items():
        print(f"{name}: {'agree' if not found else f'{len(found)} differences'}")
        for line in found[:10]:
            print(f"    {line}")
    from qunyun.analytics.kpi_types import SECTION_KEYS

    not_covered = sorted(set(SECTION_KEYS) - set(COVERED))
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
