"""Benchmark: how long until every open dashboard has a new message?

    uv run python -m tests.bench.live_fanout [--clients 100,1000,2000] [--rounds 3]

For each client count N: N Server-Sent Event streams on ONE service process (real
uvicorn, real PostgreSQL LISTEN/NOTIFY), then one message is posted over HTTP and the
time until each stream has it is recorded (p50, p99, max) with the server's RSS. The
same run measures a reference floor: a bare ASGI app that broadcasts a same-sized event
from memory (no database, no framework, no rendering), so each figure is also a ratio.

Then the cost of NOTIFY on posting: posts/s from 8 concurrent clients with the notify
trigger, and with it disabled (the reference). Prints tables; writes
bench-results/live_fanout.json. DATABASE_URL is used when set, else embedded PostgreSQL.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx
import psycopg

from tests.bench.sign_in_burst import percentile, rss_mib
from tests.bench.support import bench_database, stop, wait_until_answers
from tests.live_server import ROOT, LiveServer, free_port

EMAIL = "user@example.com"
PASSWORD = "12341234"
SECRET = "bench-secret-0123456789-abcdefghijklmnopqrstuvwxyz"
FLOOR_EVENT = "id: 1\nevent: message\ndata: " + "x" * 300 + "\n\n"


async def floor_app(scope: dict, receive, send) -> None:  # type: ignore[no-untyped-def]
    """The reference: GET /events streams, POST /publish sends one event to all of them."""
    streams: set[asyncio.Queue[bytes]] = floor_app.streams  # type: ignore[attr-defined]
    if scope["type"] == "lifespan":
        while (await receive())["type"] != "lifespan.shutdown":
            await send({"type": "lifespan.startup.complete"})
        await send({"type": "lifespan.shutdown.complete"})
        return
    if scope["path"] == "/publish":
        for queue in streams:
            queue.put_nowait(FLOOR_EVENT.encode())
        await send({"type": "http.response.start", "status": 204, "headers": []})
        await send({"type": "http.response.body", "body": b""})
        return
    queue: asyncio.Queue[bytes] = asyncio.Queue()
    streams.add(queue)

    async def stream() -> None:
        headers = [(b"content-type", b"text/event-stream")]
        await send({"type": "http.response.start", "status": 200, "headers": headers})
        await send({"type": "http.response.body", "body": b"retry: 2000\n\n", "more_body": True})
        while True:
            await send({"type": "http.response.body", "body": await queue.get(), "more_body": True})

    async def until_disconnected() -> None:
        while (await receive())["type"] != "http.disconnect":
            pass

    tasks = [asyncio.create_task(stream()), asyncio.create_task(until_disconnected())]
    try:
        await asyncio.wait(tasks, return_when=asyncio.FIRST_COMPLETED)
    finally:
        for task in tasks:
            task.cancel()
        streams.discard(queue)


floor_app.streams = set()  # type: ignore[attr-defined]


class StreamClient:
    """A raw-socket SSE client: light enough that thousands fit in one process."""

    def __init__(self) -> None:
        self.received_at: float | None = None
        self.ready = asyncio.Event()
        self.task: asyncio.Task[None] | None = None

    async def run(self, port: int, cookie: str, wanted: asyncio.Event) -> None:
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        writer.write(
            f"GET /events HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nCookie: {cookie}\r\n"
            "Accept: text/event-stream\r\n\r\n".encode()
        )
        try:
            status = await reader.readline()
            if b" 200 " not in status:
                raise RuntimeError(f"stream refused: {status!r}")
            while (line := await reader.readline()) not in (b"", b"\r\n"):
                pass  # the response headers
            while line := await reader.readline():
                if line.startswith(b"retry:"):
                    self.ready.set()
                if line.startswith(b"id:") and wanted.is_set():
                    self.received_at = time.perf_counter()
                    return
            raise RuntimeError("stream ended")
        finally:
            writer.close()


async def fan_out(
    port: int, cookie: str, clients: int, publish: callable, rounds: int
) -> list[float]:
    """Latencies (ms) from publishing to each of `clients` streams receiving, over rounds."""
    latencies: list[float] = []
    for _ in range(rounds):
        wanted = asyncio.Event()
        streams = [StreamClient() for _ in range(clients)]
        for stream in streams:
            stream.task = asyncio.create_task(stream.run(port, cookie, wanted))
            await asyncio.sleep(0)  # spread connection set-up a little
        await asyncio.wait_for(asyncio.gather(*(s.ready.wait() for s in streams)), 120)
        await asyncio.sleep(0.2)
        wanted.set()
        started = time.perf_counter()
        await publish()
        await asyncio.wait_for(asyncio.gather(*(s.task for s in streams)), 60)
        latencies += [(s.received_at - started) * 1000 for s in streams]  # type: ignore[operator]
    return latencies


def progress(text: str) -> None:
    print(f"[live_fanout] {text}", file=sys.stderr, flush=True)


def summary(latencies: list[float]) -> dict[str, float]:
    return {
        "p50_ms": round(statistics.median(latencies), 1),
        "p99_ms": round(percentile(latencies, 0.99), 1),
        "max_ms": round(max(latencies), 1),
    }


async def session_cookie(base_url: str) -> tuple[str, httpx.AsyncClient]:
    client = httpx.AsyncClient(base_url=base_url, timeout=30)
    response = await client.post(
        "/api/login",
        data={"username": EMAIL, "password": PASSWORD, "user_timezone": "Asia/Kolkata"},
        headers={"HX-Request": "true"},
    )
    assert response.headers.get("HX-Redirect") == "/msgs"
    return "; ".join(f"{k}={v}" for k, v in client.cookies.items()), client


async def measure_service(port: int, counts: list[int], rounds: int, pid: int) -> dict:
    cookie, client = await session_cookie(f"http://127.0.0.1:{port}")

    async def publish() -> None:
        response = await client.post(
            "/api/message", data={"message": "fan-out " + "x" * 200}, headers={"HX-Request": "true"}
        )
        assert response.status_code == 201

    results = {}
    for count in counts:
        latencies = await fan_out(port, cookie, count, publish, rounds)
        results[count] = {**summary(latencies), "rss_mib": round(rss_mib(pid), 1)}
    await client.aclose()
    return results


async def measure_floor(port: int, counts: list[int], rounds: int, pid: int) -> dict:
    client = httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}")

    async def publish() -> None:
        assert (await client.post("/publish")).status_code == 204

    results = {}
    for count in counts:
        latencies = await fan_out(port, "", count, publish, rounds)
        results[count] = {**summary(latencies), "rss_mib": round(rss_mib(pid), 1)}
    await client.aclose()
    return results


async def post_rate(base_url: str, seconds: float, concurrency: int = 8) -> float:
    """Posts per second from `concurrency` signed-in clients posting as fast as they can."""
    posted = 0
    stop = time.perf_counter() + seconds

    async def poster() -> None:
        nonlocal posted
        _, client = await session_cookie(base_url)
        while True:  # at least one post each, however short the run or busy the machine
            response = await client.post("/api/message", data={"message": "rate"})
            assert response.status_code == 303
            posted += 1
            if time.perf_counter() >= stop:
                break
        await client.aclose()

    started = time.perf_counter()
    await asyncio.gather(*(poster() for _ in range(concurrency)))
    return round(posted / (time.perf_counter() - started), 1)


def run(counts: list[int], rounds: int, post_seconds: float, admin_url: str | None = None) -> dict:
    work = Path(tempfile.mkdtemp(prefix="bench-"))
    with bench_database(admin_url, work, EMAIL, PASSWORD) as url:
        return measure(url, work, counts, rounds, post_seconds)


def measure(url: str, work: Path, counts: list[int], rounds: int, post_seconds: float) -> dict:
    """The service and the floor, fanning out to each number of streams; posting rates."""
    report: dict = {"clients": counts, "rounds": rounds}
    service = LiveServer(
        work, DATABASE_URL=url, SECRET_KEY=SECRET, MAX_STREAMS="10000", LOG_LEVEL="info"
    )
    try:
        pid = service.process.pid
        progress("service: fan-out")
        report["service"] = asyncio.run(measure_service(service.port, counts, rounds, pid))
        progress("service: posting with NOTIFY")
        report["posts_per_s_with_notify"] = asyncio.run(post_rate(service.url, post_seconds))
        with psycopg.connect(url, autocommit=True) as conn:
            conn.execute("ALTER TABLE messages DISABLE TRIGGER messages_notify_inserted")
        progress("service: posting without NOTIFY")
        report["posts_per_s_without_notify"] = asyncio.run(post_rate(service.url, post_seconds))
    finally:
        service.stop()
    port = free_port()
    floor = subprocess.Popen(
        [sys.executable, "-m", "uvicorn", "tests.bench.live_fanout:floor_app",
         "--port", str(port), "--log-level", "warning", "--no-access-log"],
        cwd=ROOT,
    )  # fmt: skip
    try:
        wait_until_answers(f"http://127.0.0.1:{port}/publish", floor)
        progress("floor: fan-out")
        report["floor"] = asyncio.run(measure_floor(port, counts, rounds, floor.pid))
    finally:
        stop(floor)
    return report


def print_table(report: dict) -> None:
    print(f"\nOne post reaching N open streams on one process ({report['rounds']} rounds each)")
    print(f"{'N':>6} | {'service p50/p99/max ms':>24} {'RSS MiB':>8} | "
          f"{'floor p50/p99/max ms':>22} {'RSS MiB':>8} | {'p99 ratio':>9}")  # fmt: skip
    for count in report["clients"]:
        ours, floor = report["service"][count], report["floor"][count]
        ratio = ours["p99_ms"] / max(floor["p99_ms"], 0.1)
        service = f"{ours['p50_ms']:>8}/{ours['p99_ms']:>7}/{ours['max_ms']:>7}"
        reference = f"{floor['p50_ms']:>6}/{floor['p99_ms']:>7}/{floor['max_ms']:>7}"
        print(
            f"{count:>6} | {service} {ours['rss_mib']:>8} | "
            f"{reference} {floor['rss_mib']:>8} | {ratio:>9.1f}"
        )
    with_notify = report["posts_per_s_with_notify"]
    without = report["posts_per_s_without_notify"]
    print(
        f"posts/s (8 clients): {with_notify} with NOTIFY, {without} without "
        f"(ratio {with_notify / without:.2f})"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clients", default="100,1000,2000")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--post-seconds", type=float, default=5.0)
    args = parser.parse_args()
    counts = [int(n) for n in args.clients.split(",")]
    report = run(counts, args.rounds, args.post_seconds)
    print_table(report)
    out = ROOT / "bench-results"
    out.mkdir(exist_ok=True)
    (out / "live_fanout.json").write_text(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
