"""Session tokens: every forged, expired or incomplete token means signed out."""

import base64
import json
import time

import pytest
from joserfc import jwt
from joserfc.jwk import OctKey

from service.tokens import issue_session_token, read_session_token, signing_key
from tests.conftest import TEST_SECRET, Client

pytestmark = pytest.mark.anyio

KEY = signing_key(TEST_SECRET)
OTHER_KEY = signing_key("another-secret-0123456789-abcdefghijklmnopqrstuvwxyz")


def b64(data: dict) -> str:
    return base64.urlsafe_b64encode(json.dumps(data).encode()).rstrip(b"=").decode()


def claims(user_id: int, **overrides: object) -> dict:
    now = int(time.time())
    base = {"sub": str(user_id), "iat": now, "exp": now + 600, "jti": "abc", "tz": "UTC"}
    base.update(overrides)
    return {k: v for k, v in base.items() if v is not None}


def signed(payload: dict, key: OctKey = KEY) -> str:
    return jwt.encode({"alg": "HS256"}, payload, key, algorithms=["HS256"])


def test_round_trip() -> None:
    token = issue_session_token(KEY, 7, "Asia/Kolkata", "", minutes=30)
    session = read_session_token(KEY, token)
    assert session is not None
    assert (session.user_id, session.timezone) == (7, "Asia/Kolkata")


def bad_tokens(user_id: int) -> dict[str, str]:
    good = signed(claims(user_id))
    header, payload, signature = good.split(".")
    flipped = signature[:-2] + ("AA" if signature[-2:] != "AA" else "BB")
    return {
        "tampered payload": f"{header}.{b64(claims(user_id + 1))}.{signature}",
        "tampered signature": f"{header}.{payload}.{flipped}",
        "alg none": f"{b64({'alg': 'none', 'typ': 'JWT'})}.{payload}.",
        "alg HS512": jwt.encode({"alg": "HS512"}, claims(user_id), KEY, algorithms=["HS512"]),
        "wrong key": signed(claims(user_id), OTHER_KEY),
        "expired": signed(claims(user_id, iat=int(time.time()) - 4000, exp=int(time.time()) - 5)),
        "issued in the future": signed(claims(user_id, iat=int(time.time()) + 3600)),
        "no exp": signed(claims(user_id, exp=None)),
        "no iat": signed(claims(user_id, iat=None)),
        "no sub": signed(claims(user_id, sub=None)),
        "no jti": signed(claims(user_id, jti=None)),
        "sub not a number": signed(claims(user_id, sub="admin")),
        "garbage": "not.a.jwt",
        "empty": "",
    }


@pytest.mark.parametrize("case", sorted(bad_tokens(1)))
def test_bad_tokens_are_refused(case: str) -> None:
    assert read_session_token(KEY, bad_tokens(1)[case]) is None


@pytest.mark.parametrize("case", sorted(bad_tokens(1)))
async def test_app_treats_bad_tokens_as_signed_out(client: Client, user: dict, case: str) -> None:
    client.cookies.set("session", bad_tokens(user["id"])[case])
    response = await client.get("/msgs", headers={"Accept": "text/html"})
    assert response.status_code == 303
    assert response.headers["location"] == "/"


async def test_app_accepts_a_good_token(client: Client, user: dict) -> None:
    client.cookies.set("session", signed(claims(user["id"])))
    assert (await client.get("/msgs")).status_code == 200
