"""/settings: display name, timezone, password, and signing out everywhere."""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from service.accounts import MAX_SIGN_IN_PASSWORD_LENGTH, clean_display_name, password_problem
from service.auth import signed_in
from service.context import context
from service.sessions import Session, set_session_cookie
from service.timezones import known_timezones

SAVED = {
    "profile": "Saved.",
    "password": "Password changed. Your other sessions are signed out.",
}


async def render_settings(
    request: Request,
    session: Session,
    *,
    errors: dict[str, str] | None = None,
    values: dict[str, str] | None = None,
    status_code: int = 200,
) -> Response:
    ctx = context(request)
    async with ctx.pool.connection() as conn:
        user = await ctx.queries.get_user_settings(conn, user_id=session.user_id)
    form: dict[str, Any] = {
        "display_name": user["display_name"],
        "timezone": user["timezone"] or "",
        **(values or {}),
    }
    return ctx.templates.TemplateResponse(
        request,
        "settings.html",
        {
            "session": session,
            "email": user["email"],
            "form": form,
            "errors": errors or {},
            "saved": SAVED.get(request.query_params.get("saved", ""), ""),
            "zones": sorted(known_timezones()),
        },
        status_code=status_code,
    )


@signed_in
async def settings_page(request: Request, session: Session) -> Response:
    """The settings page."""
    return await render_settings(request, session)


@signed_in
async def save_profile(request: Request, session: Session) -> Response:
    """Save the display name and timezone (empty: the browser's zone at sign-in)."""
    ctx = context(request)
    async with request.form(max_files=0, max_fields=10) as form:
        raw_name = str(form.get("display_name") or "")
        timezone = str(form.get("timezone") or "").strip()
    name, name_error = clean_display_name(raw_name)
    errors = {}
    if name_error:
        errors["display_name"] = name_error
    if timezone and timezone not in known_timezones():
        errors["timezone"] = f"“{timezone[:64]}” is not a timezone; pick one from the list."
    if errors:
        values = {"display_name": raw_name, "timezone": timezone}
        return await render_settings(
            request, session, errors=errors, values=values, status_code=422
        )
    async with ctx.pool.connection() as conn, conn.transaction():
        await ctx.queries.update_display_name(conn, user_id=session.user_id, display_name=name)
        await ctx.queries.update_timezone(conn, user_id=session.user_id, timezone=timezone or None)
    return RedirectResponse("/settings?saved=profile", status_code=303)


@signed_in
async def change_password(request: Request, session: Session) -> Response:
    """Change the password (the current one is required); ends every other session."""
    ctx = context(request)
    async with request.form(max_files=0, max_fields=10) as form:
        current = str(form.get("current_password") or "")
        new = str(form.get("new_password") or "")
    async with ctx.pool.connection() as conn:
        user = await ctx.queries.get_user_settings(conn, user_id=session.user_id)
    current_ok = len(current) <= MAX_SIGN_IN_PASSWORD_LENGTH and await ctx.passwords.verify(
        user["password_hash"], current
    )
    if not current_ok:
        error = {"password": "Your current password is not right."}
        return await render_settings(request, session, errors=error, status_code=422)
    problem = password_problem(new, user["email"])
    if problem:
        return await render_settings(
            request, session, errors={"password": problem}, status_code=422
        )
    new_hash = await ctx.passwords.hash(new)
    async with ctx.pool.connection() as conn, conn.transaction():
        await ctx.queries.update_password_hash(
            conn, user_id=session.user_id, password_hash=new_hash
        )
        await ctx.queries.revoke_other_sessions(
            conn, user_id=session.user_id, keep_session_id=session.id
        )
    return RedirectResponse("/settings?saved=password", status_code=303)


@signed_in
async def sign_out_everywhere(request: Request, session: Session) -> Response:
    """End every session of this person, this one included."""
    ctx = context(request)
    async with ctx.pool.connection() as conn:
        await ctx.queries.revoke_other_sessions(conn, user_id=session.user_id, keep_session_id=None)
    response = RedirectResponse("/?signed_out=everywhere", status_code=303)
    set_session_cookie(response, ctx.settings, None)
    return response
