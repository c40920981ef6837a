"""python -m service [serve|migrate]: run the service, or apply the schema migrations."""

from __future__ import annotations

import argparse
import asyncio
import logging
import sys

import uvicorn

from service.app import create_app
from service.db import queries
from service.embedded import start_embedded_postgres
from service.logs import configure_logging
from service.migrations import apply_migrations
from service.passwords import OWASP_HASHER
from service.settings import Settings, SettingsError, load_settings

log = logging.getLogger("service")

DEMO_EMAIL = "user@example.com"
DEMO_PASSWORD = "12341234"  # noqa: S105 - the documented development-only demo account


def database_url(settings: Settings) -> str:
    """settings.database_url, or the embedded server's (started now) when it is unset."""
    if settings.database_url:
        return settings.database_url
    server = start_embedded_postgres(settings.data_dir / "postgres")
    log.info("embedded PostgreSQL in %s", server.data_dir)
    return server.url


async def seed_demo_account(conninfo: str) -> None:
    from psycopg import AsyncConnection

    async with await AsyncConnection.connect(conninfo, autocommit=True) as conn:
        await queries.ensure_user(
            conn, email=DEMO_EMAIL, password_hash=OWASP_HASHER.hash(DEMO_PASSWORD)
        )


def serve(settings: Settings) -> None:
    url = database_url(settings)
    if not settings.production:
        # Production applies migrations as a separate release step (ops/migrate.sh).
        asyncio.run(apply_migrations(url, queries))
        asyncio.run(seed_demo_account(url))
    app = create_app(settings, url)
    print(f"Serving on http://{settings.host}:{settings.port}", flush=True)
    if not settings.production:
        print(f"Demo sign-in: {DEMO_EMAIL} / {DEMO_PASSWORD}", flush=True)
    uvicorn.run(
        app,
        host=settings.host,
        port=settings.port,
        log_level=settings.log_level,
        access_log=False,
        proxy_headers=True,
        forwarded_allow_ips=settings.forwarded_allow_ips,
        timeout_graceful_shutdown=10,
        server_header=False,
    )


def migrate(settings: Settings) -> None:
    applied = asyncio.run(apply_migrations(database_url(settings), queries))
    print("applied: " + ", ".join(applied) if applied else "schema is up to date")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m service", description=__doc__)
    parser.add_argument(
        "command", nargs="?", default="serve", choices=["serve", "migrate"], help="default: serve"
    )
    args = parser.parse_args(argv)
    try:
        settings = load_settings()
    except SettingsError as error:
        print(f"configuration error: {error}", file=sys.stderr)
        return 2
    configure_logging(settings)
    {"serve": serve, "migrate": migrate}[args.command](settings)
    return 0
