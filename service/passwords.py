"""Password hashing with argon2id, off the event loop, a bounded number at a time."""

from __future__ import annotations

import anyio
import anyio.to_thread
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

# OWASP Password Storage Cheat Sheet: argon2id, 19 MiB, 2 iterations, 1 lane.
OWASP_HASHER = PasswordHasher(time_cost=2, memory_cost=19 * 1024, parallelism=1)


class PasswordChecker:
    """Hashes and verifies in worker threads, at most `concurrency` at once.

    argon2 releases the GIL, so page loads keep being served while sign-ins hash;
    the limiter keeps a burst of sign-ins from taking every core and every thread.
    """

    def __init__(self, concurrency: int, hasher: PasswordHasher = OWASP_HASHER) -> None:
        self.hasher = hasher
        self.limiter = anyio.CapacityLimiter(concurrency)
        # Unknown emails are checked against this, so they cost what a wrong password costs.
        self.absent_user_hash = hasher.hash("no such user: constant-time placeholder")

    async def hash(self, password: str) -> str:
        return await anyio.to_thread.run_sync(self.hasher.hash, password, limiter=self.limiter)

    async def verify(self, password_hash: str | None, password: str) -> bool:
        """True when password matches; an absent user (None) costs the same and is False."""
        stored = password_hash or self.absent_user_hash
        try:
            await anyio.to_thread.run_sync(
                self.hasher.verify, stored, password, limiter=self.limiter
            )
        except (VerifyMismatchError, VerificationError, InvalidHashError):
            return False
        return password_hash is not None

    def needs_rehash(self, password_hash: str) -> bool:
        return self.hasher.check_needs_rehash(password_hash)
