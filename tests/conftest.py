"""Fixtures: a real PostgreSQL (DATABASE_URL, else embedded), a clean database per test
cloned from a migrated template, and an httpx client on the app."""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
import uuid
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, replace
from pathlib import Path

import httpx
import psycopg
import pytest
from psycopg.conninfo import conninfo_to_dict, make_conninfo

from service.app import create_app
from service.db import queries
from service.embedded import start_embedded_postgres
from service.migrations import apply_migrations
from service.passwords import OWASP_HASHER
from service.settings import Settings

TEST_SECRET = "test-secret-0123456789-abcdefghijklmnopqrstuvwxyz"
PASSWORD = "correct horse battery"


@dataclass(frozen=True)
class PostgresServer:
    """Where tests may create databases, and the client binaries that match its version."""

    admin_url: str
    bin_dir: Path | None
    data_dir: Path | None = None  # set when the tests own the server (embedded)

    def url(self, dbname: str) -> str:
        return make_conninfo(self.admin_url, dbname=dbname)

    def binary(self, name: str) -> str:
        if self.bin_dir is not None:
            return str(self.bin_dir / name)
        found = shutil.which(name)
        if found is None:
            raise RuntimeError(f"{name} is not on PATH")
        return found

    def restart(self, database_url: str) -> None:
        """Restart the server when the tests own it; otherwise cut every connection to
        database_url, which is what a restart looks like to the app."""
        if self.data_dir is None:
            dbname = conninfo_to_dict(database_url)["dbname"]
            with psycopg.connect(self.admin_url, autocommit=True) as conn:
                conn.execute(
                    "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                    "WHERE datname = %s AND pid <> pg_backend_pid()",
                    (dbname,),
                )
            return
        log = self.data_dir / "log"  # the file the wheel's server logs to
        command = [self.binary("pg_ctl"), "-D", str(self.data_dir), "-l", str(log)]
        command += ["-m", "fast", "-w", "restart"]
        if os.geteuid() == 0:  # the wheel runs the server as its own user when we are root
            command = ["runuser", "-u", "pgserver", "--", *command]
        subprocess.run(command, check=True, stdout=subprocess.DEVNULL, timeout=60)

    def execute(self, statement: str) -> None:
        with psycopg.connect(self.admin_url, autocommit=True) as conn:
            conn.execute(statement)  # type: ignore[arg-type]


def quoted(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


@pytest.fixture(scope="session")
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture(scope="session")
def postgres() -> Iterator[PostgresServer]:
    url = os.environ.get("DATABASE_URL")
    if url:
        yield PostgresServer(admin_url=url, bin_dir=None)
        return
    # Not under pytest's own temporary tree: the server runs as another user when we are
    # root, and needs to reach its directory until it has stopped.
    parent = Path(tempfile.mkdtemp(prefix="message-service-tests-"))
    server = start_embedded_postgres(parent / "postgres")
    yield PostgresServer(admin_url=server.url, bin_dir=server.bin_dir, data_dir=server.data_dir)
    server.stop()
    shutil.rmtree(parent, ignore_errors=True)


@pytest.fixture(scope="session")
def template_database(postgres: PostgresServer) -> Iterator[str]:
    """A migrated database that each test's database is cloned from."""
    import asyncio

    name = f"msgs_template_{uuid.uuid4().hex[:8]}"
    postgres.execute(f"CREATE DATABASE {quoted(name)}")
    asyncio.run(apply_migrations(postgres.url(name), queries))
    yield name
    postgres.execute(f"DROP DATABASE IF EXISTS {quoted(name)} WITH (FORCE)")


@pytest.fixture
def fresh_database(postgres: PostgresServer) -> Iterator[str]:
    """An empty database (no schema): yields its URL."""
    name = f"msgs_test_{uuid.uuid4().hex[:12]}"
    postgres.execute(f"CREATE DATABASE {quoted(name)}")
    yield postgres.url(name)
    postgres.execute(f"DROP DATABASE IF EXISTS {quoted(name)} WITH (FORCE)")


@pytest.fixture
def database_url(postgres: PostgresServer, template_database: str) -> Iterator[str]:
    """A clean, migrated database for this test alone."""
    name = f"msgs_test_{uuid.uuid4().hex[:12]}"
    postgres.execute(f"CREATE DATABASE {quoted(name)} TEMPLATE {quoted(template_database)}")
    yield postgres.url(name)
    postgres.execute(f"DROP DATABASE IF EXISTS {quoted(name)} WITH (FORCE)")


@pytest.fixture
def db(database_url: str) -> Iterator[psycopg.Connection]:
    """A direct connection to the test's database, for arranging and checking rows."""
    with psycopg.connect(database_url, autocommit=True) as conn:
        yield conn


@pytest.fixture
def settings(database_url: str, tmp_path: Path) -> Settings:
    return Settings(
        env="development",
        database_url=database_url,
        secret_key=TEST_SECRET,
        data_dir=tmp_path,
        db_pool_min=1,
        db_pool_max=4,
    )


def create_user(conn: psycopg.Connection, email: str, password: str = PASSWORD) -> int:
    row = conn.execute(
        "INSERT INTO users (email, password_hash, display_name) VALUES (%s, %s, %s) RETURNING id",
        (email, OWASP_HASHER.hash(password), email.split("@")[0]),
    ).fetchone()
    assert row is not None
    return row[0]


@pytest.fixture
def user(db: psycopg.Connection) -> dict[str, object]:
    email = "ada@example.com"
    return {"id": create_user(db, email), "email": email, "password": PASSWORD}


class Client(httpx.AsyncClient):
    """An httpx client on the app, with sign-in helpers."""

    async def sign_in(
        self,
        email: str = "ada@example.com",
        password: str = PASSWORD,
        timezone: str = "UTC",
        htmx: bool = True,
    ) -> httpx.Response:
        headers = {"HX-Request": "true"} if htmx else {}
        response = await self.post(
            "/api/login",
            data={"username": email, "password": password, "user_timezone": timezone},
            headers=headers,
        )
        return response

    async def post_message(self, text: str, htmx: bool = True) -> httpx.Response:
        headers = {"HX-Request": "true"} if htmx else {}
        return await self.post("/api/message", data={"message": text}, headers=headers)


async def app_client(settings: Settings) -> AsyncIterator[Client]:
    app = create_app(settings)
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with Client(transport=transport, base_url="http://testserver") as client:
            yield client


@pytest.fixture
async def client(settings: Settings) -> AsyncIterator[Client]:
    async for c in app_client(settings):
        yield c


@pytest.fixture
async def https_client(settings: Settings) -> AsyncIterator[Client]:
    async for c in app_client(replace(settings, https=True)):
        yield c


@pytest.fixture
async def signed_in(client: Client, user: dict[str, object]) -> Client:
    response = await client.sign_in()
    assert response.status_code == 200, response.text
    return client
