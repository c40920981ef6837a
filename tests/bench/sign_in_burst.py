"""Benchmark: do page loads stall while a burst of sign-ins hashes passwords?

    uv run python -m tests.bench.sign_in_burst [--seconds 5] [--signers 16]

Runs the service twice on one database, as real uvicorn processes: as built (argon2 in
worker threads, HASH_CONCURRENCY at a time) and a reference that verifies on the event
loop (the design this service replaced). For each, a prober loads /msgs one request at
a time, first alone, then while `--signers` clients sign in as fast as they can. Prints
a table (latency p50/p99/max, requests/s, sign-ins/s, server RSS) and writes JSON to
bench-results/sign_in_burst.json. DATABASE_URL is used when set, else embedded PostgreSQL.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx
import psycopg

from service.passwords import PasswordChecker
from tests.bench.support import bench_database, stop, wait_until_answers
from tests.live_server import ROOT, free_port

EMAIL = "bench@example.com"
PASSWORD = "bench password 123"
SECRET = "bench-secret-0123456789-abcdefghijklmnopqrstuvwxyz"


class OnTheLoopChecker(PasswordChecker):
    """The reference: argon2 verify called directly on the event loop."""

    async def verify(self, password_hash: str | None, password: str) -> bool:
        try:
            return self.hasher.verify(password_hash or self.absent_user_hash, password)
        except Exception:
            return False


def serve(variant: str, port: int) -> None:
    """Child process: run one variant of the app under uvicorn."""
    import uvicorn

    from service.app import create_app
    from service.settings import load_settings

    app = create_app(load_settings())
    if variant == "on-the-loop":
        context = app.state.context
        context.passwords = OnTheLoopChecker(context.settings.hash_concurrency)
    uvicorn.run(app, host="127.0.0.1", port=port, log_level="warning", access_log=False)


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def rss_mib(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


async def sign_in(client: httpx.AsyncClient) -> None:
    response = await client.post(
        "/api/login",
        data={"username": EMAIL, "password": PASSWORD, "user_timezone": "UTC"},
        headers={"HX-Request": "true"},
    )
    assert response.headers.get("HX-Redirect") == "/msgs", response.status_code


async def probe(base_url: str, seconds: float, signers: int) -> dict[str, float]:
    """Load /msgs one at a time for `seconds` while `signers` clients sign in."""
    latencies: list[float] = []
    sign_ins = 0
    stop = time.perf_counter() + seconds

    async def signer() -> None:
        nonlocal sign_ins
        async with httpx.AsyncClient(base_url=base_url, timeout=30) as client:
            while True:  # at least one each, however short the run
                await sign_in(client)
                sign_ins += 1
                if time.perf_counter() >= stop:
                    break

    async def prober() -> None:
        async with httpx.AsyncClient(base_url=base_url, timeout=30) as client:
            await sign_in(client)
            while True:  # at least one page, however short the run
                started = time.perf_counter()
                response = await client.get("/msgs")
                latencies.append((time.perf_counter() - started) * 1000)
                assert response.status_code == 200
                if time.perf_counter() >= stop:
                    break

    started = time.perf_counter()
    await asyncio.gather(prober(), *(signer() for _ in range(signers)))
    elapsed = time.perf_counter() - started
    return {
        "page_p50_ms": round(statistics.median(latencies), 2),
        "page_p99_ms": round(percentile(latencies, 0.99), 2),
        "page_max_ms": round(max(latencies), 2),
        "pages_per_s": round(len(latencies) / elapsed, 1),
        "sign_ins_per_s": round(sign_ins / elapsed, 1),
    }


def run(seconds: float, signers: int, admin_url: str | None = None) -> dict:
    """Measure both variants; admin_url is where to create the bench database."""
    data_dir = Path(tempfile.mkdtemp(prefix="bench-"))
    with bench_database(admin_url, data_dir, EMAIL, PASSWORD) as url:
        with psycopg.connect(url, autocommit=True) as conn:
            conn.execute(
                "INSERT INTO messages (author_id, body) SELECT id, 'message ' || n "
                "FROM users, generate_series(1, 200) n"
            )
        results = {
            variant: measure(variant, url, data_dir, seconds, signers)
            for variant in ("threads (ours)", "on-the-loop")
        }
    return {"seconds": seconds, "signers": signers, "results": results}


def measure(variant: str, url: str, data_dir: Path, seconds: float, signers: int) -> dict:
    """Start one variant of the server and probe it idle, then under a sign-in burst."""
    port = free_port()
    env = {
        **os.environ,
        "DATABASE_URL": url,
        "SECRET_KEY": SECRET,
        "DATA_DIR": str(data_dir),
        "APP_ENV": "development",
    }
    process = subprocess.Popen(
        [sys.executable, "-m", "tests.bench.sign_in_burst", "serve", variant, str(port)],
        cwd=ROOT,
        env=env,
    )
    try:
        base = f"http://127.0.0.1:{port}"
        wait_until_answers(base + "/readyz", process)
        idle = asyncio.run(probe(base, seconds, signers=0))
        burst = asyncio.run(probe(base, seconds, signers=signers))
        return {"idle": idle, "burst": burst, "rss_mib": rss_mib(process.pid)}
    finally:
        stop(process)


def print_table(report: dict) -> None:
    print(f"\n/msgs latency, one prober, alone and with {report['signers']} clients signing in")
    header = f"{'variant':<16}{'phase':<7}{'p50 ms':>8}{'p99 ms':>8}{'max ms':>8}"
    print(header + f"{'pages/s':>9}{'sign-ins/s':>12}{'RSS MiB':>9}")
    for variant, figures in report["results"].items():
        for phase in ("idle", "burst"):
            f = figures[phase]
            print(
                f"{variant:<16}{phase:<7}{f['page_p50_ms']:>8}{f['page_p99_ms']:>8}"
                f"{f['page_max_ms']:>8}{f['pages_per_s']:>9}{f['sign_ins_per_s']:>12}"
                f"{figures['rss_mib']:>9.1f}"
            )
    ours = report["results"]["threads (ours)"]["burst"]["page_p99_ms"]
    reference = report["results"]["on-the-loop"]["burst"]["page_p99_ms"]
    print(f"burst p99 ratio, ours / on-the-loop reference: {ours / reference:.2f}")


def main() -> None:
    if len(sys.argv) == 4 and sys.argv[1] == "serve":
        serve(sys.argv[2], int(sys.argv[3]))
        return
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=5.0)
    parser.add_argument("--signers", type=int, default=16)
    args = parser.parse_args()
    report = run(args.seconds, args.signers)
    print_table(report)
    out = ROOT / "bench-results"
    out.mkdir(exist_ok=True)
    (out / "sign_in_burst.json").write_text(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
