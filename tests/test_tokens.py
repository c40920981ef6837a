"""Session tokens: every forged, expired or incomplete token means signed out."""

import base64
import json
import time
import uuid

import pytest
from joserfc import jwt
from joserfc.jwk import OctKey

from service.tokens import issue_token, read_token, signing_key
from tests.conftest import TEST_SECRET, Client

pytestmark = pytest.mark.anyio

KEY = signing_key(TEST_SECRET)
OTHER_KEY = signing_key("another-secret-0123456789-abcdefghijklmnopqrstuvwxyz")
SESSION = uuid.uuid4()


def b64(data: dict) -> str:
    return base64.urlsafe_b64encode(json.dumps(data).encode()).rstrip(b"=").decode()


def claims(user_id: int, session_id: uuid.UUID = SESSION, **overrides: object) -> dict:
    now = int(time.time())
    base = {"sub": str(user_id), "sid": str(session_id), "iat": now, "exp": now + 600, "jti": "j"}
    base.update(overrides)
    return {k: v for k, v in base.items() if v is not None}


def signed(payload: dict, key: OctKey = KEY) -> str:
    return jwt.encode({"alg": "HS256"}, payload, key, algorithms=["HS256"])


def test_round_trip() -> None:
    token = issue_token(KEY, 7, SESSION, int(time.time()) + 60)
    claims = read_token(KEY, token)
    assert claims is not None
    assert (claims.user_id, claims.session_id) == (7, SESSION)


def bad_tokens(user_id: int, session_id: uuid.UUID = SESSION) -> dict[str, str]:
    good = signed(claims(user_id, session_id))
    header, payload, signature = good.split(".")
    flipped = signature[:-2] + ("AA" if signature[-2:] != "AA" else "BB")
    now = int(time.time())
    return {
        "tampered payload": f"{header}.{b64(claims(user_id + 1, session_id))}.{signature}",
        "tampered signature": f"{header}.{payload}.{flipped}",
        "alg none": f"{b64({'alg': 'none', 'typ': 'JWT'})}.{payload}.",
        "alg HS512": jwt.encode(
            {"alg": "HS512"}, claims(user_id, session_id), KEY, algorithms=["HS512"]
        ),
        "wrong key": signed(claims(user_id, session_id), OTHER_KEY),
        "expired": signed(claims(user_id, session_id, iat=now - 4000, exp=now - 5)),
        "issued in the future": signed(claims(user_id, session_id, iat=now + 3600)),
        "no exp": signed(claims(user_id, session_id, exp=None)),
        "no iat": signed(claims(user_id, session_id, iat=None)),
        "no sub": signed(claims(user_id, session_id, sub=None)),
        "no jti": signed(claims(user_id, session_id, jti=None)),
        "no sid": signed(claims(user_id, session_id, sid=None)),
        "sid not a uuid": signed(claims(user_id, session_id, sid="1")),
        "sub not a number": signed(claims(user_id, session_id, sub="admin")),
        "another user's session": signed(claims(user_id + 1, session_id)),
        "unknown session": signed(claims(user_id, uuid.uuid4())),
        "garbage": "not.a.jwt",
        "empty": "",
    }


@pytest.mark.parametrize("case", sorted(bad_tokens(1)))
def test_bad_tokens_are_refused(case: str) -> None:
    claims = read_token(KEY, bad_tokens(1)[case])
    if case in {"another user's session", "unknown session"}:
        assert claims is not None  # well-formed: the database says no (next test)
    else:
        assert claims is None


async def session_of(client: Client) -> uuid.UUID:
    response = await client.sign_in()
    token = response.cookies["session"]
    found = read_token(KEY, token)
    assert found is not None
    return found.session_id


@pytest.mark.parametrize("case", sorted(bad_tokens(1)))
async def test_app_treats_bad_tokens_as_signed_out(client: Client, user: dict, case: str) -> None:
    session_id = await session_of(client)
    client.cookies.clear()
    client.cookies.set("session", bad_tokens(user["id"], session_id)[case])
    response = await client.get("/msgs", headers={"Accept": "text/html"})
    assert response.status_code == 303
    assert response.headers["location"] == "/"
    if case != "empty":
        assert 'session=""' in response.headers["set-cookie"]  # the dead cookie is cleared


async def test_app_accepts_a_good_token(client: Client, user: dict) -> None:
    session_id = await session_of(client)
    client.cookies.clear()
    client.cookies.set("session", signed(claims(user["id"], session_id)))
    assert (await client.get("/msgs")).status_code == 200
