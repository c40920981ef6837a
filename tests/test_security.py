"""Security headers on every response, and cross-site POSTs refused."""

import pytest

from service.middleware import is_cross_site
from tests.conftest import Client

pytestmark = pytest.mark.anyio


@pytest.mark.parametrize(
    "path", ["/", "/msgs", "/healthz", "/readyz", "/static/app.css", "/no-such-page"]
)
async def test_security_headers_on_every_response(client: Client, path: str) -> None:
    response = await client.get(path)
    csp = response.headers["content-security-policy"]
    assert "script-src 'self'" in csp
    assert "frame-ancestors 'none'" in csp
    assert "unsafe-inline" not in csp
    assert "unsafe-eval" not in csp
    assert response.headers["x-content-type-options"] == "nosniff"
    assert response.headers["referrer-policy"] == "same-origin"
    assert "strict-transport-security" not in response.headers
    assert response.headers["x-request-id"]


async def test_hsts_when_served_over_https(https_client: Client) -> None:
    response = await https_client.get("/")
    assert response.headers["strict-transport-security"].startswith("max-age=")


async def test_pages_have_no_inline_script_and_no_cdn(client: Client) -> None:
    page = (await client.get("/")).text
    assert "<script>" not in page
    assert '<script src="/static/' in page
    assert "http://" not in page.replace("http://testserver", "")
    assert "https://" not in page


async def test_not_found_is_a_page_not_a_crash(client: Client) -> None:
    response = await client.get("/no-such-page")
    assert response.status_code == 404
    assert "There is no page here." in response.text


def scope(method: str = "POST", **headers: str) -> dict:
    raw = [(k.replace("_", "-").lower().encode(), v.encode()) for k, v in headers.items()]
    return {"type": "http", "method": method, "path": "/api/message", "headers": raw}


@pytest.mark.parametrize(
    ("headers", "cross_site"),
    [
        ({"sec_fetch_site": "same-origin", "host": "example.com"}, False),
        ({"sec_fetch_site": "none", "host": "example.com"}, False),
        ({"sec_fetch_site": "cross-site", "host": "example.com"}, True),
        ({"sec_fetch_site": "same-site", "host": "example.com"}, True),
        # Sec-Fetch-Site wins over a matching Origin
        (
            {
                "sec_fetch_site": "cross-site",
                "origin": "https://example.com",
                "host": "example.com",
            },
            True,
        ),
        ({"origin": "https://example.com", "host": "example.com"}, False),
        ({"origin": "http://localhost:8000", "host": "localhost:8000"}, False),
        ({"origin": "https://evil.example", "host": "example.com"}, True),
        ({"origin": "https://example.com.evil.example", "host": "example.com"}, True),
        ({"origin": "null", "host": "example.com"}, True),
        ({"host": "example.com"}, False),  # no browser: nothing ambient to abuse
    ],
)
def test_cross_site_table(headers: dict, cross_site: bool) -> None:
    assert is_cross_site(scope(**headers)) is cross_site


@pytest.mark.parametrize(
    "headers",
    [
        {"Sec-Fetch-Site": "cross-site"},
        {"Origin": "https://evil.example"},
        {"Origin": "null"},
    ],
)
@pytest.mark.parametrize("path", ["/api/message", "/api/login", "/api/logout"])
async def test_cross_site_posts_are_refused(
    signed_in: Client, db, headers: dict, path: str
) -> None:
    response = await signed_in.post(
        path, data={"message": "csrf", "username": "x"}, headers=headers
    )
    assert response.status_code == 403
    assert "Cross-site form posts are not accepted." in response.text
    assert db.execute("SELECT count(*) FROM messages").fetchone() == (0,)


async def test_same_origin_post_is_accepted(signed_in: Client) -> None:
    response = await signed_in.post(
        "/api/message",
        data={"message": "mine"},
        headers={"Sec-Fetch-Site": "same-origin", "Origin": "http://testserver"},
    )
    assert response.status_code == 303
