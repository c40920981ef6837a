"""The hot history queries can be served by indexes (EXPLAIN), and seed-demo loads fast
data that keeps the schema and the id/time order."""

from __future__ import annotations

import asyncio
import subprocess
import sys

import psycopg
import pytest

from service.passwords import OWASP_HASHER
from service.seed import seed_demo
from tests.bench import history
from tests.live_server import ROOT, clean_environment

INDEXES = """
    SELECT indexname, indexdef FROM pg_indexes
    WHERE tablename IN ('messages', 'users') ORDER BY indexname
"""


def seed(url: str, messages: int, users: int, **options: object) -> None:
    asyncio.run(
        seed_demo(
            url,
            messages=messages,
            users=users,
            password_hash=OWASP_HASHER.hash("12341234"),
            random_seed=1,
            **options,  # type: ignore[arg-type]
        )
    )


def test_hot_queries_can_use_indexes(database_url: str, db: psycopg.Connection) -> None:
    seed(database_url, 5000, 20)
    scenarios, chosen = history.choose_scenarios(database_url, 5000)
    assert [s.name for s in scenarios] == [
        "newest page",
        "old page",
        "search",
        "filtered search",
        "post",
    ]
    plans = history.explain_hot_queries(
        database_url, chosen["cursor"], chosen["filters"], index_only=True
    )
    assert len(plans) == 9
    for plan in plans:
        assert not plan["seq_scan_on_messages"], plan["plan"]
        assert plan["indexes"], plan["plan"]
    used = {index for plan in plans for index in plan["indexes"]}
    assert {"messages_newest_first", "messages_search"} <= used


def test_bulk_load_keeps_the_schema_and_orders_times_by_id(
    database_url: str, db: psycopg.Connection
) -> None:
    before = db.execute(INDEXES).fetchall()
    seed(database_url, 3000, 7, rebuild_indexes=True)
    assert db.execute(INDEXES).fetchall() == before
    counts = db.execute(
        "SELECT count(*), count(DISTINCT author_id), count(DISTINCT body) FROM messages"
    ).fetchone()
    assert counts is not None
    assert counts[0] == 3000 and counts[1] == 7 and counts[2] > 2000
    # Newer ids have newer times: no message has a later time than the next id's.
    disorder = db.execute(
        "SELECT count(*) FROM (SELECT created_at > lead(created_at) OVER (ORDER BY id) AS bad "
        "FROM messages) AS pairs WHERE bad"
    ).fetchone()
    assert disorder == (0,)
    # Seeding again reuses the people and continues the history after its newest message.
    newest = db.execute("SELECT max(created_at) FROM messages").fetchone()
    seed(database_url, 500, 7)
    assert db.execute("SELECT count(*) FROM users").fetchone() == (7,)
    later = db.execute("SELECT min(created_at) FROM messages WHERE id > 3000").fetchone()
    assert newest is not None and later is not None and later[0] > newest[0]


def test_seed_demo_command(database_url: str, db: psycopg.Connection) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "service", "seed-demo", "--messages", "1500", "--users", "5"],
        cwd=ROOT,
        env=clean_environment(DATABASE_URL=database_url),
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert "added 1500 messages by 5 people" in done.stdout
    assert db.execute("SELECT count(*) FROM messages").fetchone() == (1500,)
    # The demo account and the five people, who sign in with the demo password.
    assert db.execute("SELECT count(*) FROM users").fetchone() == (6,)


@pytest.mark.parametrize("argv", [["--messages", "-1"], ["--messages", "10", "--users", "0"]])
def test_seed_demo_refuses_bad_sizes(argv: list[str], database_url: str) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "service", "seed-demo", *argv],
        cwd=ROOT,
        env=clean_environment(DATABASE_URL=database_url),
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 2
    assert "Traceback" not in done.stderr
