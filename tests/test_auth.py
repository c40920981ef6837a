"""Sign-in, sign-out and what signed-out requests get."""

import pytest

from tests.conftest import PASSWORD, Client

pytestmark = pytest.mark.anyio


async def test_sign_in_page_has_the_form(client: Client) -> None:
    response = await client.get("/")
    assert response.status_code == 200
    assert 'name="username"' in response.text
    assert 'name="password"' in response.text
    assert 'name="user_timezone"' in response.text


async def test_htmx_sign_in_sets_cookie_and_redirects(client: Client, user: dict) -> None:
    response = await client.sign_in(timezone="Asia/Kolkata")
    assert response.status_code == 200
    assert response.headers["HX-Redirect"] == "/msgs"
    assert "session" in response.cookies
    page = await client.get("/msgs")
    assert page.status_code == 200
    assert "ada · Asia/Kolkata" in page.text


async def test_plain_form_sign_in_answers_303(client: Client, user: dict) -> None:
    response = await client.sign_in(htmx=False)
    assert response.status_code == 303
    assert response.headers["location"] == "/msgs"
    assert "session" in response.cookies


async def test_email_is_matched_case_insensitively(client: Client, user: dict) -> None:
    response = await client.sign_in(email="  ADA@Example.COM ")
    assert response.headers.get("HX-Redirect") == "/msgs"


@pytest.mark.parametrize(
    ("email", "password", "status", "message"),
    [
        ("ada@example.com", "wrong password", 401, "do not match an account"),
        ("nobody@example.com", PASSWORD, 401, "do not match an account"),
        ("ada@example.com", "", 422, "Enter your email and password"),
        ("", PASSWORD, 422, "Enter your email and password"),
        ("ada@example.com", "x" * 5000, 401, "do not match an account"),
        ("a" * 300 + "@example.com", PASSWORD, 401, "do not match an account"),
    ],
)
@pytest.mark.parametrize("htmx", [True, False])
async def test_failed_sign_in_says_why_in_the_page(
    client: Client, user: dict, email: str, password: str, status: int, message: str, htmx: bool
) -> None:
    response = await client.sign_in(email=email, password=password, htmx=htmx)
    assert response.status_code == status
    assert message in response.text
    assert "session" not in response.cookies
    assert "HX-Redirect" not in response.headers
    if htmx:
        assert response.text.lstrip().startswith('<p id="sign-in-error"')
    else:
        assert "<form" in response.text  # the whole page, ready to try again


async def test_signed_in_visitor_of_start_page_goes_to_messages(signed_in: Client) -> None:
    response = await signed_in.get("/")
    assert response.status_code == 303
    assert response.headers["location"] == "/msgs"


@pytest.mark.parametrize("method", ["GET", "POST"])
async def test_sign_out_clears_the_cookie(signed_in: Client, method: str) -> None:
    response = await signed_in.request(method, "/api/logout")
    assert response.status_code == 303
    assert response.headers["location"] == "/"
    set_cookie = response.headers["set-cookie"]
    assert set_cookie.startswith('session="";') or "Max-Age=0" in set_cookie
    assert (await signed_in.get("/msgs", headers={"Accept": "text/html"})).status_code == 303


async def test_sign_out_over_htmx_redirects_with_header(signed_in: Client) -> None:
    response = await signed_in.post("/api/logout", headers={"HX-Request": "true"})
    assert response.headers["HX-Redirect"] == "/"


@pytest.mark.parametrize(
    ("method", "path"),
    [("GET", "/msgs"), ("GET", "/api/messages"), ("POST", "/api/message")],
)
async def test_signed_out_requests_by_kind_of_client(
    client: Client, method: str, path: str
) -> None:
    browser = await client.request(method, path, headers={"Accept": "text/html"}, data={})
    assert browser.status_code == 303
    assert browser.headers["location"] == "/"

    htmx = await client.request(method, path, headers={"HX-Request": "true"}, data={})
    assert htmx.status_code == 401
    assert htmx.headers["HX-Redirect"] == "/"

    other = await client.request(method, path, headers={"Accept": "application/json"}, data={})
    assert other.status_code == 401


async def test_session_cookie_flags_over_http(client: Client, user: dict) -> None:
    response = await client.sign_in()
    cookie = response.headers["set-cookie"]
    assert cookie.startswith("session=")
    assert "HttpOnly" in cookie
    assert "SameSite=lax" in cookie
    assert "Path=/" in cookie
    assert "Max-Age=1800" in cookie
    assert "Secure" not in cookie


async def test_session_cookie_flags_over_https(https_client: Client, user: dict) -> None:
    response = await https_client.sign_in()
    cookie = response.headers["set-cookie"]
    assert cookie.startswith("__Host-session=")
    assert "Secure" in cookie
    assert "HttpOnly" in cookie
    assert "SameSite=lax" in cookie
    assert "Domain" not in cookie
