"""Session tokens: HS256 JWTs signed and verified with joserfc, algorithm pinned."""

from __future__ import annotations

import time
import uuid
from dataclasses import dataclass

from joserfc import jwt
from joserfc.errors import JoseError
from joserfc.jwk import OctKey

ALGORITHM = "HS256"
CLAIMS = jwt.JWTClaimsRegistry


@dataclass(frozen=True)
class Session:
    """Who is signed in, and the timezone their pages are rendered in."""

    user_id: int
    timezone: str
    timezone_notice: str
    token_id: str
    expires_at: int


def signing_key(secret: str) -> OctKey:
    return OctKey.import_key(secret.encode())


def issue_session_token(
    key: OctKey,
    user_id: int,
    timezone: str,
    timezone_notice: str,
    minutes: int,
    now: int | None = None,
) -> str:
    """Sign a token for user_id that expires after minutes."""
    issued = int(time.time()) if now is None else now
    claims = {
        "sub": str(user_id),
        "iat": issued,
        "exp": issued + minutes * 60,
        "jti": uuid.uuid4().hex,
        "tz": timezone,
    }
    if timezone_notice:
        claims["tzn"] = timezone_notice
    return jwt.encode({"alg": ALGORITHM, "typ": "JWT"}, claims, key, algorithms=[ALGORITHM])


def read_session_token(key: OctKey, token: str, now: int | None = None) -> Session | None:
    """The session in a token, or None when it is malformed, forged, expired or incomplete."""
    try:
        decoded = jwt.decode(token, key, algorithms=[ALGORITHM])
        if decoded.header.get("alg") != ALGORITHM:
            return None
        essential = {"essential": True}
        CLAIMS(
            now=now,
            exp=essential,
            iat=essential,
            sub=essential,
            jti=essential,
            tz=essential,
        ).validate(decoded.claims)
        claims = decoded.claims
        return Session(
            user_id=int(claims["sub"]),
            timezone=str(claims["tz"]),
            timezone_notice=str(claims.get("tzn", "")),
            token_id=str(claims["jti"]),
            expires_at=int(claims["exp"]),
        )
    except (JoseError, ValueError, TypeError, KeyError):
        return None
