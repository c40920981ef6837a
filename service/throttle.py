"""Sign-in throttling kept in PostgreSQL, so every replica sees the same counts.

Failures are counted per account (the email tried) and per client address in fixed
windows. Past a limit, sign-in to that account, or from that address, is refused with a
429 until the window ends; a successful sign-in clears the account's count.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from psycopg import AsyncConnection

from service.queries import Queries

WINDOW = timedelta(minutes=15)
ACCOUNT_FAILURES = 5
ADDRESS_FAILURES = 20


@dataclass(frozen=True)
class ThrottleKeys:
    account_key: str
    address_key: str

    @classmethod
    def of(cls, email: str, address: str) -> ThrottleKeys:
        return cls(f"account:{email.strip().lower()}", f"address:{address}")


async def retry_after(conn: AsyncConnection, queries: Queries, keys: ThrottleKeys) -> int:
    """Seconds until sign-in may be tried again for these keys; 0 when it may now."""
    rows = await queries.throttled_keys(
        conn,
        account_key=keys.account_key,
        address_key=keys.address_key,
        account_limit=ACCOUNT_FAILURES,
        address_limit=ADDRESS_FAILURES,
        window=WINDOW,
    )
    if not rows:
        return 0
    latest = max(row["retry_at"] for row in rows)
    return max(1, int((latest - datetime.now(UTC)).total_seconds()) + 1)


async def record_failure(conn: AsyncConnection, queries: Queries, keys: ThrottleKeys) -> None:
    await queries.record_sign_in_failure(
        conn, account_key=keys.account_key, address_key=keys.address_key, window=WINDOW
    )


async def clear_account(conn: AsyncConnection, queries: Queries, keys: ThrottleKeys) -> None:
    await queries.clear_sign_in_failures(conn, account_key=keys.account_key)
