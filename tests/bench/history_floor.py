"""The reference floor for tests/bench/history.py: the smallest pure-ASGI app that runs the
same queries as the service and answers the same bytes, with no framework, no session,
no middleware and no template engine per request.

    python -m tests.bench.history_floor PORT DATABASE_URL TIMEZONE

The page around the list (the whole dashboard, or the search results block) is rendered
once at start-up by the service's own templates, around a placeholder message, and each
request fills in its messages with string concatenation. The bench checks that every
answer is byte-for-byte the service's.
"""

from __future__ import annotations

import sys
import uuid
from datetime import UTC, datetime
from typing import Any
from urllib.parse import parse_qsl

from markupsafe import escape
from psycopg_pool import AsyncConnectionPool

from service.db import CONNECTION_OPTIONS, queries
from service.messages import (
    PAGE_SIZE,
    Filters,
    clean_message,
    decode_cursor,
    encode_cursor,
    fetch_filtered,
    parse_date,
)
from service.rendering import create_templates, highlight_parts
from service.sessions import Session
from service.timezones import local_time, utc_iso

AUTHOR_EMAIL = "user@example.com"  # who the floor posts as: the bench signs in as them
PLACEHOLDER = {
    "id": 0,
    "body": "placeholder",
    "author": "placeholder",
    "created_at": datetime(2000, 1, 1, tzinfo=UTC),
}


def render_body(message: dict[str, Any]) -> str:
    if not message.get("highlighted"):
        return str(escape(message["body"]))
    return "".join(
        f"<mark>{escape(text)}</mark>" if matched else str(escape(text))
        for text, matched in highlight_parts(message["highlighted"])
    )


def render_message(message: dict[str, Any], timezone: str, viewer_id: int) -> str:
    delete = ""
    if message.get("author_id") == viewer_id:
        delete = (
            f'    <a class="delete" href="/msgs/{message["id"]}/delete" '
            f'hx-post="/api/message/{message["id"]}/delete" hx-confirm="Delete this message?" '
            'hx-target="closest li" hx-swap="delete">Delete</a>\n'
        )
    return (
        f'<li class="message" id="message-{message["id"]}">\n'
        '  <div class="meta">\n'
        f'    <strong class="author">{escape(message["author"])}</strong>\n'
        f'    <time datetime="{utc_iso(message["created_at"])}">'
        f"{local_time(message['created_at'], timezone)}</time>\n"
        f"{delete}"
        "  </div>\n"
        f'  <p class="body">{render_body(message)}</p>\n'
        "</li>"
    )


def render_items(
    rows: list[dict[str, Any]], filters: Filters, timezone: str, viewer_id: int
) -> str:
    messages = rows[:PAGE_SIZE]
    items = "".join(render_message(message, timezone, viewer_id) for message in messages)
    if len(rows) > PAGE_SIZE:
        older = encode_cursor(messages[-1])
        items += (
            f'<li class="older" hx-get="{escape(filters.url("/api/messages", before=older))}" '
            'hx-trigger="revealed" hx-swap="outerHTML">\n'
            f'  <a href="{escape(filters.url("/msgs", before=older))}">Older messages</a>\n'
            "</li>\n"
        )
    return items


class Floor:
    def __init__(self, database_url: str, timezone: str) -> None:
        self.timezone = timezone
        self.pool = AsyncConnectionPool(
            database_url, min_size=2, max_size=10, open=False, kwargs=CONNECTION_OPTIONS
        )
        self.templates = create_templates().env
        self.session: Session | None = None  # who the bench signs in as, set at start-up
        self.author_id = 0
        self.shells: dict[tuple[str, Filters], tuple[str, str]] = {}

    def shell(self, template: str, filters: Filters) -> tuple[str, str]:
        """The page around the list, split where the messages go (rendered once)."""
        key = (template, filters)
        if key not in self.shells:
            placeholder = render_message(PLACEHOLDER, self.timezone, self.author_id)
            page = self.templates.get_template(template).render(
                session=self.session,
                timezone=self.timezone,
                viewer_id=self.author_id,
                draft="",
                error="",
                notice="",
                before="",
                filters=filters,
                typed=dict(filters.items()),
                filter_error="",
                newest_url=filters.url("/msgs"),
                messages=[PLACEHOLDER],
                older="",
            )
            head, _, tail = page.partition(placeholder)
            self.shells[key] = (head, tail)
        return self.shells[key]

    async def rows(self, filters: Filters, before: str) -> list[dict[str, Any]]:
        """The same queries the service runs for this page."""
        before_time, before_id = decode_cursor(before) if before else (None, None)
        async with self.pool.connection() as conn:
            if filters.active:
                return await fetch_filtered(
                    conn, queries, filters, self.timezone, before_time, before_id
                )
            if before:
                return await queries.list_messages_before(
                    conn, before_time=before_time, before_id=before_id, limit=PAGE_SIZE + 1
                )
            return await queries.list_newest_messages(conn, limit=PAGE_SIZE + 1)

    async def respond(self, scope: dict, receive: Any) -> tuple[int, str]:
        path = scope["path"]
        query = dict(parse_qsl(scope["query_string"].decode()))
        if scope["method"] == "POST" and path == "/api/message":
            body = b""
            while True:
                event = await receive()
                body += event.get("body", b"")
                if not event.get("more_body"):
                    break
            text, error = clean_message(dict(parse_qsl(body.decode())).get("message", ""))
            if error:
                return 422, error
            async with self.pool.connection() as conn:
                message = await queries.insert_message(conn, author_id=self.author_id, body=text)
            return 201, render_message(message, self.timezone, self.author_id)
        before = query.pop("before", "")
        filters = Filters(
            q=query.get("q", ""),
            author=query.get("author", ""),
            from_date=parse_date(query.get("from", ""), "from"),
            to_date=parse_date(query.get("to", ""), "to"),
        )
        items = render_items(
            await self.rows(filters, before), filters, self.timezone, self.author_id
        )
        if path == "/api/messages":
            return 200, items
        htmx = any(name == b"hx-request" for name, _ in scope["headers"])
        head, tail = self.shell("_results.html" if htmx else "messages.html", filters)
        return 200, head + items + tail

    async def __call__(self, scope: dict, receive: Any, send: Any) -> None:
        if scope["type"] == "lifespan":
            while True:
                event = await receive()
                if event["type"] == "lifespan.startup":
                    await self.pool.open(wait=True)
                    async with self.pool.connection() as conn:
                        user = await queries.get_user_for_sign_in(conn, email=AUTHOR_EMAIL)
                        shown = await queries.get_user_settings(conn, user_id=user["id"])
                    self.author_id = user["id"]
                    self.session = Session(
                        id=uuid.uuid4(),
                        user_id=user["id"],
                        display_name=shown["display_name"],
                        timezone=self.timezone,
                        timezone_notice="",
                        token_expires_at=0,
                    )
                    await send({"type": "lifespan.startup.complete"})
                else:
                    await self.pool.close()
                    await send({"type": "lifespan.shutdown.complete"})
                    return
        status, text = await self.respond(scope, receive)
        headers = [(b"content-type", b"text/html; charset=utf-8")]
        await send({"type": "http.response.start", "status": status, "headers": headers})
        await send({"type": "http.response.body", "body": text.encode()})


def main() -> None:
    import uvicorn

    port, database_url, timezone = sys.argv[1], sys.argv[2], sys.argv[3]
    uvicorn.run(
        Floor(database_url, timezone),
        host="127.0.0.1",
        port=int(port),
        log_level="warning",
        access_log=False,
    )


if __name__ == "__main__":
    main()
