"""Real headless Chromium against a real `python -m service` process."""

from __future__ import annotations

import re
import shutil
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest
from playwright.sync_api import Browser, ConsoleMessage, Page, expect, sync_playwright

from tests.conftest import TEST_SECRET
from tests.live_server import ROOT, LiveServer

pytestmark = pytest.mark.browser

CHROMIUM = "/usr/bin/chromium"
ARTIFACTS = ROOT / "test-artifacts"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    if shutil.which(CHROMIUM) is None:
        pytest.fail(f"{CHROMIUM} is missing: apt-get install chromium (.ci/run does)")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def server(database_url: str, tmp_path: Path) -> Iterator[LiveServer]:
    live = LiveServer(tmp_path, DATABASE_URL=database_url, SECRET_KEY=TEST_SECRET)
    yield live
    assert live.stop()


# Chromium logs every 4xx it fetches; these are the answers the test provokes on purpose.
EXPECTED_STATUSES = ("status of 401", "status of 422")


def watch_console(page: Page) -> list[str]:
    """Console errors (a CSP violation shows up here) collected while the test runs."""
    errors: list[str] = []

    def on_console(message: ConsoleMessage) -> None:
        if message.type == "error" and not any(s in message.text for s in EXPECTED_STATUSES):
            errors.append(message.text)

    page.on("console", on_console)
    page.on("pageerror", lambda e: errors.append(str(e)))
    return errors


def sign_in(page: Page, server: LiveServer) -> None:
    page.goto(server.url + "/")
    page.get_by_label("Email").fill("user@example.com")
    page.get_by_label("Password").fill("12341234")
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(server.url + "/msgs")


def test_sign_in_post_and_see_it_at_the_top_in_local_time(
    browser: Browser, server: LiveServer
) -> None:
    context = browser.new_context(
        timezone_id="Asia/Kolkata", viewport={"width": 1100, "height": 800}
    )
    page = context.new_page()
    errors = watch_console(page)

    page.goto(server.url + "/")
    page.get_by_role("button", name="Sign in").wait_for()
    page.get_by_label("Email").fill("user@example.com")
    page.get_by_label("Password").fill("wrong password")
    page.get_by_role("button", name="Sign in").click()
    expect(page.locator("#sign-in-error")).to_have_text(
        "That email and password do not match an account."
    )

    page.get_by_label("Password").fill("12341234")
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(server.url + "/msgs")
    # Chromium's ICU still names the zone by its older alias, Asia/Calcutta.
    expect(page.locator("nav")).to_contain_text(re.compile(r"user · Asia/(Kolkata|Calcutta)"))

    page.evaluate("window.notReloaded = true")
    box = page.get_by_label("Message")
    box.fill("Hello from Kolkata <b>not bold</b>")
    box.press("Enter")
    first = page.locator("#messages .message").first
    expect(first.locator(".body")).to_have_text("Hello from Kolkata <b>not bold</b>")
    expect(first.locator("time")).to_have_text(re.compile(r"^\d{4}-\d\d-\d\d \d\d:\d\d IST$"))
    assert page.evaluate("window.notReloaded") is True
    expect(box).to_have_value("")
    expect(box).to_be_focused()

    box.fill("Second line one")
    box.press("Shift+Enter")
    box.type("line two")
    box.press("Enter")
    expect(first.locator(".body")).to_have_text("Second line one\nline two")
    expect(page.locator("#messages .message")).to_have_count(2)

    box.fill("   ")
    box.press("Enter")
    expect(page.locator("#compose-error")).to_have_text("Write something before posting.")
    expect(page.locator("#messages .message")).to_have_count(2)
    box.press_sequentially("after")
    expect(page.locator("#compose-error")).to_be_hidden()  # out of date once typing resumes
    box.fill("after the error")
    box.press("Enter")
    expect(page.locator("#compose-error")).to_be_hidden()
    expect(page.locator("#messages .message")).to_have_count(3)

    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=ARTIFACTS / "dashboard.png", full_page=True)
    page.set_viewport_size({"width": 390, "height": 760})
    page.screenshot(path=ARTIFACTS / "dashboard-phone.png", full_page=True)
    page.get_by_role("button", name="Sign out").click()
    page.wait_for_url(server.url + "/")
    page.screenshot(path=ARTIFACTS / "sign-in.png")
    page.goto(server.url + "/msgs")
    page.wait_for_url(server.url + "/")
    assert errors == []
    context.close()


def test_everything_works_without_javascript(browser: Browser, server: LiveServer) -> None:
    context = browser.new_context(java_script_enabled=False, timezone_id="Asia/Kolkata")
    page = context.new_page()
    sign_in(page, server)
    expect(page.get_by_text("shown in UTC")).to_be_visible()
    page.get_by_label("Message").fill("plain form post")
    page.get_by_role("button", name="Post").click()
    page.wait_for_url(server.url + "/msgs")
    first = page.locator("#messages .message").first
    expect(first.locator(".body")).to_have_text("plain form post")
    expect(first.locator("time")).to_have_text(re.compile(r"^\d{4}-\d\d-\d\d \d\d:\d\d UTC$"))
    page.screenshot(path=ARTIFACTS / "dashboard-no-js.png", full_page=True)
    context.close()


def test_scrolling_to_the_end_loads_older_messages(
    browser: Browser, server: LiveServer, database_url: str
) -> None:
    with psycopg.connect(database_url, autocommit=True) as conn:
        conn.execute(
            """
            INSERT INTO messages (author_id, body, created_at)
            SELECT users.id, 'history ' || n, now() - n * interval '1 minute'
            FROM users, generate_series(120, 1, -1) AS n
            WHERE users.email = 'user@example.com'
            """
        )
    context = browser.new_context(timezone_id="America/New_York")
    page = context.new_page()
    sign_in(page, server)
    messages = page.locator("#messages .message")
    expect(messages).to_have_count(50)
    for expected in (100, 120):
        page.locator("#messages .message").last.scroll_into_view_if_needed()
        page.mouse.wheel(0, 100_000)
        expect(messages).to_have_count(expected)
    expect(messages.last.locator(".body")).to_have_text("history 120")
    expect(page.locator("#messages .older")).to_have_count(0)
    context.close()


def test_live_updates_reach_another_browser_in_its_own_timezone(
    browser: Browser, server: LiveServer
) -> None:
    pages = {}
    for zone in ("America/New_York", "Asia/Kolkata"):
        context = browser.new_context(timezone_id=zone, viewport={"width": 900, "height": 700})
        page = context.new_page()
        pages[zone] = (page, watch_console(page))
        with page.expect_response(lambda r: "/api/messages?after=" in r.url):
            sign_in(page, server)  # the stream opened and caught up
        page.evaluate("window.notReloaded = true")

    author, author_errors = pages["America/New_York"]
    reader, reader_errors = pages["Asia/Kolkata"]
    author.get_by_label("Message").fill("Live from New York")
    author.get_by_label("Message").press("Enter")

    for page, suffix in ((reader, "IST"), (author, "EST")):
        first = page.locator("#messages .message").first
        expect(first.locator(".body")).to_have_text("Live from New York")
        expect(first.locator("time")).to_have_text(re.compile(rf" {suffix}$"))
    reader.get_by_label("Message").fill("Reply from Kolkata")
    reader.get_by_label("Message").press("Enter")
    for page in (author, reader):
        expect(page.locator("#messages .message").first.locator(".body")).to_have_text(
            "Reply from Kolkata"
        )
    # Let any late duplicate (POST answer and live event) arrive before counting.
    reader.wait_for_timeout(500)
    for page in (author, reader):
        expect(page.locator("#messages .message")).to_have_count(2)
        assert page.evaluate("window.notReloaded") is True
    reader.screenshot(path=ARTIFACTS / "live-reader.png", full_page=True)
    assert author_errors == [] and reader_errors == []
    for page, _ in pages.values():
        page.context.close()


def test_sign_up_post_change_timezone_delete_and_sign_out(
    browser: Browser, server: LiveServer
) -> None:
    context = browser.new_context(
        timezone_id="America/New_York", viewport={"width": 1000, "height": 800}
    )
    page = context.new_page()
    errors = watch_console(page)
    page.goto(server.url + "/")
    page.get_by_role("link", name="Create an account").click()
    page.get_by_label("Email").fill("grace@example.com")
    page.get_by_label("Password").fill("password1")
    page.get_by_role("button", name="Create account").click()
    expect(page.locator("#sign-up-error")).to_contain_text("most common")
    page.get_by_label("Password").fill("compile the moon 1952")
    page.get_by_role("button", name="Create account").click()
    page.wait_for_url(server.url + "/msgs")
    expect(page.locator("nav")).to_contain_text("grace · America/New_York")

    page.get_by_label("Message").fill("Times will change")
    page.get_by_label("Message").press("Enter")
    first = page.locator("#messages .message").first
    expect(first.locator("time")).to_have_text(re.compile(r" E[SD]T$"))

    page.get_by_role("link", name="Settings").click()
    page.get_by_label("Display name").fill("Grace H.")
    page.get_by_label("Timezone").fill("Asia/Kathmandu")
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_text("Saved.")).to_be_visible()
    page.screenshot(path=ARTIFACTS / "settings.png", full_page=True)

    page.locator("nav").get_by_role("link", name="Messages").click()
    first = page.locator("#messages .message").first
    expect(first.locator("time")).to_have_text(re.compile(r" \+0545$"))
    expect(first.locator(".author")).to_have_text("Grace H.")

    page.once("dialog", lambda dialog: dialog.accept())
    first.get_by_role("link", name="Delete").click()
    expect(page.locator("#messages .message")).to_have_count(0)

    page.get_by_role("button", name="Sign out").click()
    page.wait_for_url(server.url + "/")
    page.goto(server.url + "/settings")
    page.wait_for_url(server.url + "/")
    assert errors == []


def seed_history(database_url: str) -> None:
    """300 messages a minute apart, the newest first; every other one is about a deploy."""
    with psycopg.connect(database_url, autocommit=True) as conn:
        conn.execute(
            """
            INSERT INTO messages (author_id, body, created_at)
            SELECT users.id,
                   CASE WHEN n % 2 = 0 THEN 'Deploy number ' || n ELSE 'Lunch number ' || n END,
                   now() - n * interval '1 minute'
            FROM users, generate_series(300, 1, -1) AS n
            WHERE users.email = 'user@example.com'
            """
        )


def test_search_as_you_type_with_history_and_endless_scroll(
    browser: Browser, server: LiveServer, database_url: str
) -> None:
    seed_history(database_url)
    context = browser.new_context(
        timezone_id="Asia/Kolkata", viewport={"width": 1100, "height": 800}
    )
    page = context.new_page()
    errors = watch_console(page)
    sign_in(page, server)
    messages = page.locator("#messages .message")
    expect(messages).to_have_count(50)
    expect(messages.first.locator(".body")).to_have_text("Lunch number 1")

    searches: list[str] = []
    page.on("request", lambda r: searches.append(r.url) if "/msgs?" in r.url else None)
    page.locator("#q").press_sequentially("deploy", delay=40)
    expect(page).to_have_url(server.url + "/msgs?q=deploy")
    expect(messages.first.locator(".body")).to_have_text("Deploy number 2")
    expect(messages.first.locator("mark")).to_have_text("Deploy")
    assert len(searches) == 1, searches  # debounced: one request for six keystrokes
    expect(page.locator(".summary")).to_contain_text("Messages matching “deploy”")
    assert page.locator("#messages").get_attribute("sse-connect") is None
    page.screenshot(path=ARTIFACTS / "search.png", full_page=False)

    # Scrolling loads the older matches, and only matches.
    for expected in (100, 150):
        messages.last.scroll_into_view_if_needed()
        page.mouse.wheel(0, 100_000)
        expect(messages).to_have_count(expected)
    expect(messages.last.locator(".body")).to_have_text("Deploy number 300")
    assert all(t.startswith("Deploy") for t in messages.locator(".body").all_inner_texts())
    expect(page.locator("#messages .older")).to_have_count(0)

    # A filter on top; then the back button walks back through both.
    page.get_by_label("Author").fill("nobody")
    expect(page).to_have_url(server.url + "/msgs?q=deploy&author=nobody")
    expect(page.locator("#messages .empty")).to_have_text(
        "No messages match “deploy” with these filters."
    )
    page.go_back()
    expect(page).to_have_url(server.url + "/msgs?q=deploy")
    expect(page.locator("#q")).to_have_value("deploy")
    expect(page.get_by_label("Author")).to_have_value("")
    expect(messages.first.locator("mark")).to_have_text("Deploy")
    page.go_back()
    expect(page).to_have_url(server.url + "/msgs")
    expect(page.locator("#q")).to_have_value("")
    expect(messages.first.locator(".body")).to_have_text("Lunch number 1")
    expect(page.locator("#messages")).to_have_attribute("sse-connect", "/events")

    # A shared link opens the same search.
    page.goto(server.url + "/msgs?q=%22deploy+number+2%22")
    expect(messages).to_have_count(1)
    expect(page.locator("#q")).to_have_value('"deploy number 2"')
    page.set_viewport_size({"width": 390, "height": 760})
    page.goto(server.url + "/msgs?q=lunch&from=2020-01-01")
    page.screenshot(path=ARTIFACTS / "search-phone.png", full_page=False)
    # No CSP violation either: htmx's settle step must not copy style attributes
    # (attributesToSettle in base.html), or going back to the live page trips the CSP.
    assert errors == []
    context.close()


def test_search_without_javascript(browser: Browser, server: LiveServer, database_url: str) -> None:
    seed_history(database_url)
    context = browser.new_context(java_script_enabled=False)
    page = context.new_page()
    sign_in(page, server)
    page.locator("#q").fill("deploy")
    page.locator("#q").press("Enter")
    page.wait_for_url(re.compile(r"/msgs\?q=deploy"))
    messages = page.locator("#messages .message")
    expect(messages).to_have_count(50)
    expect(messages.first.locator("mark")).to_have_text("Deploy")
    page.get_by_role("link", name="Older messages").click()
    expect(messages.first.locator(".body")).to_have_text("Deploy number 102")
    expect(page.locator("#q")).to_have_value("deploy")
    context.close()
