"""Benchmark: reading, searching and posting on a board with a long history.

    uv run python -m tests.bench.history --messages 1000000 [--users 1000] [--seconds 10]
        [--concurrency 32] [--keep-database]

Seeds a database to the given size (`seed-demo`'s generator; the time is reported),
starts the service as `python -m service` (one uvicorn worker), signs in, and drives
load with wrk (Debian's `wrk`: a separate C process that does ~40k requests/s here, so
the load generator never is the bottleneck; a Python client tops out near 10k) against:
the newest page (GET /msgs), a page deep in history (the endless-scroll fragment), a
search, a filtered search (search + author + dates, as typed), and posting. Each at
concurrency 1 (the latency targets) and at `--concurrency`.

The same run measures a floor with the same load: tests/bench/history_floor.py, a bare
ASGI app running the same queries and answering the same bytes (checked) with no
framework, so every figure is also a ratio to the floor. Absolute numbers drift on a
shared machine; the ratio is the figure to watch.

Reports requests/s, p50/p99 latency, errors (non-2xx/3xx, socket errors) and server
RSS, and EXPLAIN (ANALYZE) of the queries behind each page (is any a Seq Scan on
messages?). Prints tables; writes bench-results/history.json. DATABASE_URL is used when
set, else embedded PostgreSQL. --keep-database keeps the seeded database for the next
run of the same size (and reuses one that is there).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import httpx
import psycopg
from psycopg.conninfo import make_conninfo

from service.db import queries
from service.embedded import start_embedded_postgres
from service.messages import RECENT_SCAN_ROWS, Filters, decode_cursor, prefix_query
from service.migrations import apply_migrations
from service.passwords import OWASP_HASHER
from service.seed import seed_demo
from tests.bench.sign_in_burst import rss_mib
from tests.bench.support import stop, wait_until_answers
from tests.live_server import ROOT, LiveServer, free_port

EMAIL = "user@example.com"
PASSWORD = "12341234"
SECRET = "bench-secret-0123456789-abcdefghijklmnopqrstuvwxyz"
TIMEZONE = "Asia/Kolkata"
SEARCH = "aardvark"
FILTERED_SEARCH = "release"

WRK_SCRIPT = r"""
local counter = 0
if os.getenv("BENCH_POST") == "1" then
  wrk.method = "POST"
  wrk.headers["Content-Type"] = "application/x-www-form-urlencoded"
  request = function()
    counter = counter + 1
    return wrk.format(nil, nil, nil, "message=Benchmark+post+number+" .. counter)
  end
end
done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    'BENCH_JSON {"requests": %d, "duration_us": %d, "connect": %d, "read": %d, ' ..
    '"write": %d, "status": %d, "timeout": %d, "p50_us": %d, "p99_us": %d, "max_us": %d}\n',
    summary.requests, summary.duration, e.connect, e.read, e.write, e.status, e.timeout,
    latency:percentile(50), latency:percentile(99), latency.max))
end
"""


@dataclass(frozen=True)
class Scenario:
    name: str
    path: str
    htmx: bool = False
    post: bool = False


def progress(text: str) -> None:
    print(f"[history] {text}", file=sys.stderr, flush=True)


def database_name(messages: int, users: int, keep: bool) -> str:
    return f"bench_history_{messages}_{users}" if keep else f"bench_history_{os.getpid()}"


def prepare_database(admin_url: str, messages: int, users: int, keep: bool) -> tuple[str, dict]:
    """A migrated, seeded database; its URL and how long seeding took."""
    name = database_name(messages, users, keep)
    url = make_conninfo(admin_url, dbname=name)
    with psycopg.connect(admin_url, autocommit=True) as conn:
        exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (name,)).fetchone()
        if exists and keep:
            with psycopg.connect(url) as db:
                row = db.execute("SELECT count(*) FROM messages").fetchone()
            if row and row[0] >= messages:
                asyncio.run(apply_migrations(url, queries))
                progress(f"reusing {name} ({row[0]} messages)")
                return url, {"seed_seconds": None, "reused": True}
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')  # type: ignore[arg-type]
        conn.execute(f'CREATE DATABASE "{name}"')  # type: ignore[arg-type]
    asyncio.run(apply_migrations(url, queries))
    progress(f"seeding {messages} messages by {users} people")
    report = asyncio.run(
        seed_demo(
            url,
            messages=messages,
            users=users,
            password_hash=OWASP_HASHER.hash(PASSWORD),
            random_seed=5,
            progress=progress,
        )
    )
    progress(f"seeded in {report.seconds} s")
    return url, {"seed_seconds": report.seconds, "reused": False}


def choose_scenarios(url: str, messages: int) -> tuple[list[Scenario], dict[str, Any]]:
    """The pages to load, with a cursor deep in the history and a busy author."""
    with psycopg.connect(url) as conn:
        deep = conn.execute(
            "SELECT created_at, id FROM messages ORDER BY created_at DESC, id DESC "
            "OFFSET %s LIMIT 1",
            (max(0, int(messages * 0.9) - 1),),
        ).fetchone()
        author = conn.execute(
            "SELECT users.display_name FROM messages JOIN users "
            "ON users.id = messages.author_id GROUP BY 1 ORDER BY count(*) DESC LIMIT 1"
        ).fetchone()
        span = conn.execute("SELECT min(created_at), max(created_at) FROM messages").fetchone()
    assert deep and author and span, "the bench database has no messages"
    micros = (deep[0] - decode_cursor("0-0")[0]) // timedelta(microseconds=1)
    first, last = span
    # The middle half of the history, as dates in the viewer's zone.
    start = (first + (last - first) / 4).date().isoformat()
    end = (first + (last - first) * 3 / 4).date().isoformat()
    filtered = {"q": FILTERED_SEARCH, "author": author[0], "from": start, "to": end}
    scenarios = [
        Scenario("newest page", "/msgs"),
        Scenario("old page", f"/api/messages?before={micros}-{deep[1]}", htmx=True),
        Scenario("search", "/msgs?" + urlencode({"q": SEARCH}), htmx=True),
        Scenario("filtered search", "/msgs?" + urlencode(filtered), htmx=True),
        Scenario("post", "/api/message", htmx=True, post=True),
    ]
    return scenarios, {"cursor": (deep[0], deep[1]), "filters": filtered}


def sign_in(base_url: str) -> str:
    with httpx.Client(base_url=base_url) as client:
        response = client.post(
            "/api/login",
            data={"username": EMAIL, "password": PASSWORD, "user_timezone": TIMEZONE},
            headers={"HX-Request": "true"},
        )
        assert response.headers.get("HX-Redirect") == "/msgs", response.status_code
        return "; ".join(f"{k}={v}" for k, v in client.cookies.items())


def headers(scenario: Scenario, cookie: str) -> dict[str, str]:
    found = {"Cookie": cookie} if cookie else {}
    if scenario.htmx:
        found["HX-Request"] = "true"
    if scenario.post:
        found["Sec-Fetch-Site"] = "same-origin"
    return found


def check_same_output(scenarios: list[Scenario], service: str, floor: str, cookie: str) -> None:
    """The floor must answer exactly what the service does, or its figures mean nothing."""
    for scenario in scenarios:
        if scenario.post:
            continue
        ours = httpx.get(service + scenario.path, headers=headers(scenario, cookie))
        theirs = httpx.get(floor + scenario.path, headers=headers(scenario, ""))
        assert ours.status_code == theirs.status_code == 200, (scenario, ours.status_code)
        assert ours.text.count('class="message"') == theirs.text.count('class="message"') > 0
        if ours.text != theirs.text:
            raise AssertionError(f"the floor's {scenario.name} differs from the service's")


def wrk(url: str, scenario: Scenario, cookie: str, seconds: float, connections: int) -> dict:
    """One wrk run; its figures as a dict."""
    script = Path(tempfile.mkdtemp(prefix="bench-wrk-")) / "bench.lua"
    script.write_text(WRK_SCRIPT)
    command = [
        "wrk",
        f"-t{min(2, connections)}",
        f"-c{connections}",
        f"-d{max(1, round(seconds))}s",
        "--timeout",
        "5s",
        "-s",
        str(script),
    ]
    for name, value in headers(scenario, cookie).items():
        command += ["-H", f"{name}: {value}"]
    env = {**os.environ, "BENCH_POST": "1" if scenario.post else "0"}
    done = subprocess.run(
        [*command, url + scenario.path], capture_output=True, text=True, env=env, check=False
    )
    shutil.rmtree(script.parent, ignore_errors=True)
    line = next((x for x in done.stdout.splitlines() if x.startswith("BENCH_JSON ")), None)
    if done.returncode != 0 or line is None:
        raise RuntimeError(f"wrk failed: {done.stdout}\n{done.stderr}")
    raw = json.loads(line.removeprefix("BENCH_JSON "))
    seconds_run = raw["duration_us"] / 1e6
    return {
        "requests_per_s": round(raw["requests"] / seconds_run, 1),
        "p50_ms": round(raw["p50_us"] / 1000, 2),
        "p99_ms": round(raw["p99_us"] / 1000, 2),
        "max_ms": round(raw["max_us"] / 1000, 2),
        "requests": raw["requests"],
        "errors": raw["status"] + raw["connect"] + raw["read"] + raw["write"] + raw["timeout"],
    }


def peak_rss_mib(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return 0.0


def explain_hot_queries(
    url: str, cursor: tuple, filters: dict[str, str], *, index_only: bool = False
) -> list[dict]:
    """EXPLAIN (ANALYZE) of the queries behind each page, with the bench's parameters.
    index_only: forbid sequential scans, to ask whether an index can serve (on a table
    small enough that the planner would rightly prefer reading all of it)."""
    parsed = Filters(q=filters["q"], author=filters["author"])
    window = {"from_time": None, "before_time": None, "before_id": None, "limit": 51}
    by_dates = {
        **window,
        **dict(zip(("from_time", "before_time"), _dates(filters), strict=True)),
        "before_id": 0,
    }
    plans = []
    with psycopg.connect(url, autocommit=True) as conn:
        if index_only:
            conn.execute("SET enable_seqscan = off")

        def tsquery(text: str) -> str:
            short, prefixes = prefix_query(text)
            sql = queries.parse_search.sql
            params = {"text": text, "short": short, "prefixes": prefixes}
            row = conn.execute(sql, params).fetchone()  # type: ignore[arg-type]
            return row[0] if row else ""

        author_ids = [
            row[0]
            for row in conn.execute(
                queries.list_author_ids.sql,  # type: ignore[arg-type]
                {"author": parsed.author},
            )
        ]
        search = {**window, "query": tsquery(SEARCH)}
        filtered = {**by_dates, "query": tsquery(parsed.q), "author_ids": author_ids}
        recent = {"scan_rows": RECENT_SCAN_ROWS}
        cases = [
            ("newest page", "list_newest_messages", {"limit": 51}, False),
            ("old page", "list_messages_before", {"before_time": cursor[0],
             "before_id": cursor[1], "limit": 51}, False),
            ("search, newest rows", "search_recent_messages", {**search, **recent}, False),
            ("search, by index", "search_messages", search, True),
            ("filtered, newest rows", "search_recent_messages_by_authors",
             {**filtered, **recent}, False),
            ("filtered, by index", "search_messages_by_authors", filtered, True),
            ("author only", "list_messages_by_authors", {**window, "author_ids": author_ids},
             False),
            ("dates only", "list_messages_filtered", by_dates, False),
            ("author lookup", "list_author_ids", {"author": parsed.author}, False),
        ]  # fmt: skip
        for label, name, params, use_search_index in cases:
            with conn.transaction():
                if use_search_index:
                    conn.execute(queries.use_search_index.sql)  # type: ignore[arg-type]
                sql = "EXPLAIN (ANALYZE, BUFFERS) " + getattr(queries, name).sql
                plan = "\n".join(row[0] for row in conn.execute(sql, params))  # type: ignore[arg-type]
            timing = re.search(r"Execution Time: ([\d.]+) ms", plan)
            plans.append(
                {
                    "page": label,
                    "query": name,
                    "execution_ms": float(timing[1]) if timing else None,
                    "seq_scan_on_messages": "Seq Scan on messages" in plan,
                    "indexes": sorted(set(re.findall(r"(?:using|on) (\w+_\w+)", plan))),
                    "plan": plan,
                }
            )
    return plans


def _dates(filters: dict[str, str]) -> tuple:
    """The filter's dates as the UTC window the service computes for them."""
    parsed = Filters(
        from_date=date.fromisoformat(filters["from"]),
        to_date=date.fromisoformat(filters["to"]),
    )
    return parsed.window(TIMEZONE)


def start_floor(url: str) -> tuple[subprocess.Popen, str]:
    port = free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "tests.bench.history_floor", str(port), url, TIMEZONE],
        cwd=ROOT,
    )
    base = f"http://127.0.0.1:{port}"
    wait_until_answers(base + "/api/messages", process)
    return process, base


def run(
    messages: int,
    users: int,
    seconds: float,
    concurrency: int,
    admin_url: str | None = None,
    keep: bool = False,
) -> dict:
    if shutil.which("wrk") is None:
        raise RuntimeError("wrk is missing: apt-get install wrk (.ci/run does)")
    admin_url = admin_url or os.environ.get("DATABASE_URL")
    work = Path(tempfile.mkdtemp(prefix="bench-"))
    if not admin_url:
        admin_url = start_embedded_postgres(work / "postgres").url
    url, seeding = prepare_database(admin_url, messages, users, keep)
    report: dict[str, Any] = {
        "messages": messages,
        "users": users,
        "seconds": seconds,
        "concurrency": [1, concurrency],
        **seeding,
    }
    try:
        service = LiveServer(work, DATABASE_URL=url, SECRET_KEY=SECRET, LOG_LEVEL="info")
        floor = None
        try:
            floor, floor_url = start_floor(url)
            cookie = sign_in(service.url)
            scenarios, chosen = choose_scenarios(url, messages)
            report["pages"] = {s.name: s.path for s in scenarios}
            check_same_output(scenarios, service.url, floor_url, cookie)
            progress("the floor answers the same bytes as the service")
            # Before posting adds to the newest messages.
            report["explain"] = explain_hot_queries(url, chosen["cursor"], chosen["filters"])
            results: dict[str, dict] = {}
            for scenario in scenarios:
                results[scenario.name] = {}
                for connections in (1, concurrency):
                    progress(f"{scenario.name}, {connections} connection(s)")
                    ours = wrk(service.url, scenario, cookie, seconds, connections)
                    ours["rss_mib"] = round(rss_mib(service.process.pid), 1)
                    theirs = wrk(floor_url, scenario, "", seconds, connections)
                    theirs["rss_mib"] = round(rss_mib(floor.pid), 1)
                    results[scenario.name][connections] = {
                        "service": ours,
                        "floor": theirs,
                        "ratio": {
                            "requests_per_s": round(
                                ours["requests_per_s"] / max(theirs["requests_per_s"], 0.1), 2
                            ),
                            "p99_ms": round(ours["p99_ms"] / max(theirs["p99_ms"], 0.01), 2),
                        },
                    }
            report["results"] = results
            report["peak_rss_mib"] = {
                "service": round(peak_rss_mib(service.process.pid), 1),
                "floor": round(peak_rss_mib(floor.pid), 1),
            }
        finally:
            if floor is not None:
                stop(floor)
            service.stop()
    finally:
        if not keep:
            with psycopg.connect(admin_url, autocommit=True) as conn:
                name = database_name(messages, users, keep)
                conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')  # type: ignore[arg-type]
    return report


def print_table(report: dict) -> None:
    seeded = report["seed_seconds"]
    seed_text = f"seeded in {seeded} s" if seeded is not None else "database reused"
    print(
        f"\n{report['messages']} messages by {report['users']} people ({seed_text}); "
        f"{report['seconds']} s of wrk per row; floor = bare ASGI, same queries, same bytes"
    )
    print(
        f"{'page':<16}{'conns':>6} | {'req/s':>8}{'p50 ms':>8}{'p99 ms':>8}{'errors':>7}"
        f"{'RSS MiB':>8} | {'floor req/s':>11}{'p50':>7}{'p99':>7}{'RSS':>6} | "
        f"{'req/s ratio':>11}{'p99 ratio':>10}"
    )
    for page, by_connections in report["results"].items():
        for connections, row in by_connections.items():
            s, f, r = row["service"], row["floor"], row["ratio"]
            print(
                f"{page:<16}{connections:>6} | {s['requests_per_s']:>8}{s['p50_ms']:>8}"
                f"{s['p99_ms']:>8}{s['errors']:>7}{s['rss_mib']:>8} | "
                f"{f['requests_per_s']:>11}{f['p50_ms']:>7}{f['p99_ms']:>7}{f['rss_mib']:>6} | "
                f"{r['requests_per_s']:>11}{r['p99_ms']:>10}"
            )
    peak = report["peak_rss_mib"]
    print(f"peak RSS: service {peak['service']} MiB, floor {peak['floor']} MiB")
    print("\nEXPLAIN (ANALYZE) of the queries behind each page")
    for plan in report["explain"]:
        scan = "SEQ SCAN on messages" if plan["seq_scan_on_messages"] else "index only"
        print(
            f"{plan['page']:<24}{plan['execution_ms']:>9} ms  {scan:<22}"
            f"{', '.join(plan['indexes'])}"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--messages", type=int, default=1_000_000)
    parser.add_argument("--users", type=int, default=1000)
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--concurrency", type=int, default=32)
    parser.add_argument("--keep-database", action="store_true")
    args = parser.parse_args()
    report = run(args.messages, args.users, args.seconds, args.concurrency, keep=args.keep_database)
    print_table(report)
    out = ROOT / "bench-results"
    out.mkdir(exist_ok=True)
    (out / "history.json").write_text(json.dumps(report, indent=2, default=str))


if __name__ == "__main__":
    main()
