"""python -m service [serve|migrate|create-user EMAIL|seed-demo]: run the service, apply
the schema migrations, create an account, or fill a development database with demo history."""

from __future__ import annotations

import argparse
import asyncio
import getpass
import logging
import signal
import sys

import uvicorn
from psycopg import AsyncConnection

from service.accounts import email_problem, password_problem
from service.app import create_app
from service.db import queries
from service.embedded import start_embedded_postgres
from service.logs import configure_logging
from service.migrations import apply_migrations
from service.passwords import OWASP_HASHER
from service.seed import seed_demo
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


async def create_account(conninfo: str, email: str, password: str) -> int | None:
    """The new user's id, or None when the email is taken."""
    async with await AsyncConnection.connect(conninfo, autocommit=True) as conn:
        return await queries.create_user(
            conn, email=email, password_hash=OWASP_HASHER.hash(password)
        )


def serve(settings: Settings) -> None:
    url = database_url(settings)
    if not settings.production:
        # Production applies migrations as a separate release step (ops/migrate.sh).
        asyncio.run(apply_migrations(url, queries))
        asyncio.run(create_account(url, DEMO_EMAIL, DEMO_PASSWORD))
    # uvicorn re-raises SIGTERM once it has shut down gracefully; exit normally instead,
    # so exit hooks run (they stop the embedded PostgreSQL this process started).
    signal.signal(signal.SIGTERM, lambda signum, frame: sys.exit(0))
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


def read_new_password() -> str:
    """From a prompt (asked twice) on a terminal, else the first line of stdin."""
    if sys.stdin.isatty():
        password = getpass.getpass("Password: ")
        if getpass.getpass("Password again: ") != password:
            raise SystemExit("the passwords differ")
        return password
    return sys.stdin.readline().rstrip("\r\n")


def create_user(settings: Settings, email: str) -> int:
    """python -m service create-user EMAIL: the password comes from a prompt or stdin."""
    email = email.strip()
    password = read_new_password()
    problem = email_problem(email) or password_problem(password, email)
    if problem:
        print(f"cannot create {email!r}: {problem}", file=sys.stderr)
        return 2
    url = database_url(settings)
    if asyncio.run(create_account(url, email, password)) is None:
        print(f"an account for {email} exists already", file=sys.stderr)
        return 1
    print(f"created {email}")
    return 0


def seed_demo_history(settings: Settings, messages: int, users: int) -> int:
    """Migrate, then add `users` demo people and `messages` messages by them."""
    if settings.production:
        print("seed-demo fills development databases only (APP_ENV=production)", file=sys.stderr)
        return 2
    if messages and not users:
        print("seed-demo needs --users of at least 1 to write messages", file=sys.stderr)
        return 2
    url = database_url(settings)
    asyncio.run(apply_migrations(url, queries))
    asyncio.run(create_account(url, DEMO_EMAIL, DEMO_PASSWORD))
    report = asyncio.run(
        seed_demo(
            url,
            messages=messages,
            users=users,
            password_hash=OWASP_HASHER.hash(DEMO_PASSWORD),
            progress=lambda text: print(text, flush=True),
        )
    )
    print(
        f"added {report.messages} messages by {report.users} people in {report.seconds} s, "
        f"from {report.first:%Y-%m-%d} to {report.last:%Y-%m-%d}; each signs in with "
        f"first.last@example.com / {DEMO_PASSWORD}",
        flush=True,
    )
    return 0


def count(raw: str) -> int:
    value = int(raw)
    if not 0 <= value <= 100_000_000:
        raise argparse.ArgumentTypeError("must be between 0 and 100000000")
    return value


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m service", description=__doc__)
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")
    commands.add_parser("serve", help="run the service (the default)")
    commands.add_parser("migrate", help="apply the schema migrations")
    create = commands.add_parser(
        "create-user",
        help="create an account; the password is read from a prompt or stdin, never argv",
    )
    create.add_argument("email")
    seed = commands.add_parser("seed-demo", help="fill a development database with history")
    seed.add_argument("--messages", type=count, default=100_000, help="messages to add (100000)")
    seed.add_argument("--users", type=count, default=200, help="people (200)")
    args = parser.parse_args(argv)
    try:
        settings = load_settings()
    except SettingsError as error:
        print(f"configuration error: {error}", file=sys.stderr)
        return 2
    configure_logging(settings)
    if args.command == "create-user":
        return create_user(settings, args.email)
    if args.command == "seed-demo":
        return seed_demo_history(settings, args.messages, args.users)
    if args.command == "migrate":
        migrate(settings)
    else:
        serve(settings)
    return 0
