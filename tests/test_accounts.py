"""Accounts and sessions: sign-up, throttling, renewal, revocation, settings, deleting."""

from __future__ import annotations

import subprocess
import sys
import time
import uuid
from dataclasses import replace
from pathlib import Path

import httpx
import pytest

from service.settings import Settings
from service.throttle import ACCOUNT_FAILURES, ADDRESS_FAILURES
from service.tokens import issue_token, read_token, signing_key
from tests.conftest import PASSWORD, TEST_SECRET, Client, app_client, create_user
from tests.live_server import ROOT, LiveServer, clean_environment

pytestmark = pytest.mark.anyio

GOOD_PASSWORD = "plum orbit canoe 42"
HTML = {"Accept": "text/html"}


async def sign_up(client: Client, email: str, password: str, htmx: bool = True) -> httpx.Response:
    return await client.post(
        "/signup",
        data={"email": email, "password": password, "user_timezone": "Europe/Berlin"},
        headers={"HX-Request": "true"} if htmx else {},
    )


def token_of(response: httpx.Response) -> str:
    return response.cookies["session"]


async def is_signed_in(client: Client) -> bool:
    response = await client.get("/msgs", headers=HTML)
    return response.status_code == 200


# Sign-up


async def test_sign_up_creates_the_account_and_signs_in(client: Client, db) -> None:
    response = await sign_up(client, "New.Person@Example.com", GOOD_PASSWORD)
    assert response.status_code == 200
    assert response.headers["HX-Redirect"] == "/msgs"
    page = await client.get("/msgs")
    assert "New.Person · Europe/Berlin" in page.text
    row = db.execute("SELECT email, display_name, timezone FROM users").fetchone()
    assert row == ("new.person@example.com", "New.Person", None)


async def test_sign_up_without_javascript_redirects(client: Client) -> None:
    response = await sign_up(client, "plain@example.com", GOOD_PASSWORD, htmx=False)
    assert response.status_code == 303
    assert response.headers["location"] == "/msgs"


@pytest.mark.parametrize(
    ("email", "password", "message"),
    [
        ("", GOOD_PASSWORD, "Enter your email address."),
        ("no-at-sign", GOOD_PASSWORD, "Enter a valid email address"),
        ("two@@example.com", GOOD_PASSWORD, "Enter a valid email address"),
        ("no-dot@example", GOOD_PASSWORD, "Enter a valid email address"),
        ("spa ce@example.com", GOOD_PASSWORD, "Enter a valid email address"),
        ("x" * 250 + "@example.com", GOOD_PASSWORD, "Enter a valid email address"),
        ("ok@example.com", "", "Use at least 8 characters (15 or more is better)."),
        ("ok@example.com", "1234567", "Use at least 8 characters"),
        ("ok@example.com", "x" * 129, "Use at most 128 characters."),
        ("ok@example.com", "password1", "one of the most common"),
        ("ok@example.com", "Iloveyou123", "one of the most common"),
        ("ok@example.com", "QWERTYUIOP", "one of the most common"),
        ("someone.long@example.com", "someone.long", "cannot be your email"),
    ],
)
@pytest.mark.parametrize("htmx", [True, False])
async def test_sign_up_rules_each_have_a_message(
    client: Client, db, email: str, password: str, message: str, htmx: bool
) -> None:
    response = await sign_up(client, email, password, htmx=htmx)
    assert response.status_code == 422
    assert message in response.text
    assert "session" not in response.cookies
    assert db.execute("SELECT count(*) FROM users").fetchone() == (0,)


async def test_long_passwords_are_welcome(client: Client) -> None:
    response = await sign_up(client, "long@example.com", "correct horse " * 9)  # 126
    assert response.headers["HX-Redirect"] == "/msgs"


async def test_taken_email_says_so(client: Client, user: dict, db) -> None:
    response = await sign_up(client, "ADA@example.com", GOOD_PASSWORD)
    assert response.status_code == 409
    assert "already exists" in response.text
    assert db.execute("SELECT count(*) FROM users").fetchone() == (1,)


@pytest.fixture
async def closed_client(settings: Settings):
    async for c in app_client(replace(settings, signup_enabled=False)):
        yield c


async def test_sign_up_can_be_turned_off(closed_client: Client, db) -> None:
    assert (await closed_client.get("/signup")).status_code == 404
    assert "Sign-up is closed" in (await closed_client.get("/signup")).text
    response = await sign_up(closed_client, "new@example.com", GOOD_PASSWORD, htmx=False)
    assert response.status_code == 404
    assert db.execute("SELECT count(*) FROM users").fetchone() == (0,)
    assert 'href="/signup"' not in (await closed_client.get("/")).text


# Throttling


@pytest.fixture
async def second_client(settings: Settings):
    """Another app instance (its own pool and process state) on the same database."""
    async for c in app_client(settings):
        yield c


async def test_account_throttle_is_shared_by_two_instances(
    client: Client, second_client: Client, user: dict
) -> None:
    for attempt in range(ACCOUNT_FAILURES):
        instance = (client, second_client)[attempt % 2]
        response = await instance.sign_in(password=f"wrong {attempt}")
        assert response.status_code == 401
    for instance in (client, second_client):
        refused = await instance.sign_in()  # even the right password, for now
        assert refused.status_code == 429
        assert "Too many failed sign-ins. Try again in 15 minutes." in refused.text
        assert 800 < int(refused.headers["Retry-After"]) <= 900
        assert "session" not in refused.cookies


async def test_throttle_ends_with_its_window(client: Client, user: dict, db) -> None:
    for _ in range(ACCOUNT_FAILURES):
        await client.sign_in(password="wrong")
    assert (await client.sign_in()).status_code == 429
    db.execute("UPDATE sign_in_failures SET window_started_at = now() - interval '16 minutes'")
    assert (await client.sign_in()).status_code == 200


async def test_success_resets_the_account_count(client: Client, user: dict) -> None:
    for _ in range(ACCOUNT_FAILURES - 1):
        await client.sign_in(password="wrong")
    assert (await client.sign_in()).status_code == 200
    for _ in range(ACCOUNT_FAILURES - 1):
        assert (await client.sign_in(password="wrong")).status_code == 401
    assert (await client.sign_in()).status_code == 200


async def test_address_throttle_covers_many_accounts(client: Client, user: dict) -> None:
    for n in range(ADDRESS_FAILURES):
        response = await client.sign_in(email=f"guess{n}@example.com", password="wrong")
        assert response.status_code == 401
    refused = await client.sign_in()  # a different, real account from the same address
    assert refused.status_code == 429


# Sessions


async def test_token_is_renewed_while_in_use(client: Client, user: dict, db) -> None:
    first = read_token(signing_key(TEST_SECRET), token_of(await client.sign_in()))
    assert first is not None
    assert "set-cookie" not in (await client.get("/msgs")).headers  # fresh: nothing to do
    six_minutes_ago = int(time.time()) - 6 * 60
    old = issue_token(
        signing_key(TEST_SECRET), user["id"], first.session_id, first.expires_at, six_minutes_ago
    )
    client.cookies.set("session", old)
    response = await client.get("/msgs")
    assert response.status_code == 200
    renewed = read_token(signing_key(TEST_SECRET), response.cookies["session"])
    assert renewed is not None
    assert renewed.session_id == first.session_id
    assert renewed.issued_at > six_minutes_ago
    assert renewed.expires_at >= first.expires_at
    assert (await client.get("/api/session")).status_code == 204


async def test_renewal_stops_at_the_absolute_lifetime(client: Client, user: dict, db) -> None:
    first = read_token(signing_key(TEST_SECRET), token_of(await client.sign_in()))
    assert first is not None
    db.execute("UPDATE sessions SET expires_at = now() + interval '2 minutes'")
    old = issue_token(
        signing_key(TEST_SECRET),
        user["id"],
        first.session_id,
        first.expires_at,
        int(time.time()) - 600,
    )
    client.cookies.set("session", old)
    renewed = read_token(signing_key(TEST_SECRET), (await client.get("/msgs")).cookies["session"])
    assert renewed is not None
    assert renewed.expires_at <= time.time() + 121

    db.execute("UPDATE sessions SET expires_at = now() - interval '1 second'")
    response = await client.get("/msgs", headers=HTML)
    assert response.status_code == 303
    assert 'session=""' in response.headers["set-cookie"]


async def test_signed_out_token_is_dead_even_when_replayed(client: Client, user: dict) -> None:
    token = token_of(await client.sign_in())
    assert await is_signed_in(client)
    await client.post("/api/logout")
    client.cookies.set("session", token)
    assert not await is_signed_in(client)
    events = await client.get("/events", headers={"Accept": "text/event-stream"})
    assert events.status_code == 401


async def test_sign_out_everywhere(client: Client, second_client: Client, user: dict, db) -> None:
    await client.sign_in()
    await second_client.sign_in()
    await second_client.sign_in()
    assert db.execute("SELECT count(*) FROM sessions WHERE revoked_at IS NULL").fetchone() == (3,)
    response = await client.post("/settings/sign-out-everywhere")
    assert response.status_code == 303
    assert response.headers["location"] == "/?signed_out=everywhere"
    assert not await is_signed_in(client)
    assert not await is_signed_in(second_client)
    page = await client.get("/?signed_out=everywhere")
    assert "You are signed out on every device." in page.text


async def test_password_change_ends_the_other_sessions(
    client: Client, second_client: Client, user: dict
) -> None:
    await client.sign_in()
    await second_client.sign_in()
    wrong = await client.post(
        "/settings/password", data={"current_password": "nope", "new_password": GOOD_PASSWORD}
    )
    assert wrong.status_code == 422
    assert "current password is not right" in wrong.text
    weak = await client.post(
        "/settings/password", data={"current_password": PASSWORD, "new_password": "password1"}
    )
    assert weak.status_code == 422
    assert "most common" in weak.text
    assert await is_signed_in(second_client)

    done = await client.post(
        "/settings/password", data={"current_password": PASSWORD, "new_password": GOOD_PASSWORD}
    )
    assert done.status_code == 303
    assert await is_signed_in(client)
    assert not await is_signed_in(second_client)
    assert (await second_client.sign_in()).status_code == 401
    assert (await second_client.sign_in(password=GOOD_PASSWORD)).status_code == 200
    assert "Password changed" in (await client.get("/settings?saved=password")).text


# Settings


async def test_display_name_is_shown_escaped_on_messages(signed_in: Client) -> None:
    await signed_in.post_message("hello")
    response = await signed_in.post(
        "/settings/profile", data={"display_name": "  Ada <b>L</b>  ", "timezone": ""}
    )
    assert response.status_code == 303
    page = await signed_in.get("/msgs")
    assert '<strong class="author">Ada &lt;b&gt;L&lt;/b&gt;</strong>' in page.text


@pytest.mark.parametrize(
    ("display_name", "timezone", "message"),
    [
        ("", "", "Enter a display name."),
        ("x" * 51, "", "at most 50 characters"),
        ("bad\x07bell", "", "control or formatting"),
        ("zero\u200bwidth", "", "control or formatting"),
        ("Ada", "Mars/Base", "is not a timezone"),
    ],
)
async def test_profile_rules(
    signed_in: Client, db, display_name: str, timezone: str, message: str
) -> None:
    response = await signed_in.post(
        "/settings/profile", data={"display_name": display_name, "timezone": timezone}
    )
    assert response.status_code == 422
    assert message in response.text
    assert db.execute("SELECT display_name, timezone FROM users").fetchone() == ("ada", None)


async def test_chosen_timezone_wins_over_the_browser(signed_in: Client, db, user: dict) -> None:
    db.execute(
        "INSERT INTO messages (author_id, body, created_at) VALUES (%s, 'x', '2026-11-26 14:05Z')",
        (user["id"],),
    )
    assert "14:05 UTC" in (await signed_in.get("/msgs")).text
    await signed_in.post(
        "/settings/profile", data={"display_name": "ada", "timezone": "Asia/Kolkata"}
    )
    assert "19:35 IST" in (await signed_in.get("/msgs")).text
    await signed_in.post("/settings/profile", data={"display_name": "ada", "timezone": ""})
    assert "14:05 UTC" in (await signed_in.get("/msgs")).text


async def test_settings_page_lists_zones(signed_in: Client) -> None:
    page = await signed_in.get("/settings")
    assert page.status_code == 200
    assert '<option value="Asia/Kolkata">' in page.text
    assert 'value="ada"' in page.text


# Deleting messages


async def test_delete_own_message(signed_in: Client, db) -> None:
    posted = await signed_in.post_message("oops")
    message_id = db.execute("SELECT id FROM messages").fetchone()[0]
    assert f'href="/msgs/{message_id}/delete"' in posted.text
    confirm = await signed_in.get(f"/msgs/{message_id}/delete")
    assert "Delete this message?" in confirm.text
    response = await signed_in.post(
        f"/api/message/{message_id}/delete", headers={"HX-Request": "true"}
    )
    assert response.status_code == 200
    assert db.execute("SELECT count(*) FROM messages").fetchone() == (0,)
    again = await signed_in.post(f"/api/message/{message_id}/delete")
    assert again.status_code == 404


async def test_delete_without_javascript_redirects(signed_in: Client, db) -> None:
    await signed_in.post_message("oops")
    message_id = db.execute("SELECT id FROM messages").fetchone()[0]
    response = await signed_in.post(f"/api/message/{message_id}/delete")
    assert response.status_code == 303
    assert db.execute("SELECT count(*) FROM messages").fetchone() == (0,)


async def test_others_messages_cannot_be_deleted(signed_in: Client, db) -> None:
    other = create_user(db, "bob@example.com")
    db.execute("INSERT INTO messages (author_id, body) VALUES (%s, 'mine, says bob')", (other,))
    message_id = db.execute("SELECT id FROM messages").fetchone()[0]
    page = await signed_in.get("/msgs")
    assert "mine, says bob" in page.text
    assert "/delete" not in page.text  # no control on someone else's message
    for htmx in (True, False):
        response = await signed_in.post(
            f"/api/message/{message_id}/delete", headers={"HX-Request": "true"} if htmx else {}
        )
        assert response.status_code == 403
        assert "only delete your own messages" in response.text
    assert db.execute("SELECT count(*) FROM messages").fetchone() == (1,)


# Operators


def run_cli(database_url: str, *args: str, stdin: str = "") -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "service", *args],
        cwd=ROOT,
        env=clean_environment(DATABASE_URL=database_url, SECRET_KEY=TEST_SECRET),
        input=stdin,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


async def test_create_user_reads_the_password_from_stdin(
    client: Client, database_url: str, db
) -> None:
    done = run_cli(database_url, "create-user", "Op@Example.com", stdin=GOOD_PASSWORD + "\n")
    assert done.returncode == 0, done.stderr
    assert "created Op@Example.com" in done.stdout
    assert (await client.sign_in("op@example.com", GOOD_PASSWORD)).status_code == 200
    again = run_cli(database_url, "create-user", "op@example.com", stdin=GOOD_PASSWORD + "\n")
    assert again.returncode == 1
    assert "exists already" in again.stderr


@pytest.mark.parametrize(
    ("args", "stdin", "code", "error"),
    [
        (["create-user", "x@example.com", GOOD_PASSWORD], "", 2, "unrecognized arguments"),
        (["create-user", "x@example.com", "--password", GOOD_PASSWORD], "", 2, "unrecognized"),
        (["create-user", "x@example.com"], "password1\n", 2, "most common"),
        (["create-user", "x@example.com"], "", 2, "at least 8 characters"),
        (["create-user", "not-an-email"], GOOD_PASSWORD + "\n", 2, "valid email"),
    ],
)
def test_create_user_never_takes_a_password_from_argv(
    database_url: str, db, args: list[str], stdin: str, code: int, error: str
) -> None:
    done = run_cli(database_url, *args, stdin=stdin)
    assert done.returncode == code
    assert error in done.stderr
    assert db.execute("SELECT count(*) FROM users").fetchone() == (0,)


def test_production_has_no_demo_account(tmp_path: Path, database_url: str, db) -> None:
    strong = "prod-" + uuid.uuid4().hex + uuid.uuid4().hex
    live = LiveServer(tmp_path, APP_ENV="production", DATABASE_URL=database_url, SECRET_KEY=strong)
    try:
        response = httpx.post(
            live.url + "/api/login",
            data={"username": "user@example.com", "password": "12341234"},
            headers={"HX-Request": "true"},
        )
        assert response.status_code == 401
        assert "Demo sign-in" not in "".join(live.output)
    finally:
        live.stop()
    assert db.execute("SELECT count(*) FROM users").fetchone() == (0,)
