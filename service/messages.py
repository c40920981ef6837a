"""The dashboard: post a message, read everyone's newest first, page back through history,
search it and filter it by author and dates."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from urllib.parse import urlencode

from psycopg import AsyncConnection
from starlette.datastructures import QueryParams
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from service.accounts import MAX_DISPLAY_NAME_LENGTH
from service.auth import signed_in
from service.context import context
from service.queries import Queries
from service.rendering import is_htmx, render_error_fragment
from service.sessions import Session
from service.timezones import zone

MAX_MESSAGE_LENGTH = 500
PAGE_SIZE = 50
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
CURSOR = re.compile(r"^(?P<micros>\d{1,17})-(?P<id>\d{1,18})$")
AFTER_ID = re.compile(r"^\d{1,18}$")
ALLOWED_CONTROLS = {"\n", "\t"}


MAX_SEARCH_LENGTH = 200
# A search first looks among this many of the newest messages in its window (bounded work
# whatever the words); only when that does not fill a page does it use the search index.
RECENT_SCAN_ROWS = 5000
DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
WORD = re.compile(r"[^\W_]+")
FILTER_NAMES = ("q", "author", "from", "to")
PAGE_PARAMETERS = (*FILTER_NAMES, "before")
API_PARAMETERS = (*PAGE_PARAMETERS, "after")


class BadCursor(ValueError):
    pass


class BadFilter(ValueError):
    """A search or filter parameter that cannot be used; the message says why."""


@dataclass(frozen=True)
class Filters:
    """What the person searches for: words, an author, and a date range in their zone."""

    q: str = ""
    author: str = ""
    from_date: date | None = None
    to_date: date | None = None

    @property
    def active(self) -> bool:
        return bool(self.q or self.author or self.from_date or self.to_date)

    def items(self) -> list[tuple[str, str]]:
        """The filters as URL parameters, unset ones left out."""
        values = {
            "q": self.q,
            "author": self.author,
            "from": self.from_date.isoformat() if self.from_date else "",
            "to": self.to_date.isoformat() if self.to_date else "",
        }
        return [(name, value) for name, value in values.items() if value]

    def url(self, path: str, **extra: str) -> str:
        """path with these filters (and extra parameters) as its query string."""
        query = urlencode(self.items() + [(k, v) for k, v in extra.items() if v])
        return f"{path}?{query}" if query else path

    def window(self, timezone: str) -> tuple[datetime | None, datetime | None]:
        """The UTC instants the dates mean in the viewer's zone: from the start of the
        `from` day, up to (not including) the start of the day after `to`."""
        tz = zone(timezone)
        try:
            start = (
                datetime.combine(self.from_date, time(), tz).astimezone(UTC)
                if self.from_date
                else None
            )
            end = (
                datetime.combine(self.to_date + timedelta(days=1), time(), tz).astimezone(UTC)
                if self.to_date
                else None
            )
        except OverflowError:
            raise BadFilter("That date is out of range.") from None
        return start, end


def clean_search(raw: str) -> str:
    """The search as typed, control characters read as spaces; BadFilter when too long."""
    text = "".join(" " if unicodedata.category(c) == "Cc" else c for c in raw).strip()
    if len(text) > MAX_SEARCH_LENGTH:
        raise BadFilter(f"Searches can be at most {MAX_SEARCH_LENGTH} characters.")
    return " ".join(text.split())


def parse_date(raw: str, name: str) -> date | None:
    if not raw:
        return None
    if DATE.match(raw):
        try:
            return date.fromisoformat(raw)
        except ValueError:
            pass
    raise BadFilter(f"“{name}” must be a date like 2026-01-31, not “{raw[:40]}”.")


def parse_filters(params: QueryParams, allowed: tuple[str, ...]) -> Filters:
    """The filters in a query string; BadFilter for unknown, repeated or malformed ones."""
    for name in params:
        if name not in allowed:
            listed = ", ".join(allowed[:-1]) + " or " + allowed[-1]
            raise BadFilter(f"Unknown parameter “{name[:40]}”: use {listed}.")
        if len(params.getlist(name)) > 1:
            raise BadFilter(f"Give “{name}” only once.")
    author = clean_search(params.get("author", ""))
    if len(author) > MAX_DISPLAY_NAME_LENGTH:
        raise BadFilter(f"Display names are at most {MAX_DISPLAY_NAME_LENGTH} characters.")
    filters = Filters(
        q=clean_search(params.get("q", "")),
        author=author,
        from_date=parse_date(params.get("from", "").strip(), "from"),
        to_date=parse_date(params.get("to", "").strip(), "to"),
    )
    if filters.from_date and filters.to_date and filters.to_date < filters.from_date:
        raise BadFilter("The end date (to) is before the start date (from).")
    return filters


def prefix_query(text: str) -> tuple[bool, str]:
    """Whether every word typed is one or two letters, and the words as a prefix tsquery
    ('ab':* & 'cd':*): what a search falls back to when its words are too short or too
    common to index. Letters and digits only, so the text cannot break tsquery syntax."""
    typed = WORD.findall(text.lower())
    short = all(len(word) <= 2 for word in typed)
    return short, " & ".join(f"'{word}':*" for word in typed)


def clean_message(raw: str) -> tuple[str, str]:
    """The text to store and an error message; exactly one of the two is empty."""
    text = raw.replace("\r\n", "\n").replace("\r", "\n")
    for char in text:
        if char not in ALLOWED_CONTROLS and unicodedata.category(char) == "Cc":
            return "", f"Messages cannot contain control characters (found U+{ord(char):04X})."
    text = text.strip(" \n\t")
    if not text.strip():
        return "", "Write something before posting."
    if len(text) > MAX_MESSAGE_LENGTH:
        return "", (
            f"Messages can be at most {MAX_MESSAGE_LENGTH} characters; this one has {len(text)}."
        )
    return text, ""


def encode_cursor(message: dict[str, Any]) -> str:
    """The keyset cursor after message: its time in microseconds and its id."""
    micros = (message["created_at"] - EPOCH) // timedelta(microseconds=1)
    return f"{micros}-{message['id']}"


def decode_cursor(raw: str) -> tuple[datetime, int]:
    """(created_at, id) from a cursor; raise BadCursor when it is not one of ours."""
    match = CURSOR.match(raw)
    if not match:
        raise BadCursor(raw)
    # 17 digits of microseconds stay within datetime's range; 18 of id within bigint's.
    return EPOCH + timedelta(microseconds=int(match["micros"])), int(match["id"])


async def fetch_page(
    request: Request, before: str, filters: Filters = Filters(), timezone: str = "UTC"
) -> dict[str, Any]:
    """One page of messages newest first (only those the filters let through), and the
    cursor for the next (older) page. BadCursor or BadFilter when the input is unusable."""
    ctx = context(request)
    before_time, before_id = decode_cursor(before) if before else (None, None)
    async with ctx.pool.connection() as conn:
        if not filters.active:
            if before:
                rows = await ctx.queries.list_messages_before(
                    conn, before_time=before_time, before_id=before_id, limit=PAGE_SIZE + 1
                )
            else:
                rows = await ctx.queries.list_newest_messages(conn, limit=PAGE_SIZE + 1)
        else:
            rows = await fetch_filtered(
                conn, ctx.queries, filters, timezone, before_time, before_id
            )
    messages = rows[:PAGE_SIZE]
    older = encode_cursor(messages[-1]) if len(rows) > PAGE_SIZE else ""
    return {
        "messages": messages,
        "older": older,
        "older_url": filters.url("/api/messages", before=older),
        "older_link": filters.url("/msgs", before=older),
    }


async def fetch_filtered(
    conn: AsyncConnection,
    queries: Queries,
    filters: Filters,
    timezone: str,
    before_time: datetime | None,
    before_id: int | None,
) -> list[dict[str, Any]]:
    """Up to a page and one of the messages the filters let through, older than the cursor."""
    from_time, to_time = filters.window(timezone)
    # The end of the `to` day is one more upper bound: fold it into the cursor, so the
    # index scan starts at whichever comes first.
    if to_time is not None and (before_time is None or (to_time, 0) < (before_time, before_id)):
        before_time, before_id = to_time, 0
    window = {
        "from_time": from_time,
        "before_time": before_time,
        "before_id": before_id,
        "limit": PAGE_SIZE + 1,
    }
    if filters.author:
        people = await queries.list_author_ids(conn, author=filters.author)
        if not people:
            return []
        window["author_ids"] = [person["id"] for person in people]
    if not filters.q:
        if filters.author:
            return await queries.list_messages_by_authors(conn, **window)
        return await queries.list_messages_filtered(conn, **window)
    short, prefixes = prefix_query(filters.q)
    query = await queries.parse_search(conn, text=filters.q, short=short, prefixes=prefixes)
    if not query:
        return []
    recent, everywhere = (
        (queries.search_recent_messages_by_authors, queries.search_messages_by_authors)
        if filters.author
        else (queries.search_recent_messages, queries.search_messages)
    )
    rows = await recent(conn, query=query, scan_rows=RECENT_SCAN_ROWS, **window)
    if len(rows) > PAGE_SIZE:
        return rows
    async with conn.transaction():
        await queries.use_search_index(conn)
        return await everywhere(conn, query=query, **window)


def render_dashboard(
    request: Request,
    session: Session,
    page: dict[str, Any],
    *,
    draft: str = "",
    error: str = "",
    notice: str = "",
    before: str = "",
    filters: Filters = Filters(),
    typed: dict[str, str] | None = None,
    filter_error: str = "",
    status_code: int = 200,
) -> Response:
    """The whole page; for htmx (a search as someone types), just the results."""
    template = "messages.html"
    if is_htmx(request) and request.headers.get("hx-history-restore-request") != "true":
        template = "_results.html"
    return context(request).templates.TemplateResponse(
        request,
        template,
        {
            "session": session,
            "timezone": session.timezone,
            "viewer_id": session.user_id,
            "draft": draft,
            "error": error,
            "notice": notice,
            "before": before,
            "filters": filters,
            # The form shows what was typed, even when it could not be used.
            "typed": typed if typed is not None else dict(filters.items()),
            "filter_error": filter_error,
            "newest_url": filters.url("/msgs"),
            **page,
        },
        status_code=status_code,
    )


EMPTY_PAGE: dict[str, Any] = {"messages": [], "older": ""}


@signed_in
async def dashboard(request: Request, session: Session) -> Response:
    """The signed-in page: the form and the newest messages (or an older page), searched
    and filtered by the query string."""
    params = request.query_params
    before = params.get("before", "")
    try:
        filters = parse_filters(params, PAGE_PARAMETERS)
        page = await fetch_page(request, before, filters, session.timezone)
    except BadFilter as problem:
        typed = {name: params.get(name, "")[:MAX_SEARCH_LENGTH] for name in FILTER_NAMES}
        return render_dashboard(
            request, session, EMPTY_PAGE, typed=typed, filter_error=str(problem), status_code=400
        )
    except BadCursor:
        page = await fetch_page(request, "", filters, session.timezone)
        return render_dashboard(
            request,
            session,
            page,
            filters=filters,
            notice="That link to older messages is not valid; showing the newest.",
            status_code=400,
        )
    return render_dashboard(request, session, page, before=before, filters=filters)


@signed_in
async def post_message(request: Request, session: Session) -> Response:
    """Store a message; htmx gets its fragment, a plain form a redirect back to /msgs."""
    ctx = context(request)
    async with request.form(max_files=0, max_fields=5) as form:
        raw = form.get("message")
    text, error = clean_message(raw if isinstance(raw, str) else "")
    if error:
        if is_htmx(request):
            return render_error_fragment(
                request,
                "compose-error",
                error,
                status_code=422,
                headers={"HX-Retarget": "#compose-error", "HX-Reswap": "outerHTML"},
            )
        page = await fetch_page(request, "")
        draft = raw if isinstance(raw, str) else ""
        return render_dashboard(request, session, page, draft=draft, error=error, status_code=422)

    async with ctx.pool.connection() as conn:
        message = await ctx.queries.insert_message(conn, author_id=session.user_id, body=text)
    if not is_htmx(request):
        return RedirectResponse("/msgs", status_code=303)
    return ctx.templates.TemplateResponse(
        request,
        "_message.html",
        {"message": message, "timezone": session.timezone, "viewer_id": session.user_id},
        status_code=201,
    )


async def fetch_newer(request: Request, after: str) -> dict[str, Any]:
    """Up to a page of messages newer than the id `after` (a reconnecting page's newest),
    newest first."""
    if not AFTER_ID.match(after):
        raise BadCursor(after)
    ctx = context(request)
    async with ctx.pool.connection() as conn:
        rows = await ctx.queries.list_messages_after(conn, after_id=int(after), limit=PAGE_SIZE)
    return {"messages": rows[::-1], "older": ""}


@signed_in
async def list_messages(request: Request, session: Session) -> Response:
    """A page of messages as a fragment: list items and the trigger for the next page,
    searched and filtered like the dashboard. With `after`, the messages newer than that
    id instead (for catching up)."""
    ctx = context(request)
    params = request.query_params
    try:
        filters = parse_filters(params, API_PARAMETERS)
        if "after" in params:
            if filters.active or "before" in params:
                raise BadFilter("“after” cannot be combined with other parameters.")
            page = await fetch_newer(request, params["after"])
        else:
            page = await fetch_page(request, params.get("before", ""), filters, session.timezone)
    except BadFilter as problem:
        return render_error_fragment(request, "older-error", str(problem), 400)
    except BadCursor:
        return render_error_fragment(
            request, "older-error", "That is not a valid position in the history.", 400
        )
    return ctx.templates.TemplateResponse(
        request,
        "_message_page.html",
        {"timezone": session.timezone, "viewer_id": session.user_id, **page},
    )


def message_id_of(request: Request) -> int:
    return int(request.path_params["message_id"])


@signed_in
async def confirm_delete(request: Request, session: Session) -> Response:
    """Without JavaScript, deleting asks on a page of its own first."""
    return context(request).templates.TemplateResponse(
        request, "confirm_delete.html", {"session": session, "message_id": message_id_of(request)}
    )


@signed_in
async def delete_message(request: Request, session: Session) -> Response:
    """Delete one of your own messages (403 for anyone else's); live pages drop it too."""
    ctx = context(request)
    message_id = message_id_of(request)
    async with ctx.pool.connection() as conn:
        deleted = await ctx.queries.delete_own_message(
            conn, message_id=message_id, author_id=session.user_id
        )
        exists = deleted is None and await ctx.queries.message_exists(conn, message_id=message_id)
    if deleted is None:
        status, error = (
            (403, "You can only delete your own messages.")
            if exists
            else (
                404,
                "That message does not exist (any more).",
            )
        )
        if is_htmx(request):
            return render_error_fragment(request, "request-error", error, status)
        return ctx.templates.TemplateResponse(
            request, "error.html", {"message": error}, status_code=status
        )
    if is_htmx(request):
        return Response(status_code=200)  # the page removes the item (hx-swap="delete")
    return RedirectResponse("/msgs", status_code=303)
