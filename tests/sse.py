"""A small Server-Sent Events client for tests: real HTTP streams from a live server."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass

import httpx


@dataclass
class Event:
    id: str
    event: str
    data: str


class EventStream:
    def __init__(self, response: httpx.Response) -> None:
        self.response = response
        self.lines = response.aiter_lines()
        self.comments: list[str] = []

    async def next(self, within: float = 5.0) -> Event:
        """The next event within `within` seconds (comments are collected, not returned)."""
        return await asyncio.wait_for(self._next(), within)

    async def _next(self) -> Event:
        fields: dict[str, list[str]] = {}
        async for line in self.lines:
            if line == "":
                if "data" in fields:
                    return Event(
                        id=fields.get("id", [""])[-1],
                        event=fields.get("event", ["message"])[-1],
                        data="\n".join(fields["data"]),
                    )
                fields = {}
                continue
            if line.startswith(":"):
                self.comments.append(line)
                continue
            name, _, value = line.partition(":")
            fields.setdefault(name, []).append(value.removeprefix(" "))
        raise EOFError("the stream ended")


async def signed_in_client(base_url: str, timezone: str = "UTC") -> httpx.AsyncClient:
    """An httpx client signed in as the demo account, in this timezone."""
    client = httpx.AsyncClient(base_url=base_url, timeout=10)
    response = await client.post(
        "/api/login",
        data={"username": "user@example.com", "password": "12341234", "user_timezone": timezone},
        headers={"HX-Request": "true"},
    )
    assert response.headers.get("HX-Redirect") == "/msgs", response.text
    return client


@asynccontextmanager
async def open_stream(
    client: httpx.AsyncClient, last_event_id: str = ""
) -> AsyncIterator[EventStream]:
    headers = {"Accept": "text/event-stream"}
    if last_event_id:
        headers["Last-Event-ID"] = last_event_id
    async with client.stream("GET", "/events", headers=headers) as response:
        assert response.status_code == 200, await response.aread()
        assert response.headers["content-type"].startswith("text/event-stream")
        yield EventStream(response)
