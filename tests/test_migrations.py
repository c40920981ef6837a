"""Both migration paths (psql via ops/migrate.sh, and python -m service migrate) agree."""

import os
import subprocess
import sys
from pathlib import Path

import psycopg
import pytest

from service.migrations import migration_files
from tests.conftest import PostgresServer

ROOT = Path(__file__).resolve().parent.parent
ALL = [path.name for path in migration_files()]


def run_psql_path(postgres: PostgresServer, url: str) -> str:
    env = {**os.environ, "DATABASE_URL": url, "PSQL": postgres.binary("psql")}
    done = subprocess.run(
        [str(ROOT / "ops" / "migrate.sh")], env=env, capture_output=True, text=True, check=False
    )
    assert done.returncode == 0, done.stderr
    return done.stdout


def run_python_path(url: str) -> str:
    env = {**os.environ, "DATABASE_URL": url}
    done = subprocess.run(
        [sys.executable, "-m", "service", "migrate"],
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    return done.stdout


def schema(postgres: PostgresServer, url: str) -> str:
    done = subprocess.run(
        [postgres.binary("pg_dump"), "--schema-only", "--no-owner", "--no-privileges", url],
        capture_output=True,
        text=True,
        check=True,
    )
    # pg_dump 17+ prints a random \restrict key per run.
    return "\n".join(
        line
        for line in done.stdout.splitlines()
        if not line.startswith(("\\restrict", "\\unrestrict"))
    )


def applied(url: str) -> list[str]:
    with psycopg.connect(url) as conn:
        return [row[0] for row in conn.execute("SELECT filename FROM schema_migrations ORDER BY 1")]


@pytest.fixture
def second_database(postgres: PostgresServer, fresh_database: str):
    name = "msgs_second_" + os.urandom(4).hex()
    postgres.execute(f'CREATE DATABASE "{name}"')
    yield postgres.url(name)
    postgres.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def test_psql_and_python_paths_give_the_same_schema(
    postgres: PostgresServer, fresh_database: str, second_database: str
) -> None:
    out = run_psql_path(postgres, fresh_database)
    assert all(f"applied {name}" in out for name in ALL)
    assert f"applied: {', '.join(ALL)}" in run_python_path(second_database)
    assert schema(postgres, fresh_database) == schema(postgres, second_database)
    assert "CREATE TABLE public.messages" in schema(postgres, fresh_database)
    assert applied(fresh_database) == applied(second_database) == ALL


def test_each_path_is_idempotent_and_follows_the_other(
    postgres: PostgresServer, fresh_database: str
) -> None:
    run_psql_path(postgres, fresh_database)
    before = schema(postgres, fresh_database)
    assert "schema is up to date" in run_python_path(fresh_database)
    assert "applied" not in run_psql_path(postgres, fresh_database)
    assert schema(postgres, fresh_database) == before
    assert applied(fresh_database) == ALL


def test_python_path_then_psql_path(postgres: PostgresServer, fresh_database: str) -> None:
    run_python_path(fresh_database)
    assert "applied" not in run_psql_path(postgres, fresh_database)
    assert applied(fresh_database) == ALL
