"""Jinja2 templates and what they may call: time formatting, asset URLs and splitting
highlighted search results, nothing else."""

from __future__ import annotations

from collections.abc import Mapping

from starlette.requests import Request
from starlette.responses import Response
from starlette.templating import Jinja2Templates

from service.assets import static_url
from service.context import context
from service.paths import TEMPLATES_DIR
from service.timezones import local_time, utc_iso

# What the search queries put around each match (see sql/queries/history.sql).
MATCH_START, MATCH_END = "\x01", "\x02"


def highlight_parts(marked: str) -> list[tuple[str, bool]]:
    """A highlighted body split at its markers into (text, is a match) pieces, for the
    template to escape each and wrap the matches in <mark>."""
    head, *rest = marked.split(MATCH_START)
    parts = [(head, False)]
    for chunk in rest:
        match, _, after = chunk.partition(MATCH_END)
        parts += [(match, True), (after, False)]
    return [(text, matched) for text, matched in parts if text]


def create_templates() -> Jinja2Templates:
    templates = Jinja2Templates(directory=TEMPLATES_DIR)
    env = templates.env
    env.filters["local_time"] = local_time
    env.filters["utc_iso"] = utc_iso
    env.filters["highlight_parts"] = highlight_parts
    env.globals["static_url"] = static_url
    env.trim_blocks = True
    env.lstrip_blocks = True
    return templates


def is_htmx(request: Request) -> bool:
    """True for requests htmx makes (they want a fragment, not a whole page)."""
    return request.headers.get("hx-request") == "true"


def wants_html(request: Request) -> bool:
    return is_htmx(request) or "text/html" in request.headers.get("accept", "")


def render_error_fragment(
    request: Request,
    error_id: str,
    message: str,
    status_code: int,
    headers: Mapping[str, str] | None = None,
) -> Response:
    """Just the error paragraph with this id, for htmx to swap into the page."""
    return context(request).templates.TemplateResponse(
        request,
        "_error.html",
        {"error_id": error_id, "error": message},
        status_code=status_code,
        headers=headers,
    )
