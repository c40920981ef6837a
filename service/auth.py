"""Sign-in, sign-out and the session cookie."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import PlainTextResponse, RedirectResponse, Response

from service.context import context
from service.rendering import is_htmx, render_error_fragment, wants_html
from service.timezones import resolve_timezone
from service.tokens import Session, issue_session_token, read_session_token

MAX_EMAIL_LENGTH = 254
# Longer passwords are refused before hashing, so nobody can make the server hash megabytes.
MAX_PASSWORD_LENGTH = 1024
WRONG_CREDENTIALS = "That email and password do not match an account."


def current_session(request: Request) -> Session | None:
    """The valid session in the request's cookie, or None."""
    ctx = context(request)
    token = request.cookies.get(ctx.settings.cookie_name)
    if not token:
        return None
    return read_session_token(ctx.signing_key, token)


def signed_out(request: Request) -> Response:
    """The answer to a signed-out request: htmx is sent to /, a browser redirected, others 401."""
    if is_htmx(request):
        return Response(status_code=401, headers={"HX-Redirect": "/"})
    if wants_html(request):
        return RedirectResponse("/", status_code=303)
    return PlainTextResponse("Sign in first.", status_code=401)


def redirect(request: Request, url: str) -> Response:
    """htmx follows HX-Redirect with a full page load; plain forms get a 303."""
    if is_htmx(request):
        return Response(status_code=200, headers={"HX-Redirect": url})
    return RedirectResponse(url, status_code=303)


def render_sign_in(
    request: Request, *, error: str = "", email: str = "", status_code: int = 200
) -> Response:
    if error and is_htmx(request):
        return render_error_fragment(request, "sign-in-error", error, status_code)
    return context(request).templates.TemplateResponse(
        request, "sign_in.html", {"error": error, "email": email}, status_code=status_code
    )


async def sign_in_page(request: Request) -> Response:
    """The sign-in page; signed-in visitors go straight to their messages."""
    if current_session(request):
        return RedirectResponse("/msgs", status_code=303)
    return render_sign_in(request)


async def sign_in(request: Request) -> Response:
    """Check the credentials; on success set the session cookie and go to /msgs."""
    ctx = context(request)
    async with request.form(max_files=0, max_fields=10) as form:
        email = str(form.get("username") or "").strip()
        password = str(form.get("password") or "")
        timezone, timezone_notice = resolve_timezone(str(form.get("user_timezone") or ""))
    if not email or not password:
        return render_sign_in(
            request, error="Enter your email and password.", email=email, status_code=422
        )
    if len(email) > MAX_EMAIL_LENGTH or len(password) > MAX_PASSWORD_LENGTH:
        return render_sign_in(request, error=WRONG_CREDENTIALS, email="", status_code=401)

    async with ctx.pool.connection() as conn:
        user = await ctx.queries.get_user_for_sign_in(conn, email=email)
    password_hash = user["password_hash"] if user else None
    if not await ctx.passwords.verify(password_hash, password):
        return render_sign_in(request, error=WRONG_CREDENTIALS, email=email, status_code=401)
    assert user is not None and password_hash is not None
    if ctx.passwords.needs_rehash(password_hash):
        new_hash = await ctx.passwords.hash(password)
        async with ctx.pool.connection() as conn:
            await ctx.queries.update_password_hash(conn, user_id=user["id"], password_hash=new_hash)

    token = issue_session_token(
        ctx.signing_key,
        user_id=user["id"],
        timezone=timezone,
        timezone_notice=timezone_notice,
        minutes=ctx.settings.session_minutes,
    )
    response = redirect(request, "/msgs")
    response.set_cookie(
        ctx.settings.cookie_name,
        token,
        max_age=ctx.settings.session_minutes * 60,
        path="/",
        secure=ctx.settings.https,
        httponly=True,
        samesite="lax",
    )
    return response


async def sign_out(request: Request) -> Response:
    """Clear the session cookie and go to the sign-in page."""
    ctx = context(request)
    response = redirect(request, "/")
    response.delete_cookie(
        ctx.settings.cookie_name,
        path="/",
        secure=ctx.settings.https,
        httponly=True,
        samesite="lax",
    )
    return response
