"""Search, author and date filters, and paging through them, on real PostgreSQL."""

from __future__ import annotations

import re
from urllib.parse import parse_qs, urlsplit

import psycopg
import pytest

from tests.conftest import Client, create_user

pytestmark = pytest.mark.anyio

HTMX = {"HX-Request": "true"}


def bodies(html: str) -> list[str]:
    """Each message's text as shown, with highlight marks removed."""
    found = re.findall(r'<p class="body">(.*?)</p>', html, flags=re.S)
    return [re.sub(r"</?mark>", "", body) for body in found]


def marks(html: str) -> list[str]:
    return re.findall(r"<mark>(.*?)</mark>", html, flags=re.S)


def add(db: psycopg.Connection, author_id: int, body: str, at: str | None = None) -> None:
    if at is None:
        db.execute("INSERT INTO messages (author_id, body) VALUES (%s, %s)", (author_id, body))
    else:
        db.execute(
            "INSERT INTO messages (author_id, body, created_at) VALUES (%s, %s, %s)",
            (author_id, body, at),
        )


async def listing(client: Client, **params: str) -> list[str]:
    response = await client.get("/api/messages", params=params, headers=HTMX)
    assert response.status_code == 200, response.text
    return bodies(response.text)


async def walk(client: Client, **params: str) -> list[str]:
    """Every message the filters let through, following the endless-scroll trigger."""
    response = await client.get("/api/messages", params=params, headers=HTMX)
    seen = bodies(response.text)
    while match := re.search(r'<li class="older" hx-get="([^"]+)"', response.text):
        url = match[1].replace("&amp;", "&")
        query = parse_qs(urlsplit(url).query)
        for name, value in params.items():
            assert query[name] == [value], f"{name} lost in {url}"
        response = await client.get(url, headers=HTMX)
        assert response.status_code == 200
        seen += bodies(response.text)
    return seen


@pytest.fixture
def board(db: psycopg.Connection, user: dict) -> dict[str, int]:
    """A few people and messages, oldest first, one minute apart."""
    people = {"ada": user["id"], "grace": create_user(db, "grace@example.com")}
    people["grace2"] = create_user(db, "grace@elsewhere.org")  # also shown as "grace"
    texts = [
        ("ada", "Deploying the search index to staging tonight"),
        ("grace", "The new release is out, please review the changelog"),
        ("ada", "Release notes: search got faster"),
        ("grace2", "Lunch at the cafeteria? Pizza again"),
        ("grace", "The staging deploy failed, rolling back the release"),
        ("ada", "A new search box for the dashboard"),
        ("grace", "to be or not to be"),
        ("ada", "Theming the dashboard with a darker palette"),
    ]
    for minute, (name, text) in enumerate(texts):
        add(db, people[name], text, f"2026-01-05 10:{minute:02d}:00Z")
    return people


async def test_search_matches_words_newest_first_and_highlights(
    signed_in: Client, board: dict
) -> None:
    html = (await signed_in.get("/api/messages", params={"q": "search"}, headers=HTMX)).text
    assert bodies(html) == [
        "A new search box for the dashboard",
        "Release notes: search got faster",
        "Deploying the search index to staging tonight",
    ]
    assert marks(html) == ["search", "search", "search"]
    # English stemming: "deploying" finds "deploy" and the other way round.
    assert await listing(signed_in, q="deploying") == [
        "The staging deploy failed, rolling back the release",
        "Deploying the search index to staging tonight",
    ]


@pytest.mark.parametrize(
    ("q", "expected"),
    [
        ('"new release"', ["The new release is out, please review the changelog"]),
        (
            "pizza or changelog",
            [
                "Lunch at the cafeteria? Pizza again",
                "The new release is out, please review the changelog",
            ],
        ),
        (
            "release -staging",
            [
                "Release notes: search got faster",
                "The new release is out, please review the changelog",
            ],
        ),
        ("release staging", ["The staging deploy failed, rolling back the release"]),
        ("RELEASE Staging", ["The staging deploy failed, rolling back the release"]),
        ("nothing-like-this", []),
    ],
)
async def test_websearch_syntax(signed_in: Client, board: dict, q: str, expected: list) -> None:
    assert await listing(signed_in, q=q) == expected


@pytest.mark.parametrize(
    ("q", "expected"),
    [
        # Only stop words: nothing to look up in the index, so each word is a prefix.
        ("the", ["Theming the dashboard with a darker palette"]),
        # One or two letters: a prefix of the words being typed.
        (
            "da",
            ["Theming the dashboard with a darker palette", "A new search box for the dashboard"],
        ),
        ("pi", ["Lunch at the cafeteria? Pizza again"]),
        ("re no", ["Release notes: search got faster"]),
    ],
)
async def test_short_and_stop_word_searches_match_prefixes(
    signed_in: Client, board: dict, q: str, expected: list
) -> None:
    assert await listing(signed_in, q=q) == expected


async def test_a_prefix_match_is_highlighted(signed_in: Client, board: dict) -> None:
    html = (await signed_in.get("/api/messages", params={"q": "pi"}, headers=HTMX)).text
    assert marks(html) == ["Pizza"]


NASTY = [
    '"',
    '"unbalanced',
    "'",
    "\\",
    "\\\\'\"",
    "&|!:*()",
    "!",
    "(",
    "a & (b | !c",
    "::*",
    "<->",
    "or",
    "-",
    "--",
    "- - -",
    '"" or ""',
    "search:*",
    "search:A",
    "'search':*",
    "x" * 200,
    "release " * 24,
    "ünïcödé ✓ 🎉 日本語",
    "\x00",
    "nul\x00in the middle",
    "tab\tand\nnewline",
    "%00",
    "%",
    "%(q)s",
    "{}",
    "; DROP TABLE messages; --",
]


@pytest.mark.parametrize("q", NASTY)
async def test_no_search_input_raises(signed_in: Client, board: dict, q: str) -> None:
    for path, headers in (("/api/messages", HTMX), ("/msgs", HTMX), ("/msgs", {})):
        response = await signed_in.get(path, params={"q": q}, headers=headers)
        assert response.status_code == 200, (path, q, response.text)


async def test_an_overlong_search_is_a_clear_400(signed_in: Client) -> None:
    response = await signed_in.get("/api/messages", params={"q": "x" * 201})
    assert response.status_code == 400
    assert "at most 200 characters" in response.text


async def test_highlighting_escapes_everything_but_the_marks(
    signed_in: Client, db: psycopg.Connection, user: dict
) -> None:
    add(db, user["id"], "<script>alert(1)</script> & <b>deploy</b>'s deploy now")
    html = (await signed_in.get("/api/messages", params={"q": "deploy"}, headers=HTMX)).text
    body = re.search(r'<p class="body">(.*?)</p>', html, flags=re.S)
    assert body is not None
    assert body[1] == (
        "&lt;script&gt;alert(1)&lt;/script&gt; &amp; "
        "&lt;b&gt;<mark>deploy</mark>&lt;/b&gt;&#39;s <mark>deploy</mark> now"
    )
    assert "<script>" not in html and "<b>" not in html


async def test_author_filter(signed_in: Client, board: dict) -> None:
    # Two people whose emails start with "grace" are both shown as "grace".
    assert await listing(signed_in, author="grace") == [
        "to be or not to be",
        "The staging deploy failed, rolling back the release",
        "Lunch at the cafeteria? Pizza again",
        "The new release is out, please review the changelog",
    ]
    assert await listing(signed_in, author="grace", q="release") == [
        "The staging deploy failed, rolling back the release",
        "The new release is out, please review the changelog",
    ]
    assert await listing(signed_in, author="nobody") == []
    page = await signed_in.get("/msgs", params={"author": "nobody"})
    assert page.status_code == 200
    assert "No messages match with these filters." in page.text


async def sign_in_as(client: Client, timezone: str) -> None:
    response = await client.sign_in(timezone=timezone)
    assert response.status_code == 200


@pytest.mark.parametrize(
    ("timezone", "day", "times", "inside"),
    [
        # Kolkata is UTC+05:30: its 10 March runs from 9 March 18:30 to 10 March 18:30 UTC.
        (
            "Asia/Kolkata",
            "2026-03-10",
            ["2026-03-09T18:29:59Z", "2026-03-09T18:30:00Z", "2026-03-10T18:29:59Z",
             "2026-03-10T18:30:00Z"],
            [False, True, True, False],
        ),
        # New York springs forward on 8 March 2026: a 23-hour day, 05:00 to 04:00 UTC.
        (
            "America/New_York",
            "2026-03-08",
            ["2026-03-08T04:59:59Z", "2026-03-08T05:00:00Z", "2026-03-09T03:59:59Z",
             "2026-03-09T04:00:00Z"],
            [False, True, True, False],
        ),
        # ... and falls back on 1 November 2026: a 25-hour day, 04:00 to 05:00 UTC.
        (
            "America/New_York",
            "2026-11-01",
            ["2026-11-01T03:59:59Z", "2026-11-01T04:00:00Z", "2026-11-02T04:59:59Z",
             "2026-11-02T05:00:00Z"],
            [False, True, True, False],
        ),
    ],
)  # fmt: skip
async def test_dates_are_days_in_the_viewers_timezone(
    client: Client,
    db: psycopg.Connection,
    user: dict,
    timezone: str,
    day: str,
    times: list[str],
    inside: list[bool],
) -> None:
    for n, moment in enumerate(times):
        add(db, user["id"], f"message {n}", moment)
    await sign_in_as(client, timezone)
    expected = [f"message {n}" for n in reversed(range(len(times))) if inside[n]]
    assert await listing(client, **{"from": day, "to": day}) == expected
    # Only a start: everything from the start of that day on.
    starting = [f"message {n}" for n in reversed(range(len(times))) if inside[n] or n == 3]
    assert await listing(client, **{"from": day}) == starting
    # Only an end: everything before the end of that day.
    until = [f"message {n}" for n in reversed(range(len(times))) if inside[n] or n == 0]
    assert await listing(client, to=day) == until


async def test_filters_page_through_history_without_gaps_or_repeats(
    signed_in: Client, db: psycopg.Connection, user: dict
) -> None:
    other = create_user(db, "bob@example.com")
    # 400 messages, three to a timestamp so the cursor's id breaks ties; every other one
    # mentions "deploy", every third is by bob.
    db.execute(
        """
        INSERT INTO messages (author_id, body, created_at)
        SELECT CASE WHEN n %% 3 = 0 THEN %(bob)s ELSE %(ada)s END,
               CASE WHEN n %% 2 = 0 THEN 'deploy number ' ELSE 'note number ' END || n,
               timestamptz '2026-02-01 00:00Z' + (n / 3) * interval '1 hour'
        FROM generate_series(1, 400) AS n
        """,
        {"bob": other, "ada": user["id"]},
    )

    def expected(keep) -> list[str]:  # type: ignore[no-untyped-def]
        return [
            f"{'deploy' if n % 2 == 0 else 'note'} number {n}" for n in range(400, 0, -1) if keep(n)
        ]

    assert await walk(signed_in, q="deploy") == expected(lambda n: n % 2 == 0)
    assert await walk(signed_in, author="bob") == expected(lambda n: n % 3 == 0)
    assert await walk(signed_in, q="deploy", author="bob") == expected(lambda n: n % 6 == 0)
    # 2 February 00:00 to 5 February 24:00 UTC: hours 24 to 119, that is n = 72 to 359.
    window = {"from": "2026-02-02", "to": "2026-02-05"}
    assert await walk(signed_in, **window) == expected(lambda n: 72 <= n <= 359)
    assert await walk(signed_in, q="note", author="ada", **window) == expected(
        lambda n: 72 <= n <= 359 and n % 2 == 1 and n % 3 != 0
    )


async def test_no_javascript_pages_carry_the_filters(
    signed_in: Client, db: psycopg.Connection, user: dict
) -> None:
    db.execute(
        "INSERT INTO messages (author_id, body) "
        "SELECT %s, 'deploy ' || n FROM generate_series(1, 120) n",
        (user["id"],),
    )
    page = await signed_in.get("/msgs", params={"q": "deploy", "author": "ada"})
    assert page.status_code == 200
    link = re.search(r'<a href="(/msgs\?[^"]+)">Older messages</a>', page.text)
    assert link is not None
    url = link[1].replace("&amp;", "&")
    query = parse_qs(urlsplit(url).query)
    assert query["q"] == ["deploy"] and query["author"] == ["ada"] and "before" in query
    second = await signed_in.get(url)
    assert second.status_code == 200
    assert len(bodies(second.text)) == 50
    assert 'value="deploy"' in second.text  # the form still shows the search
    back = re.search(r'<a href="([^"]+)">Back to the newest messages</a>', second.text)
    assert back is not None and back[1].replace("&amp;", "&") == "/msgs?q=deploy&author=ada"


async def test_search_as_you_type_gets_just_the_results(signed_in: Client, board: dict) -> None:
    response = await signed_in.get("/msgs", params={"q": "pizza"}, headers=HTMX)
    assert response.status_code == 200
    assert response.text.lstrip().startswith('<div id="results"')
    assert "<html" not in response.text
    assert bodies(response.text) == ["Lunch at the cafeteria? Pizza again"]
    # A filtered list gets no live updates (they would bring messages that do not match).
    assert "sse-connect" not in response.text
    # The back button asks for the whole page again.
    restore = {**HTMX, "HX-History-Restore-Request": "true"}
    page = await signed_in.get("/msgs", params={"q": "pizza"}, headers=restore)
    assert "<html" in page.text and 'value="pizza"' in page.text
    everything = await signed_in.get("/msgs", headers=HTMX)
    assert 'sse-connect="/events"' in everything.text


async def test_an_empty_search_says_so(signed_in: Client, board: dict) -> None:
    response = await signed_in.get("/msgs", params={"q": "zeppelin"}, headers=HTMX)
    assert "No messages match “zeppelin”." in response.text


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({"sort": "asc"}, "Unknown parameter “sort”"),
        ({"q": "a", "page": "2"}, "Unknown parameter “page”"),
        ({"from": "yesterday"}, "“from” must be a date like 2026-01-31"),
        ({"from": "2026-02-30"}, "“from” must be a date like 2026-01-31"),
        ({"to": "20260101"}, "“to” must be a date like 2026-01-31"),
        ({"to": "2026-1-1"}, "“to” must be a date like 2026-01-31"),
        ({"from": "2026-03-02", "to": "2026-03-01"}, "The end date (to) is before the start"),
        ({"to": "9999-12-31"}, "That date is out of range."),
        ({"q": "x" * 201}, "at most 200 characters"),
        ({"before": "nope", "q": "x"}, "not a valid position"),
    ],
)
async def test_malformed_parameters_are_a_clear_400(
    signed_in: Client, params: dict, message: str
) -> None:
    response = await signed_in.get("/api/messages", params=params)
    assert response.status_code == 400
    assert message in response.text.replace("&#34;", '"')
    if "before" not in params:
        page = await signed_in.get("/msgs", params=params)
        assert page.status_code == 400
        assert message in page.text
        assert '<form id="search"' in page.text  # the form is there to correct it


async def test_repeated_and_conflicting_parameters_are_a_400(signed_in: Client) -> None:
    response = await signed_in.get("/api/messages?q=a&q=b")
    assert response.status_code == 400
    assert "Give “q” only once." in response.text
    response = await signed_in.get("/api/messages?after=1&q=deploy")
    assert response.status_code == 400
    assert "cannot be combined" in response.text


async def test_empty_parameters_are_no_filter(signed_in: Client, board: dict) -> None:
    everything = await listing(signed_in)
    assert len(everything) == 8
    assert await listing(signed_in, q="", author="", **{"from": "", "to": ""}) == everything
    assert await listing(signed_in, q="   ") == everything


async def test_dates_alone_use_the_whole_list(
    signed_in: Client, db: psycopg.Connection, user: dict
) -> None:
    add(db, user["id"], "in January", "2026-01-15T12:00:00Z")
    add(db, user["id"], "in February", "2026-02-15T12:00:00Z")
    assert await listing(signed_in, **{"from": "2026-02-01"}) == ["in February"]
    assert await listing(signed_in, to="2026-01-31") == ["in January"]
