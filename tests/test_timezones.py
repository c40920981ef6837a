"""Every timestamp is shown in the viewer's own zone, inside <time datetime=UTC>."""

import psycopg
import pytest

from service.timezones import NO_TIMEZONE_NOTICE, local_time, resolve_timezone
from tests.conftest import Client

pytestmark = pytest.mark.anyio

# (zone, UTC moment, what the viewer sees)
CASES = [
    ("America/New_York", "2026-11-26 14:05Z", "2026-11-26 09:05 EST"),
    ("America/New_York", "2026-07-04 14:05Z", "2026-07-04 10:05 EDT"),
    # The hour after the spring-forward change: 06:59Z is 01:59 EST, 07:00Z is 03:00 EDT.
    ("America/New_York", "2026-03-08 06:59Z", "2026-03-08 01:59 EST"),
    ("America/New_York", "2026-03-08 07:00Z", "2026-03-08 03:00 EDT"),
    ("Asia/Kolkata", "2026-11-26 14:05Z", "2026-11-26 19:35 IST"),
    ("Asia/Kathmandu", "2026-11-26 14:05Z", "2026-11-26 19:50 +0545"),
    ("Australia/Adelaide", "2026-01-15 14:05Z", "2026-01-16 00:35 ACDT"),
    ("Australia/Adelaide", "2026-07-15 14:05Z", "2026-07-15 23:35 ACST"),
    ("UTC", "2026-11-26 14:05Z", "2026-11-26 14:05 UTC"),
]


@pytest.mark.parametrize(("zone", "moment", "shown"), CASES)
async def test_message_time_in_viewer_zone(
    client: Client, user: dict, db: psycopg.Connection, zone: str, moment: str, shown: str
) -> None:
    db.execute(
        "INSERT INTO messages (author_id, body, created_at) VALUES (%s, 'hi', %s)",
        (user["id"], moment),
    )
    await client.sign_in(timezone=zone)
    page = await client.get("/msgs")
    utc = moment.replace(" ", "T").replace("Z", ":00Z")
    assert f'<time datetime="{utc}">{shown}</time>' in page.text


async def test_two_viewers_see_one_message_in_their_own_zones(
    client: Client, user: dict, db: psycopg.Connection
) -> None:
    db.execute(
        "INSERT INTO messages (author_id, body, created_at) VALUES (%s, 'hi', '2026-11-26 14:05Z')",
        (user["id"],),
    )
    await client.sign_in(timezone="America/New_York")
    assert "09:05 EST" in (await client.get("/msgs")).text
    await client.sign_in(timezone="Asia/Kolkata")
    assert "19:35 IST" in (await client.get("/msgs")).text


@pytest.mark.parametrize(
    ("raw", "notice"),
    [
        ("", "did not send its timezone"),
        ("Mars/Olympus_Mons", "Unknown timezone “Mars/Olympus_Mons”"),
        ("../../etc/passwd", "Unknown timezone"),
        ("<script>x</script>", "Unknown timezone “&lt;script&gt;x&lt;/script&gt;”"),
        ("a" * 5000, "Unknown timezone"),
    ],
)
async def test_unusable_timezone_falls_back_to_utc_with_a_notice(
    client: Client, user: dict, db: psycopg.Connection, raw: str, notice: str
) -> None:
    db.execute(
        "INSERT INTO messages (author_id, body, created_at) VALUES (%s, 'hi', '2026-11-26 14:05Z')",
        (user["id"],),
    )
    response = await client.sign_in(timezone=raw)
    assert response.headers["HX-Redirect"] == "/msgs"
    page = await client.get("/msgs")
    assert page.status_code == 200
    assert notice in page.text
    assert "2026-11-26 14:05 UTC" in page.text


def test_resolve_timezone() -> None:
    assert resolve_timezone("Asia/Kolkata") == ("Asia/Kolkata", "")
    assert resolve_timezone(" Europe/Berlin ") == ("Europe/Berlin", "")
    assert resolve_timezone("") == ("UTC", NO_TIMEZONE_NOTICE)
    assert resolve_timezone("nowhere")[0] == "UTC"


def test_local_time_of_an_unknown_zone_is_utc() -> None:
    from datetime import UTC, datetime

    assert local_time(datetime(2026, 1, 1, 12, tzinfo=UTC), "Nope/Nope") == "2026-01-01 12:00 UTC"
