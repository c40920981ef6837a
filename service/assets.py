"""Static assets: the pinned htmx version and content-hashed URLs for long caching."""

from __future__ import annotations

import hashlib
from functools import cache

from service.paths import STATIC_DIR

# Vendored into static/vendor/ by ops/vendor-htmx.sh; a test checks the files match.
HTMX_VERSION = "2.0.11"
HTMX_SSE_VERSION = "2.2.4"


@cache
def static_url(name: str) -> str:
    """/static/<name>?v=<content hash>: a changed file gets a new URL, so caches can keep
    each URL forever."""
    path = (STATIC_DIR / name).resolve()
    if not path.is_relative_to(STATIC_DIR) or not path.is_file():
        raise ValueError(f"no static file {name!r}")
    digest = hashlib.sha256(path.read_bytes()).hexdigest()[:12]
    return f"/static/{name}?v={digest}"
