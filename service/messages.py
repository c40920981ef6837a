"""The dashboard: post a message, read everyone's newest first, page back through history."""

from __future__ import annotations

import re
import unicodedata
from datetime import UTC, datetime, timedelta
from typing import Any

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from service.auth import signed_out
from service.context import context
from service.rendering import is_htmx, render_error_fragment
from service.sessions import Session, current_session

MAX_MESSAGE_LENGTH = 500
PAGE_SIZE = 50
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
CURSOR = re.compile(r"^(?P<micros>\d{1,17})-(?P<id>\d{1,18})$")
AFTER_ID = re.compile(r"^\d{1,18}$")
ALLOWED_CONTROLS = {"\n", "\t"}


class BadCursor(ValueError):
    pass


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


async def fetch_page(request: Request, before: str) -> dict[str, Any]:
    """One page of messages newest first, and the cursor for the next (older) page."""
    ctx = context(request)
    async with ctx.pool.connection() as conn:
        if before:
            before_time, before_id = decode_cursor(before)
            rows = await ctx.queries.list_messages_before(
                conn, before_time=before_time, before_id=before_id, limit=PAGE_SIZE + 1
            )
        else:
            rows = await ctx.queries.list_newest_messages(conn, limit=PAGE_SIZE + 1)
    messages = rows[:PAGE_SIZE]
    older = encode_cursor(messages[-1]) if len(rows) > PAGE_SIZE else ""
    return {"messages": messages, "older": older}


def render_dashboard(
    request: Request,
    session: Session,
    page: dict[str, Any],
    *,
    draft: str = "",
    error: str = "",
    notice: str = "",
    before: str = "",
    status_code: int = 200,
) -> Response:
    return context(request).templates.TemplateResponse(
        request,
        "messages.html",
        {
            "session": session,
            "timezone": session.timezone,
            "viewer_id": session.user_id,
            "draft": draft,
            "error": error,
            "notice": notice,
            "before": before,
            **page,
        },
        status_code=status_code,
    )


async def dashboard(request: Request) -> Response:
    """The signed-in page: the form and the newest messages (or an older page)."""
    session = current_session(request)
    if session is None:
        return signed_out(request)
    before = request.query_params.get("before", "")
    try:
        page = await fetch_page(request, before)
    except BadCursor:
        page = await fetch_page(request, "")
        return render_dashboard(
            request,
            session,
            page,
            notice="That link to older messages is not valid; showing the newest.",
            status_code=400,
        )
    return render_dashboard(request, session, page, before=before)


async def post_message(request: Request) -> Response:
    """Store a message; htmx gets its fragment, a plain form a redirect back to /msgs."""
    session = current_session(request)
    if session is None:
        return signed_out(request)
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


async def list_messages(request: Request) -> Response:
    """A page of messages as a fragment: list items and the trigger for the next page.
    With `after`, the messages newer than that id instead (for catching up)."""
    session = current_session(request)
    if session is None:
        return signed_out(request)
    ctx = context(request)
    params = request.query_params
    try:
        if "after" in params:
            page = await fetch_newer(request, params["after"])
        else:
            page = await fetch_page(request, params.get("before", ""))
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


async def confirm_delete(request: Request) -> Response:
    """Without JavaScript, deleting asks on a page of its own first."""
    session = current_session(request)
    if session is None:
        return signed_out(request)
    return context(request).templates.TemplateResponse(
        request, "confirm_delete.html", {"session": session, "message_id": message_id_of(request)}
    )


async def delete_message(request: Request) -> Response:
    """Delete one of your own messages (403 for anyone else's); live pages drop it too."""
    session = current_session(request)
    if session is None:
        return signed_out(request)
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
