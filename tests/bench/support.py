"""What the benchmarks share: their own database, and starting and stopping the processes
they measure."""

from __future__ import annotations

import asyncio
import os
import subprocess
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import psycopg
from psycopg.conninfo import make_conninfo

from service.db import queries
from service.embedded import start_embedded_postgres
from service.migrations import apply_migrations
from service.passwords import OWASP_HASHER


@contextmanager
def bench_database(admin_url: str | None, work: Path, email: str, password: str) -> Iterator[str]:
    """A new migrated database with one person (email, password) in it; yields its URL.

    It is created on admin_url, else DATABASE_URL, else an embedded server in work.
    """
    admin_url = admin_url or os.environ.get("DATABASE_URL")
    if not admin_url:
        admin_url = start_embedded_postgres(work / "postgres").url
    name = f"bench_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(admin_url, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')  # type: ignore[arg-type]
    url = make_conninfo(admin_url, dbname=name)
    try:
        asyncio.run(apply_migrations(url, queries))
        with psycopg.connect(url, autocommit=True) as conn:
            conn.execute(
                "INSERT INTO users (email, password_hash, display_name) VALUES (%s, %s, %s)",
                (email, OWASP_HASHER.hash(password), email.split("@")[0]),
            )
        yield url
    finally:
        with psycopg.connect(admin_url, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')  # type: ignore[arg-type]


def wait_until_answers(url: str, process: subprocess.Popen, seconds: float = 30) -> None:
    """Wait until url answers 2xx; RuntimeError when the process exits or time runs out."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"{process.args} exited")
        try:
            if httpx.get(url, timeout=1).is_success:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.1)
    raise RuntimeError(f"{url} did not answer within {seconds} s")


def stop(process: subprocess.Popen) -> None:
    """SIGTERM, then SIGKILL if it has not gone within 15 s."""
    process.terminate()
    try:
        process.wait(15)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()
