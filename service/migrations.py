"""Apply sql/migrations/*.sql in order, each once, recorded in schema_migrations.

ops/migrate.sh does the same with psql and the same table, so either path can follow
the other.
"""

from __future__ import annotations

import logging
from pathlib import Path

from psycopg import AsyncConnection

from service.paths import SQL_DIR
from service.queries import Queries

log = logging.getLogger(__name__)

MIGRATIONS_DIR = SQL_DIR / "migrations"


def migration_files(directory: Path = MIGRATIONS_DIR) -> list[Path]:
    return sorted(directory.glob("[0-9][0-9][0-9][0-9]_*.sql"))


async def apply_migrations(conninfo: str, queries: Queries) -> list[str]:
    """Apply pending migrations; return the names applied now."""
    applied: list[str] = []
    async with await AsyncConnection.connect(conninfo, autocommit=True) as conn:
        await conn.execute((SQL_DIR / "schema_migrations.sql").read_text())
        for path in migration_files():
            async with conn.transaction():
                # Serialises concurrent migrators (several replicas starting at once).
                await queries.lock_schema_migrations(conn)
                if await queries.migration_applied(conn, filename=path.name):
                    continue
                await conn.execute(path.read_text())
                await queries.record_migration(conn, filename=path.name)
            log.info("applied migration %s", path.name)
            applied.append(path.name)
    return applied
