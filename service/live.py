"""Live updates: one LISTEN connection per process, fanned out to Server-Sent Event streams.

An insert NOTIFYs `messages` with the new ids (migration 0002). Each process's Broker
holds one dedicated connection that LISTENs, reads each new message once, renders it
once per distinct viewer timezone and queues the event on every local stream. Streams
are bounded: a client that falls behind is dropped (its browser reconnects and resyncs).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import re
import signal
import threading
from collections import deque
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

import psycopg
from jinja2 import Template
from psycopg import AsyncConnection
from psycopg_pool import AsyncConnectionPool

from service.queries import Queries

log = logging.getLogger(__name__)

PAYLOAD = re.compile(r"^(?P<change>insert|delete):(?P<ids>\d+(?:,\d+)*)$")
RECONNECT_DELAYS = (0.1, 0.2, 0.5, 1.0, 2.0, 5.0)
CATCH_UP_LIMIT = 500
REMEMBERED_IDS = 2048


def sse_event(event_id: int | None, data: str, event: str = "message") -> str:
    """One Server-Sent Event; every line of data gets its own `data:` field."""
    lines = [] if event_id is None else [f"id: {event_id}"]
    lines.append(f"event: {event}")
    lines += [f"data: {line}" for line in data.splitlines() or [""]]
    return "\n".join(lines) + "\n\n"


@dataclass(frozen=True)
class Event:
    """A rendered Server-Sent Event; `id` is the new message's (None for a deletion)."""

    id: int | None
    text: str


@dataclass(eq=False)
class Subscriber:
    """One open stream: who watches, in which timezone, and a bounded queue of events."""

    user_id: int
    timezone: str
    queue: asyncio.Queue[Event | None] = field(default_factory=lambda: asyncio.Queue(64))

    def offer(self, event: Event) -> bool:
        """Queue the event; False when the client is too far behind to keep."""
        try:
            self.queue.put_nowait(event)
        except asyncio.QueueFull:
            return False
        return True

    def close(self) -> None:
        """Drop what is queued and queue the end of the stream."""
        while not self.queue.empty():
            self.queue.get_nowait()
        self.queue.put_nowait(None)


class Broker:
    """Listens for new messages on its own connection and hands them to local subscribers."""

    def __init__(
        self,
        conninfo: str,
        pool: AsyncConnectionPool,
        queries: Queries,
        message_template: Template,
        max_streams: int,
    ) -> None:
        self.conninfo = conninfo
        self.pool = pool
        self.queries = queries
        self.message_template = message_template
        self.max_streams = max_streams
        self.subscribers: set[Subscriber] = set()
        self.listening = False
        self.closing = False
        self.dropped = 0
        self.last_id: int | None = None
        self._recent: deque[int] = deque(maxlen=REMEMBERED_IDS)
        self._task: asyncio.Task[None] | None = None
        self._first_connection = asyncio.Event()

    async def start(self, wait_seconds: float = 5.0) -> None:
        """Start listening; wait (a little) for the first connection, so a fresh process
        is ready at once when the database is there."""
        self._task = asyncio.create_task(self._listen_forever(), name="message-listener")
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._first_connection.wait(), wait_seconds)

    async def stop(self) -> None:
        self.close_streams()
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task

    def close_streams(self) -> None:
        """End every stream now (shutdown): clients reconnect to another process."""
        self.closing = True
        for subscriber in list(self.subscribers):
            subscriber.close()

    def subscribe(self, user_id: int, timezone: str) -> Subscriber | None:
        """A new stream, or None when this process has as many as it may hold."""
        if self.closing or len(self.subscribers) >= self.max_streams:
            return None
        subscriber = Subscriber(user_id, timezone)
        self.subscribers.add(subscriber)
        return subscriber

    def unsubscribe(self, subscriber: Subscriber) -> None:
        self.subscribers.discard(subscriber)

    def render(self, message: dict[str, Any], timezone: str, viewer_id: int | None) -> Event:
        """The message as one viewer sees it: in their zone, with a delete control when
        they wrote it."""
        html = self.message_template.render(message=message, timezone=timezone, viewer_id=viewer_id)
        return Event(message["id"], sse_event(message["id"], html))

    async def missed_events(self, after_id: int, subscriber: Subscriber) -> list[Event]:
        """Events for messages after after_id (a reconnecting client's Last-Event-ID)."""
        async with self.pool.connection() as conn:
            rows = await self.queries.list_messages_after(
                conn, after_id=after_id, limit=CATCH_UP_LIMIT
            )
        return [self.render(row, subscriber.timezone, subscriber.user_id) for row in rows]

    def publish(self, messages: Iterable[dict[str, Any]]) -> None:
        """Render each message once per (timezone, is-the-author) in use and queue it on
        every stream."""
        for message in messages:
            if message["id"] in self._recent:
                continue
            self._recent.append(message["id"])
            self.last_id = max(self.last_id or 0, message["id"])
            rendered: dict[tuple[str, bool], Event] = {}
            for subscriber in list(self.subscribers):
                is_author = subscriber.user_id == message["author_id"]
                key = (subscriber.timezone, is_author)
                if key not in rendered:
                    viewer = subscriber.user_id if is_author else None
                    rendered[key] = self.render(message, subscriber.timezone, viewer)
                self._offer(subscriber, rendered[key])

    def publish_deletions(self, ids: Iterable[int]) -> None:
        """Tell every stream which messages are gone."""
        for message_id in ids:
            event = Event(None, sse_event(None, str(message_id), event="delete"))
            for subscriber in list(self.subscribers):
                self._offer(subscriber, event)

    def _offer(self, subscriber: Subscriber, event: Event) -> None:
        if not subscriber.offer(event):
            self.dropped += 1
            self.unsubscribe(subscriber)
            subscriber.close()
            log.warning("dropped a live stream that fell behind")

    async def _listen_forever(self) -> None:
        attempt = 0
        while True:
            try:
                async with await AsyncConnection.connect(
                    self.conninfo,
                    autocommit=True,
                    application_name="message-service-listener",
                    keepalives=1,
                    keepalives_idle=10,
                    keepalives_interval=5,
                    keepalives_count=3,
                ) as conn:
                    await self.queries.listen_for_messages(conn)
                    await self._catch_up()
                    self.listening = True
                    self._first_connection.set()
                    if attempt:
                        log.info("live updates listener reconnected")
                    attempt = 0
                    async for notification in conn.notifies():
                        await self._on_notification(notification.payload)
            except (psycopg.Error, OSError) as error:
                log.warning("live updates listener lost the database: %s", error)
            finally:
                self.listening = False
            await asyncio.sleep(RECONNECT_DELAYS[min(attempt, len(RECONNECT_DELAYS) - 1)])
            attempt += 1

    async def _catch_up(self) -> None:
        """After (re)connecting, publish what was inserted while nobody listened."""
        async with self.pool.connection() as conn:
            if self.last_id is None:
                self.last_id = await self.queries.newest_message_id(conn)
                return
            rows = await self.queries.list_messages_after(
                conn, after_id=self.last_id, limit=CATCH_UP_LIMIT
            )
        self.publish(rows)

    async def _on_notification(self, payload: str) -> None:
        match = PAYLOAD.match(payload)
        if match is None:
            log.warning("ignored a notification: %r", payload[:100])
            return
        ids = [int(i) for i in match["ids"].split(",")]
        if match["change"] == "delete":
            self.publish_deletions(ids)
            return
        if not self.subscribers:  # nobody here to tell: skip the read
            self.last_id = max(self.last_id or 0, *ids)
            return
        async with self.pool.connection() as conn:
            rows = await self.queries.list_messages_by_id(conn, ids=ids)
        self.publish(rows)


def on_exit_signals(callback: Callable[[], None]) -> Callable[[], None]:
    """Also run callback (on the loop) when SIGTERM or SIGINT arrives; returns an undo.

    uvicorn waits for open responses before it shuts the app down, and a live stream
    never finishes by itself: this closes the streams first so shutdown is prompt.
    """
    if threading.current_thread() is not threading.main_thread():
        return lambda: None
    loop = asyncio.get_running_loop()
    previous = {sig: signal.getsignal(sig) for sig in (signal.SIGTERM, signal.SIGINT)}

    def handler(signum: int, frame: Any) -> None:
        loop.call_soon_threadsafe(callback)
        before = previous[signal.Signals(signum)]
        if callable(before):
            before(signum, frame)
        elif before == signal.SIG_DFL:
            signal.signal(signum, signal.SIG_DFL)
            os.kill(os.getpid(), signum)

    for sig in previous:
        signal.signal(sig, handler)

    def undo() -> None:
        for sig, before in previous.items():
            if signal.getsignal(sig) is handler:
                signal.signal(sig, before)

    return undo
