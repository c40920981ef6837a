"""What every handler shares: settings, pool, queries, templates, keys and the hasher."""

from __future__ import annotations

from dataclasses import dataclass

from joserfc.jwk import OctKey
from psycopg_pool import AsyncConnectionPool
from starlette.requests import Request
from starlette.templating import Jinja2Templates

from service.live import Broker
from service.passwords import PasswordChecker
from service.queries import Queries
from service.settings import Settings


@dataclass
class AppContext:
    settings: Settings
    pool: AsyncConnectionPool
    queries: Queries
    templates: Jinja2Templates
    signing_key: OctKey
    passwords: PasswordChecker
    broker: Broker


def context(request: Request) -> AppContext:
    return request.app.state.context
