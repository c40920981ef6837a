"""Sign-up, sign-in and sign-out."""

from __future__ import annotations

import functools
from collections.abc import Awaitable, Callable

from starlette.requests import Request
from starlette.responses import PlainTextResponse, RedirectResponse, Response

from service.accounts import (
    MAX_EMAIL_LENGTH,
    MAX_SIGN_IN_PASSWORD_LENGTH,
    email_problem,
    password_problem,
)
from service.context import context
from service.rendering import is_htmx, render_error_fragment, wants_html
from service.sessions import Session, current_session, set_session_cookie, start_session
from service.throttle import ThrottleKeys, clear_account, record_failure, retry_after
from service.timezones import resolve_timezone

WRONG_CREDENTIALS = "That email and password do not match an account."
SIGNED_OUT_NOTICES = {
    "everywhere": "You are signed out on every device.",
    "password": "Your password was changed.",
}


def signed_out(request: Request) -> Response:
    """The answer to a signed-out request: htmx is sent to /, a browser redirected, others 401."""
    if is_htmx(request):
        return Response(status_code=401, headers={"HX-Redirect": "/"})
    if wants_html(request):
        return RedirectResponse("/", status_code=303)
    return PlainTextResponse("Sign in first.", status_code=401)


def signed_in(
    handler: Callable[[Request, Session], Awaitable[Response]],
) -> Callable[[Request], Awaitable[Response]]:
    """Call handler with the request's live session; without one, answer as signed out."""

    @functools.wraps(handler)
    async def endpoint(request: Request) -> Response:
        session = current_session(request)
        if session is None:
            return signed_out(request)
        return await handler(request, session)

    return endpoint


def redirect(request: Request, url: str) -> Response:
    """htmx follows HX-Redirect with a full page load; plain forms get a 303."""
    if is_htmx(request):
        return Response(status_code=200, headers={"HX-Redirect": url})
    return RedirectResponse(url, status_code=303)


def render_form(
    request: Request,
    template: str,
    error_id: str,
    *,
    error: str = "",
    email: str = "",
    status_code: int = 200,
    headers: dict[str, str] | None = None,
) -> Response:
    """The sign-in or sign-up page, or for htmx just its error message."""
    if error and is_htmx(request):
        return render_error_fragment(request, error_id, error, status_code, headers)
    ctx = context(request)
    return ctx.templates.TemplateResponse(
        request,
        template,
        {
            "error": error,
            "email": email,
            "signup_enabled": ctx.settings.signup_enabled,
            "notice": SIGNED_OUT_NOTICES.get(request.query_params.get("signed_out", ""), ""),
        },
        status_code=status_code,
        headers=headers,
    )


async def sign_in_page(request: Request) -> Response:
    """The sign-in page; signed-in visitors go straight to their messages."""
    if current_session(request):
        return RedirectResponse("/msgs", status_code=303)
    return render_form(request, "sign_in.html", "sign-in-error")


async def sign_in(request: Request) -> Response:
    """Check the credentials (throttled); on success start a session and go to /msgs."""
    ctx = context(request)
    async with request.form(max_files=0, max_fields=10) as form:
        email = str(form.get("username") or "").strip()
        password = str(form.get("password") or "")
        timezone, timezone_notice = resolve_timezone(str(form.get("user_timezone") or ""))

    def refuse(error: str, status_code: int, headers: dict[str, str] | None = None) -> Response:
        return render_form(
            request,
            "sign_in.html",
            "sign-in-error",
            error=error,
            email=email,
            status_code=status_code,
            headers=headers,
        )

    if not email or not password:
        return refuse("Enter your email and password.", 422)
    keys = ThrottleKeys.of(email[:MAX_EMAIL_LENGTH], request.client.host if request.client else "")
    async with ctx.pool.connection() as conn:
        wait = await retry_after(conn, ctx.queries, keys)
        user = None
        if not wait and len(email) <= MAX_EMAIL_LENGTH:
            user = await ctx.queries.get_user_for_sign_in(conn, email=email)
    if wait:
        minutes = -(-wait // 60)
        return refuse(
            f"Too many failed sign-ins. Try again in {minutes} minute{'s' * (minutes != 1)}.",
            429,
            {"Retry-After": str(wait)},
        )
    password_hash = user["password_hash"] if user else None
    if len(password) > MAX_SIGN_IN_PASSWORD_LENGTH or not await ctx.passwords.verify(
        password_hash, password
    ):
        async with ctx.pool.connection() as conn:
            await record_failure(conn, ctx.queries, keys)
        return refuse(WRONG_CREDENTIALS, 401)
    assert user is not None and password_hash is not None
    async with ctx.pool.connection() as conn:
        await clear_account(conn, ctx.queries, keys)
    if ctx.passwords.needs_rehash(password_hash):
        new_hash = await ctx.passwords.hash(password)
        async with ctx.pool.connection() as conn:
            await ctx.queries.update_password_hash(conn, user_id=user["id"], password_hash=new_hash)
    response = redirect(request, "/msgs")
    await start_session(request, response, user["id"], timezone, timezone_notice)
    return response


async def sign_up_page(request: Request) -> Response:
    """The sign-up form (404 when sign-up is turned off)."""
    if not context(request).settings.signup_enabled:
        return render_form(request, "sign_up.html", "sign-up-error", status_code=404)
    if current_session(request):
        return RedirectResponse("/msgs", status_code=303)
    return render_form(request, "sign_up.html", "sign-up-error")


async def sign_up(request: Request) -> Response:
    """Create an account and sign it in; each rule broken gets its own message."""
    ctx = context(request)
    if not ctx.settings.signup_enabled:
        return render_form(request, "sign_up.html", "sign-up-error", status_code=404)
    async with request.form(max_files=0, max_fields=10) as form:
        email = str(form.get("email") or "").strip()
        password = str(form.get("password") or "")
        timezone, timezone_notice = resolve_timezone(str(form.get("user_timezone") or ""))
    problem = email_problem(email) or password_problem(password, email)
    if problem:
        return render_form(
            request, "sign_up.html", "sign-up-error", error=problem, email=email, status_code=422
        )
    # Hash first, taken or not: the answer takes as long either way.
    password_hash = await ctx.passwords.hash(password)
    async with ctx.pool.connection() as conn:
        user_id = await ctx.queries.create_user(conn, email=email, password_hash=password_hash)
    if user_id is None:
        return render_form(
            request,
            "sign_up.html",
            "sign-up-error",
            error="An account with this email already exists: sign in instead.",
            email=email,
            status_code=409,
        )
    response = redirect(request, "/msgs")
    await start_session(request, response, user_id, timezone, timezone_notice)
    return response


async def sign_out(request: Request) -> Response:
    """End this session for good (a copy of the token stops working too) and go to /."""
    ctx = context(request)
    session = current_session(request)
    if session is not None:
        async with ctx.pool.connection() as conn:
            await ctx.queries.revoke_session(conn, session_id=session.id)
    response = redirect(request, "/")
    set_session_cookie(response, ctx.settings, None)
    return response


@signed_in
async def keep_alive(request: Request, session: Session) -> Response:
    """204 while signed in. Pages call it while someone types, so the session (renewed by
    SessionMiddleware on any request) does not run out under them."""
    return Response(status_code=204)
