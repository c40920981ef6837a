"""Server-side sessions behind the cookie: looked up on each request, renewed while used.

The cookie holds a short-lived JWT (SESSION_MINUTES) naming a row in `sessions`. Each
request checks the row is live (not revoked, within its absolute lifetime, SESSION_MAX_DAYS),
so signing out ends a session even for a copied token. A token older than RENEW_AFTER is
replaced on the way out, so an active person is never signed out mid-use; an idle one
is, after SESSION_MINUTES.
"""

from __future__ import annotations

import logging
import time
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import psycopg
from psycopg_pool import PoolTimeout
from starlette.datastructures import MutableHeaders
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from service.context import AppContext, context
from service.settings import Settings
from service.tokens import issue_token, read_token

log = logging.getLogger(__name__)

RENEW_AFTER_SECONDS = 5 * 60
# Static files and probes never need to know who is asking.
SESSIONLESS_PATHS = ("/static/", "/healthz", "/readyz")


@dataclass(frozen=True)
class Session:
    """Who is signed in, how they are shown, and the zone their pages use."""

    id: uuid.UUID
    user_id: int
    display_name: str
    timezone: str
    timezone_notice: str
    token_expires_at: int


def current_session(request: Request) -> Session | None:
    """The live session of this request (SessionMiddleware looked it up), or None."""
    return getattr(request.state, "session", None)


def set_session_cookie(response: Response, settings: Settings, token: str | None) -> None:
    """Set the session cookie to token, or clear it when token is None."""
    if token is None:
        response.delete_cookie(
            settings.cookie_name, path="/", secure=settings.https, httponly=True, samesite="lax"
        )
        return
    response.set_cookie(
        settings.cookie_name,
        token,
        max_age=settings.session_minutes * 60,
        path="/",
        secure=settings.https,
        httponly=True,
        samesite="lax",
    )


def token_expiry(settings: Settings, session_expires_at: datetime) -> int:
    idle_end = int(time.time()) + settings.session_minutes * 60
    return min(idle_end, int(session_expires_at.timestamp()))


async def start_session(
    request: Request,
    response: Response,
    user_id: int,
    browser_timezone: str,
    timezone_notice: str,
) -> None:
    """Record a new session for user_id and put its token in the response's cookie."""
    ctx = context(request)
    session_id = uuid.uuid4()
    expires_at = datetime.now(UTC) + timedelta(days=ctx.settings.session_max_days)
    async with ctx.pool.connection() as conn:
        await ctx.queries.create_session(
            conn,
            session_id=session_id,
            user_id=user_id,
            browser_timezone=browser_timezone,
            timezone_notice=timezone_notice,
            expires_at=expires_at,
        )
    token = issue_token(
        ctx.signing_key, user_id, session_id, token_expiry(ctx.settings, expires_at)
    )
    set_session_cookie(response, ctx.settings, token)


async def load_session(ctx: AppContext, token: str) -> tuple[Session | None, str | None]:
    """The live session a token names, and a renewed token when this one is getting old."""
    claims = read_token(ctx.signing_key, token)
    if claims is None:
        return None, None
    async with ctx.pool.connection() as conn:
        row = await ctx.queries.get_active_session(
            conn, session_id=claims.session_id, user_id=claims.user_id
        )
        if row is None:
            return None, None
        renewed = None
        expires_at = claims.expires_at
        if time.time() - claims.issued_at >= RENEW_AFTER_SECONDS:
            expires_at = token_expiry(ctx.settings, row["expires_at"])
            renewed = issue_token(ctx.signing_key, claims.user_id, claims.session_id, expires_at)
            await ctx.queries.touch_session(conn, session_id=claims.session_id)
    session = Session(
        id=claims.session_id,
        user_id=claims.user_id,
        display_name=row["display_name"],
        timezone=row["timezone"],
        timezone_notice=row["timezone_notice"],
        token_expires_at=expires_at,
    )
    return session, renewed


async def session_is_live(ctx: AppContext, session: Session) -> bool:
    """False once the session is revoked or over; True while the database cannot say
    (an outage should not close every stream)."""
    try:
        async with ctx.pool.connection() as conn:
            row = await ctx.queries.get_active_session(
                conn, session_id=session.id, user_id=session.user_id
            )
    except (psycopg.Error, PoolTimeout):
        return True
    return row is not None


class SessionMiddleware:
    """Puts the request's live session (or None) in request.state.session; renews its
    token, or clears a dead one, on the response unless the handler set the cookie itself."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"].startswith(SESSIONLESS_PATHS):
            await self.app(scope, receive, send)
            return
        ctx: AppContext = scope["app"].state.context
        token = Request(scope).cookies.get(ctx.settings.cookie_name)
        session, renewed = None, None
        if token:
            try:
                session, renewed = await load_session(ctx, token)
            except (psycopg.Error, PoolTimeout) as error:
                log.warning("cannot check a session: %s", error)
                unavailable = PlainTextResponse(
                    "The service is briefly unavailable; please try again.",
                    status_code=503,
                    headers={"Retry-After": "5"},
                )
                await unavailable(scope, receive, send)
                return
        scope.setdefault("state", {})["session"] = session
        if not token or (session is not None and renewed is None):
            await self.app(scope, receive, send)
            return

        cookie = Response()
        set_session_cookie(cookie, ctx.settings, renewed)  # None clears a dead cookie
        cookie_header = next(v for k, v in cookie.raw_headers if k == b"set-cookie")
        ours = ctx.settings.cookie_name.encode() + b"="

        async def send_with_cookie(message: Message) -> None:
            if message["type"] == "http.response.start":
                raw = message.setdefault("headers", [])
                if not any(k == b"set-cookie" and v.startswith(ours) for k, v in raw):
                    MutableHeaders(raw=raw).append("set-cookie", cookie_header.decode("latin-1"))
            await send(message)

        await self.app(scope, receive, send_with_cookie)
