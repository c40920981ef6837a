"""Posting, listing newest first, paging, validation and escaping."""

import re

import psycopg
import pytest

from tests.conftest import Client

pytestmark = pytest.mark.anyio


def message_bodies(html: str) -> list[str]:
    return re.findall(r'<p class="body">(.*?)</p>', html, flags=re.S)


def count_messages(db: psycopg.Connection) -> int:
    row = db.execute("SELECT count(*) FROM messages").fetchone()
    assert row is not None
    return row[0]


async def test_htmx_post_returns_the_new_message_fragment(signed_in: Client, db) -> None:
    response = await signed_in.post_message("  hello world  ")
    assert response.status_code == 201
    assert message_bodies(response.text) == ["hello world"]
    assert '<li class="message"' in response.text
    assert "<html" not in response.text
    assert "ada" in response.text
    row = db.execute("SELECT body FROM messages").fetchone()
    assert row == ("hello world",)


async def test_plain_form_post_redirects_back(signed_in: Client) -> None:
    response = await signed_in.post_message("no javascript here", htmx=False)
    assert response.status_code == 303
    assert response.headers["location"] == "/msgs"
    page = await signed_in.get("/msgs")
    assert message_bodies(page.text) == ["no javascript here"]


async def test_messages_are_listed_newest_first(signed_in: Client) -> None:
    for text in ["first", "second", "third"]:
        assert (await signed_in.post_message(text)).status_code == 201
    page = await signed_in.get("/msgs")
    assert message_bodies(page.text) == ["third", "second", "first"]
    fragment = await signed_in.get("/api/messages", headers={"HX-Request": "true"})
    assert message_bodies(fragment.text) == ["third", "second", "first"]
    assert "<html" not in fragment.text


async def test_paging_walks_all_history_without_gaps_or_repeats(
    signed_in: Client, db: psycopg.Connection, user: dict
) -> None:
    # 120 messages, some sharing one timestamp, so the id breaks ties in the cursor.
    db.execute(
        """
        INSERT INTO messages (author_id, body, created_at)
        SELECT %s, 'message ' || n, timestamptz '2026-01-01 00:00Z' + (n / 3) * interval '1 min'
        FROM generate_series(1, 120) AS n
        """,
        (user["id"],),
    )
    page = await signed_in.get("/msgs")
    seen = message_bodies(page.text)
    assert len(seen) == 50
    assert seen[0] == "message 120"
    older = re.search(r'hx-get="/api/messages\?before=([0-9-]+)"', page.text)
    assert older is not None
    assert f'href="/msgs?before={older[1]}"' in page.text  # the link that works without JS
    while older:
        fragment = await signed_in.get(f"/api/messages?before={older[1]}")
        assert fragment.status_code == 200
        seen += message_bodies(fragment.text)
        older = re.search(r'hx-get="/api/messages\?before=([0-9-]+)"', fragment.text)
    assert seen == [f"message {n}" for n in range(120, 0, -1)]


async def test_older_page_without_javascript(signed_in: Client, db, user: dict) -> None:
    db.execute(
        "INSERT INTO messages (author_id, body) SELECT %s, 'm' || n FROM generate_series(1, 60) n",
        (user["id"],),
    )
    first = await signed_in.get("/msgs")
    cursor = re.search(r'href="/msgs\?before=([0-9-]+)"', first.text)
    assert cursor is not None
    second = await signed_in.get(f"/msgs?before={cursor[1]}")
    assert second.status_code == 200
    assert len(message_bodies(second.text)) == 10
    assert "Back to the newest messages" in second.text


@pytest.mark.parametrize(
    "cursor",
    ["abc", "1-", "-1", "1-2-3", "1-99999999999999999999", "1;DROP TABLE messages", "1e5-1"],
)
async def test_malformed_cursor_is_a_clear_400(signed_in: Client, cursor: str) -> None:
    fragment = await signed_in.get("/api/messages", params={"before": cursor})
    assert fragment.status_code == 400
    assert "not a valid position" in fragment.text
    page = await signed_in.get("/msgs", params={"before": cursor})
    assert page.status_code == 400
    assert "not valid" in page.text


LONGEST = "x" * 500


@pytest.mark.parametrize(
    ("text", "stored"),
    [
        ("a", "a"),
        (LONGEST, LONGEST),
        ("  " + LONGEST + "\n\n", LONGEST),
        ("line one\r\nline two", "line one\nline two"),
        ("tab\there", "tab\there"),
        ("émoji 🎉 ok", "émoji 🎉 ok"),
        ("ü" * 500, "ü" * 500),
    ],
)
async def test_valid_messages_are_stored_as_trimmed(
    signed_in: Client, db: psycopg.Connection, text: str, stored: str
) -> None:
    response = await signed_in.post_message(text)
    assert response.status_code == 201
    assert db.execute("SELECT body FROM messages").fetchone() == (stored,)


@pytest.mark.parametrize(
    ("text", "error"),
    [
        ("", "Write something before posting."),
        ("   \n\t  ", "Write something before posting."),
        ("x" * 501, "at most 500 characters; this one has 501"),
        ("  " + "y" * 501 + "  ", "this one has 501"),
        ("nul\x00byte", "control characters (found U+0000)"),
        ("bell\x07", "control characters (found U+0007)"),
        ("escape \x1b[31m red", "control characters (found U+001B)"),
        ("delete\x7f", "control characters (found U+007F)"),
        ("c1 \x85 next line", "control characters (found U+0085)"),
    ],
)
@pytest.mark.parametrize("htmx", [True, False])
async def test_invalid_messages_get_422_and_nothing_is_stored(
    signed_in: Client, db: psycopg.Connection, text: str, error: str, htmx: bool
) -> None:
    response = await signed_in.post_message(text, htmx=htmx)
    assert response.status_code == 422
    assert error in response.text
    assert count_messages(db) == 0
    if htmx:
        assert response.headers["HX-Retarget"] == "#compose-error"
        assert response.text.lstrip().startswith('<p id="compose-error"')
    else:
        assert "<textarea" in response.text  # the page again, with the form


async def test_missing_message_field_is_a_422(signed_in: Client, db) -> None:
    response = await signed_in.post("/api/message", data={}, headers={"HX-Request": "true"})
    assert response.status_code == 422
    assert count_messages(db) == 0


async def test_rejected_draft_is_kept_in_the_form_without_javascript(signed_in: Client) -> None:
    response = await signed_in.post_message("keep me " + "z" * 600, htmx=False)
    assert response.status_code == 422
    assert "keep me zzz" in response.text


async def test_html_is_shown_as_text(signed_in: Client) -> None:
    response = await signed_in.post_message("<script>alert(1)</script> & <b>bold</b>")
    assert "<script>alert(1)</script>" not in response.text
    assert "&lt;script&gt;alert(1)&lt;/script&gt; &amp; &lt;b&gt;bold&lt;/b&gt;" in response.text
    page = await signed_in.get("/msgs")
    assert "<script>alert" not in page.text
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page.text


async def test_newlines_are_kept(signed_in: Client) -> None:
    await signed_in.post_message("one\ntwo\n\nthree")
    page = await signed_in.get("/msgs")
    assert message_bodies(page.text) == ["one\ntwo\n\nthree"]


async def test_oversized_body_is_refused_not_crashed(signed_in: Client, db) -> None:
    response = await signed_in.post_message("x" * 200_000)
    assert response.status_code == 413
    assert count_messages(db) == 0


async def test_database_refuses_bad_rows_whatever_the_client(
    db: psycopg.Connection, user: dict
) -> None:
    for body in ["", " padded ", "x" * 501, "bell\x07"]:
        with pytest.raises(psycopg.errors.CheckViolation):
            db.execute("INSERT INTO messages (author_id, body) VALUES (%s, %s)", (user["id"], body))
