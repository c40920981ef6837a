"""create_app(settings): the ASGI application, its routes, middleware and error pages."""

from __future__ import annotations

import contextlib
import logging
from collections.abc import AsyncIterator

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles
from starlette.types import Receive, Scope, Send

from service import auth, events, health, messages, settings_page
from service.context import AppContext, context
from service.db import create_pool, open_pool, queries
from service.live import Broker, on_exit_signals
from service.middleware import (
    CrossSiteRequestMiddleware,
    RequestIdMiddleware,
    SecurityHeadersMiddleware,
)
from service.passwords import PasswordChecker
from service.paths import STATIC_DIR
from service.rendering import create_templates, is_htmx, render_error_fragment
from service.sessions import SessionMiddleware
from service.settings import Settings
from service.tokens import signing_key

log = logging.getLogger(__name__)

MAX_BODY_BYTES = 64 * 1024


def render_error(request: Request, status_code: int, message: str) -> Response:
    """A small error page (or, for htmx, just the message) with the given status."""
    if is_htmx(request):
        return render_error_fragment(request, "request-error", message, status_code)
    return context(request).templates.TemplateResponse(
        request, "error.html", {"message": message}, status_code=status_code
    )


async def http_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, HTTPException)
    messages_by_status = {
        400: "The request could not be read.",
        404: "There is no page here.",
        405: "That method is not allowed here.",
        413: "That request is too large.",
    }
    message = messages_by_status.get(exc.status_code, exc.detail or "The request failed.")
    response = render_error(request, exc.status_code, message)
    if exc.headers:
        response.headers.update(exc.headers)
    return response


async def server_error(request: Request, exc: Exception) -> Response:
    log.exception("unhandled error", exc_info=exc)
    return render_error(request, 500, "Something went wrong on our side; please try again.")


async def cross_site_refused(scope: Scope, receive: Receive, send: Send) -> None:
    request = Request(scope, receive)
    response = render_error(request, 403, "Cross-site form posts are not accepted.")
    await response(scope, receive, send)


def create_app(settings: Settings, database_url: str | None = None) -> Starlette:
    """The service for these settings, on database_url (default: settings.database_url)."""
    conninfo = database_url or settings.database_url
    if not conninfo:
        raise ValueError("create_app needs a database URL")
    pool = create_pool(settings, conninfo)
    templates = create_templates()
    broker = Broker(
        conninfo,
        pool,
        queries,
        templates.get_template("_message.html"),
        max_streams=settings.max_streams,
    )

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        await open_pool(pool)
        await broker.start()
        restore_signals = on_exit_signals(broker.close_streams)
        try:
            yield
        finally:
            restore_signals()
            await broker.stop()
            await pool.close()

    app = Starlette(
        routes=[
            Route("/", auth.sign_in_page),
            Route("/signup", auth.sign_up_page),
            Route("/signup", auth.sign_up, methods=["POST"]),
            Route("/api/login", auth.sign_in, methods=["POST"]),
            Route("/api/logout", auth.sign_out, methods=["GET", "POST"]),
            Route("/api/session", auth.keep_alive),
            Route("/msgs", messages.dashboard),
            Route("/msgs/{message_id:int}/delete", messages.confirm_delete),
            Route("/api/message", messages.post_message, methods=["POST"]),
            Route(
                "/api/message/{message_id:int}/delete", messages.delete_message, methods=["POST"]
            ),
            Route("/settings", settings_page.settings_page),
            Route("/settings/profile", settings_page.save_profile, methods=["POST"]),
            Route("/settings/password", settings_page.change_password, methods=["POST"]),
            Route(
                "/settings/sign-out-everywhere",
                settings_page.sign_out_everywhere,
                methods=["POST"],
            ),
            Route("/api/messages", messages.list_messages),
            Route("/events", events.events),
            Route("/healthz", health.healthz),
            Route("/readyz", health.readyz),
            Mount("/static", StaticFiles(directory=STATIC_DIR), name="static"),
        ],
        middleware=[
            Middleware(RequestIdMiddleware),
            Middleware(SecurityHeadersMiddleware, https=settings.https),
            Middleware(CrossSiteRequestMiddleware, refusal=cross_site_refused),
            Middleware(SessionMiddleware),
        ],
        exception_handlers={HTTPException: http_error, Exception: server_error},
        lifespan=lifespan,
        max_body_size=MAX_BODY_BYTES,
    )
    app.state.context = AppContext(
        settings=settings,
        pool=pool,
        queries=queries,
        templates=templates,
        signing_key=signing_key(settings.secret_key),
        passwords=PasswordChecker(settings.hash_concurrency),
        broker=broker,
    )
    return app
