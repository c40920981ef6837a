"""The database a benchmark runs on: its own, created, migrated and dropped around the run."""

from __future__ import annotations

import asyncio
import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

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
