"""Liveness (the process answers) and readiness (the database answers, quickly)."""

from __future__ import annotations

import asyncio

from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response

from service.context import context

READY_TIMEOUT_SECONDS = 1.0


async def healthz(request: Request) -> Response:
    """Alive: no database involved, so a database outage does not restart the process."""
    return PlainTextResponse("ok")


async def readyz(request: Request) -> Response:
    """Ready when the database answers within READY_TIMEOUT_SECONDS and the live-updates
    listener is connected; else 503."""
    ctx = context(request)

    async def ping() -> None:
        async with ctx.pool.connection(timeout=READY_TIMEOUT_SECONDS) as conn:
            await ctx.queries.ping(conn)

    try:
        await asyncio.wait_for(ping(), READY_TIMEOUT_SECONDS)
    except Exception as error:  # any failure to answer means not ready
        return PlainTextResponse(f"database unavailable: {type(error).__name__}", status_code=503)
    if not ctx.broker.listening:
        return PlainTextResponse("live updates listener is reconnecting", status_code=503)
    return PlainTextResponse("ready")
