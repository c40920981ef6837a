"""Live updates over real HTTP: uvicorn processes, PostgreSQL LISTEN/NOTIFY, SSE streams."""

from __future__ import annotations

import asyncio
import re
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from service.live import Broker, Subscriber, sse_event
from tests.conftest import TEST_SECRET, Client, PostgresServer
from tests.live_server import LiveServer
from tests.sse import open_stream, signed_in_client

pytestmark = pytest.mark.anyio


def live_server(tmp_path: Path, database_url: str, **env: str) -> LiveServer:
    return LiveServer(tmp_path, DATABASE_URL=database_url, SECRET_KEY=TEST_SECRET, **env)


@pytest.fixture
def server(tmp_path: Path, database_url: str) -> Iterator[LiveServer]:
    live = live_server(tmp_path / "a", database_url)
    yield live
    live.stop()


@pytest.fixture
def second_server(tmp_path: Path, database_url: str) -> Iterator[LiveServer]:
    live = live_server(tmp_path / "b", database_url)
    yield live
    live.stop()


def shown_time(html: str) -> str:
    match = re.search(r"<time datetime=\"[^\"]+\">([^<]+)</time>", html)
    assert match, html
    return match[1]


async def post(client: httpx.AsyncClient, text: str) -> int:
    response = await client.post(
        "/api/message", data={"message": text}, headers={"HX-Request": "true"}
    )
    assert response.status_code == 201, response.text
    match = re.search(r'id="message-(\d+)"', response.text)
    assert match
    return int(match[1])


async def test_two_viewers_get_one_message_each_in_their_own_zone(server: LiveServer) -> None:
    new_york = await signed_in_client(server.url, "America/New_York")
    kolkata = await signed_in_client(server.url, "Asia/Kolkata")
    async with open_stream(new_york) as ny_stream, open_stream(kolkata) as in_stream:
        message_id = await post(kolkata, "namaste & hello <b>")
        ny_event = await ny_stream.next()
        in_event = await in_stream.next()
    await new_york.aclose()
    await kolkata.aclose()
    assert ny_event.id == in_event.id == str(message_id)
    assert ny_event.event == "message"
    assert "namaste &amp; hello &lt;b&gt;" in ny_event.data
    assert shown_time(ny_event.data).endswith(("EST", "EDT"))
    assert shown_time(in_event.data).endswith("IST")
    assert f'id="message-{message_id}"' in in_event.data


async def test_reconnecting_with_last_event_id_gets_what_was_missed(server: LiveServer) -> None:
    client = await signed_in_client(server.url)
    async with open_stream(client) as stream:
        first = await post(client, "seen live")
        assert (await stream.next()).id == str(first)
    missed = [await post(client, f"missed {n}") for n in range(3)]
    async with open_stream(client, last_event_id=str(first)) as stream:
        replayed = [await stream.next() for _ in missed]
        after = await post(client, "live again")
        assert (await stream.next()).id == str(after)
    await client.aclose()
    assert [e.id for e in replayed] == [str(i) for i in missed]
    assert "missed 0" in replayed[0].data


async def test_a_post_to_one_process_reaches_a_stream_on_another(
    server: LiveServer, second_server: LiveServer
) -> None:
    author = await signed_in_client(server.url)
    reader = await signed_in_client(second_server.url, "Asia/Kolkata")
    async with open_stream(reader) as stream:
        started = time.perf_counter()
        message_id = await post(author, "across processes")
        event = await stream.next(within=3)
        elapsed = time.perf_counter() - started
    await author.aclose()
    await reader.aclose()
    assert event.id == str(message_id)
    assert "across processes" in event.data
    assert shown_time(event.data).endswith("IST")
    assert elapsed < 3


async def test_stream_survives_a_database_restart(
    server: LiveServer, postgres: PostgresServer, database_url: str
) -> None:
    client = await signed_in_client(server.url)
    async with open_stream(client) as stream:
        before = await post(client, "before the restart")
        assert (await stream.next()).id == str(before)
        postgres.restart(database_url)
        # The pool and the listener reconnect by themselves; /readyz says when.
        deadline = time.monotonic() + 30
        while (await client.get("/readyz")).status_code != 200:
            assert time.monotonic() < deadline, "never became ready again"
            await asyncio.sleep(0.1)
        after = await post(client, "after the restart")
        event = await stream.next(within=10)
    await client.aclose()
    assert event.id == str(after)
    assert "after the restart" in event.data


async def test_message_posted_while_listener_is_down_is_delivered_after(
    server: LiveServer, postgres: PostgresServer, database_url: str
) -> None:
    client = await signed_in_client(server.url)
    async with open_stream(client) as stream:
        postgres.restart(database_url)
        # Post as soon as the database takes writes, likely before the listener is back.
        deadline = time.monotonic() + 30
        while True:
            response = await client.post(
                "/api/message", data={"message": "during"}, headers={"HX-Request": "true"}
            )
            if response.status_code == 201:
                break
            assert time.monotonic() < deadline, response.text
            await asyncio.sleep(0.05)
        event = await stream.next(within=15)
    await client.aclose()
    assert "during" in event.data


async def test_signed_out_events_are_refused(client: Client) -> None:
    plain = await client.get("/events", headers={"Accept": "text/event-stream"})
    assert plain.status_code == 401
    htmx = await client.get("/events", headers={"HX-Request": "true"})
    assert htmx.headers["HX-Redirect"] == "/"


async def test_streams_past_the_cap_get_503(tmp_path: Path, database_url: str) -> None:
    live = live_server(tmp_path, database_url, MAX_STREAMS="1")
    try:
        client = await signed_in_client(live.url)
        async with open_stream(client):
            refused = await client.get("/events", headers={"Accept": "text/event-stream"})
            assert refused.status_code == 503
            assert refused.headers["Retry-After"] == "5"
        async with open_stream(client):  # the slot is free again
            pass
        await client.aclose()
    finally:
        live.stop()


async def test_idle_streams_get_heartbeats(tmp_path: Path, database_url: str) -> None:
    live = live_server(tmp_path, database_url, HEARTBEAT_SECONDS="1")
    try:
        client = await signed_in_client(live.url)
        async with open_stream(client) as stream:
            with pytest.raises(TimeoutError):
                await stream.next(within=2.5)
            assert stream.comments.count(": keep-alive") >= 2
        await client.aclose()
    finally:
        live.stop()


async def test_sigterm_closes_open_streams_promptly(tmp_path: Path, database_url: str) -> None:
    live = live_server(tmp_path, database_url)
    client = await signed_in_client(live.url)
    async with open_stream(client) as stream:
        started = time.perf_counter()
        stopped = await asyncio.to_thread(live.stop)
        elapsed = time.perf_counter() - started
        with pytest.raises(EOFError):
            await stream.next(within=5)
    await client.aclose()
    assert stopped, "".join(live.output)
    assert elapsed < 5


def test_a_client_that_falls_behind_is_dropped_not_buffered() -> None:
    class Template:
        def render(self, message: dict, timezone: str, viewer_id: int | None) -> str:
            return f"{message['id']} in {timezone}"

    broker = Broker("", None, None, Template(), max_streams=10)  # type: ignore[arg-type]
    slow = broker.subscribe(1, "UTC")
    fast = broker.subscribe(2, "Asia/Kolkata")
    assert slow is not None and fast is not None
    for n in range(1, 100):
        broker.publish([{"id": n, "author_id": 3}])
        if n < 99:
            fast.queue.get_nowait()  # the fast reader keeps up
    assert slow not in broker.subscribers
    assert broker.dropped == 1
    assert slow.queue.qsize() == 1 and slow.queue.get_nowait() is None  # told to end
    last = fast.queue.get_nowait()
    assert last is not None and last.id == 99
    assert "data: 99 in Asia/Kolkata" in last.text
    assert fast in broker.subscribers


def test_capacity_and_closing() -> None:
    broker = Broker("", None, None, None, max_streams=2)  # type: ignore[arg-type]
    first, second = broker.subscribe(1, "UTC"), broker.subscribe(2, "UTC")
    assert broker.subscribe(3, "UTC") is None
    assert isinstance(first, Subscriber) and isinstance(second, Subscriber)
    broker.unsubscribe(first)
    assert broker.subscribe(3, "UTC") is not None
    broker.close_streams()
    assert broker.subscribe(4, "UTC") is None
    assert second.queue.get_nowait() is None


def test_sse_event_format() -> None:
    assert (
        sse_event(7, "<li>\n  a\n</li>")
        == "id: 7\nevent: message\ndata: <li>\ndata:   a\ndata: </li>\n\n"
    )


async def test_a_deleted_message_leaves_every_live_page(server: LiveServer) -> None:
    author = await signed_in_client(server.url)
    reader = await signed_in_client(server.url, "Asia/Kolkata")
    async with open_stream(reader) as stream:
        message_id = await post(author, "soon gone")
        assert (await stream.next()).id == str(message_id)
        deleted = await author.post(
            f"/api/message/{message_id}/delete", headers={"HX-Request": "true"}
        )
        assert deleted.status_code == 200
        event = await stream.next()
    await author.aclose()
    await reader.aclose()
    assert event.event == "delete"
    assert event.data == str(message_id)
    assert event.id == ""  # deletions do not move the stream's resume point
