"""Named SQL queries loaded from sql/queries/*.sql, called as queries.name(conn, **params).

A file may open with comment lines about all of its queries, then holds blocks like:

    -- name: get_user^
    -- Returns the user's id and email, or nothing.
    select id, email from users where id = %(user_id)s;

The suffix on the name says what the call returns:
    (none) every row as a list of dicts   ^ one row or None
    $      the first column of one row     ! nothing (the row count)
"""

from __future__ import annotations

import re
from collections.abc import Callable, Coroutine
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from psycopg import AsyncConnection
from psycopg.rows import dict_row

NAME_LINE = re.compile(r"^--\s*name:\s*(?P<name>[a-z_][a-z0-9_]*)(?P<kind>[\^$!]?)\s*$", re.M)


@dataclass(frozen=True)
class Query:
    name: str
    kind: str
    sql: str

    async def __call__(self, conn: AsyncConnection, **params: Any) -> Any:
        async with conn.cursor(row_factory=dict_row) as cur:
            await cur.execute(self.sql, params)  # type: ignore[arg-type]
            if self.kind == "!":
                return cur.rowcount
            if self.kind == "^":
                return await cur.fetchone()
            if self.kind == "$":
                row = await cur.fetchone()
                return None if row is None else next(iter(row.values()))
            return await cur.fetchall()


class Queries:
    """Attribute access to every named query; unknown names fail at start-up, not per request."""

    def __init__(self, queries: dict[str, Query]) -> None:
        self._queries = queries
        for name, query in queries.items():
            setattr(self, name, query)

    def __getattr__(self, name: str) -> Callable[..., Coroutine[Any, Any, Any]]:
        raise AttributeError(f"no query named {name!r} in sql/queries")

    def __contains__(self, name: str) -> bool:
        return name in self._queries


def parse_queries(text: str, source: str = "<string>") -> dict[str, Query]:
    """Split one file's text into named queries; raise ValueError on an unnamed or empty one."""
    matches = list(NAME_LINE.finditer(text))
    if not matches:
        raise ValueError(f"{source}: no '-- name:' lines")
    preamble = text[: matches[0].start()].splitlines()
    if any(line.strip() and not line.lstrip().startswith("--") for line in preamble):
        raise ValueError(f"{source}: text before the first '-- name:' line")
    found: dict[str, Query] = {}
    for match, following in zip(matches, [*matches[1:], None], strict=True):
        end = following.start() if following else len(text)
        body = text[match.end() : end].strip()
        statement = "\n".join(
            line for line in body.splitlines() if not line.lstrip().startswith("--")
        ).strip()
        name = match["name"]
        if not statement:
            raise ValueError(f"{source}: query {name} has no statement")
        if name in found:
            raise ValueError(f"{source}: query {name} is defined twice")
        found[name] = Query(name=name, kind=match["kind"], sql=statement.rstrip(";"))
    return found


def load_queries(directory: Path) -> Queries:
    """Load every *.sql file in directory; a name defined twice across files is an error."""
    queries: dict[str, Query] = {}
    for path in sorted(directory.glob("*.sql")):
        for name, query in parse_queries(path.read_text(), str(path)).items():
            if name in queries:
                raise ValueError(f"{path}: query {name} is already defined in another file")
            queries[name] = query
    return Queries(queries)
