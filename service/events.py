"""GET /events: the Server-Sent Event stream of new messages for a signed-in page."""

from __future__ import annotations

import asyncio
import re
import time
from collections.abc import AsyncIterator

from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response, StreamingResponse

from service.auth import signed_in
from service.context import context
from service.live import Subscriber
from service.sessions import Session, session_is_live

LAST_EVENT_ID = re.compile(r"^\d{1,18}$")
# Browsers wait this long before reconnecting a stream that ended.
RETRY_MILLISECONDS = 2000


@signed_in
async def events(request: Request, session: Session) -> Response:
    """Stream new messages, rendered in the viewer's timezone, until the session ends."""
    ctx = context(request)
    broker = ctx.broker
    subscriber = broker.subscribe(session.user_id, session.timezone)
    if subscriber is None:
        return PlainTextResponse(
            "Too many live connections here; retrying shortly.",
            status_code=503,
            headers={"Retry-After": "5"},
        )
    last_event_id = request.headers.get("last-event-id", "")
    heartbeat = ctx.settings.heartbeat_seconds

    async def stream(subscriber: Subscriber) -> AsyncIterator[str]:
        try:
            yield f"retry: {RETRY_MILLISECONDS}\n\n"
            # Subscribed first, replayed second: nothing falls in between, and what
            # arrives live as well as in the replay is sent once.
            sent_up_to = 0
            if LAST_EVENT_ID.match(last_event_id):
                for event in await broker.missed_events(int(last_event_id), subscriber):
                    yield event.text
                    sent_up_to = event.id or sent_up_to
            while True:
                remaining = session.token_expires_at - time.time()
                if remaining <= 0:
                    return  # the browser reconnects with its renewed cookie, if any
                try:
                    event = await asyncio.wait_for(
                        subscriber.queue.get(), min(heartbeat, remaining)
                    )
                except TimeoutError:
                    # Signed out meanwhile (here or on another device)? Then stop.
                    if not await session_is_live(ctx, session):
                        return
                    yield ": keep-alive\n\n"  # a comment: keeps proxies from timing out
                    continue
                if event is None:
                    return
                if event.id is None or event.id > sent_up_to:
                    yield event.text
        finally:
            broker.unsubscribe(subscriber)

    return StreamingResponse(
        stream(subscriber),
        media_type="text/event-stream",
        headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"},
    )
