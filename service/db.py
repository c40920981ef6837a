"""The connection pool and the named queries, shared by every handler."""

from __future__ import annotations

import logging

from psycopg_pool import AsyncConnectionPool, PoolTimeout

from service.paths import QUERIES_DIR
from service.queries import Queries, load_queries
from service.settings import Settings

log = logging.getLogger(__name__)

queries: Queries = load_queries(QUERIES_DIR)

# Plan every statement for its actual values. psycopg prepares a statement after a few
# runs, and PostgreSQL then switches to one generic plan; for the history queries the best
# plan depends on the values (a rare word or a common one, a cursor near or far), and a
# generic plan measured 10x slower. Planning these statements costs well under a ms.
CONNECTION_OPTIONS = {
    "application_name": "message-service",
    "options": "-c plan_cache_mode=force_custom_plan",
}


def create_pool(settings: Settings, conninfo: str) -> AsyncConnectionPool:
    return AsyncConnectionPool(
        conninfo,
        min_size=settings.db_pool_min,
        max_size=settings.db_pool_max,
        open=False,
        timeout=5.0,
        check=AsyncConnectionPool.check_connection,
        kwargs=CONNECTION_OPTIONS,
        name="app",
    )


async def open_pool(pool: AsyncConnectionPool, wait_seconds: float = 5.0) -> None:
    """Open the pool; when the database is not there yet, keep going and let /readyz say so."""
    try:
        await pool.open(wait=True, timeout=wait_seconds)
    except PoolTimeout:
        log.error("database not reachable yet; /readyz answers 503 until it is")
