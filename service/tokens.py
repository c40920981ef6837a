"""Session tokens: HS256 JWTs signed and verified with joserfc, algorithm pinned.

A token only says which server-side session it belongs to (`sid`) and for how long it
may be used; whether that session is still live is the database's answer (sessions.py).
"""

from __future__ import annotations

import time
import uuid
from dataclasses import dataclass

from joserfc import jwt
from joserfc.errors import JoseError
from joserfc.jwk import OctKey

ALGORITHM = "HS256"


@dataclass(frozen=True)
class TokenClaims:
    user_id: int
    session_id: uuid.UUID
    issued_at: int
    expires_at: int


def signing_key(secret: str) -> OctKey:
    return OctKey.import_key(secret.encode())


def issue_token(
    key: OctKey, user_id: int, session_id: uuid.UUID, expires_at: int, now: int | None = None
) -> str:
    """Sign a token for the session that expires at expires_at (a Unix time)."""
    claims = {
        "sub": str(user_id),
        "sid": str(session_id),
        "iat": int(time.time()) if now is None else now,
        "exp": expires_at,
        "jti": uuid.uuid4().hex,
    }
    return jwt.encode({"alg": ALGORITHM, "typ": "JWT"}, claims, key, algorithms=[ALGORITHM])


def read_token(key: OctKey, token: str, now: int | None = None) -> TokenClaims | None:
    """The claims of a valid token, or None when it is malformed, forged, expired or
    incomplete."""
    try:
        decoded = jwt.decode(token, key, algorithms=[ALGORITHM])
        if decoded.header.get("alg") != ALGORITHM:
            return None
        essential = {"essential": True}
        jwt.JWTClaimsRegistry(
            now=now, exp=essential, iat=essential, sub=essential, jti=essential, sid=essential
        ).validate(decoded.claims)
        claims = decoded.claims
        return TokenClaims(
            user_id=int(claims["sub"]),
            session_id=uuid.UUID(str(claims["sid"])),
            issued_at=int(claims["iat"]),
            expires_at=int(claims["exp"]),
        )
    except (JoseError, ValueError, TypeError, KeyError):
        return None
