"""`python -m service seed-demo`: fill a database with realistic history, fast.

Users and messages go in with COPY (a row-by-row INSERT is a hundred times slower).
Message times are spread over `span_days` up to now, and rise with the id, as they do
for messages people post (live catch-up relies on that). The whole load is one
transaction: it lands completely or not at all. Migration 0002's trigger notifies
nothing for a statement of more than 50 rows, so open pages are not flooded.
"""

from __future__ import annotations

import itertools
import random
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from psycopg import AsyncConnection

from service import seed_words as words
from service.db import queries

CHUNK_ROWS = 20_000
# From this many messages on, dropping the indexes and building them after the load wins.
BULK_ROWS = 100_000
DISTINCT_SENTENCES = 50_000
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


@dataclass(frozen=True)
class SeedReport:
    users: int
    messages: int
    seconds: float
    first: datetime
    last: datetime


def cumulative_zipf(count: int) -> list[float]:
    """Cumulative weights 1, 1/2, 1/3...: the first item is the most frequent."""
    return list(itertools.accumulate(1 / rank for rank in range(1, count + 1)))


def user_emails(count: int) -> list[str]:
    """`first.last@example.com`, numbered once the name pairs run out; always the same
    list for a count, so seeding twice reuses the same people."""
    pairs = itertools.product(words.LAST_NAMES, words.FIRST_NAMES)
    names = [f"{first}.{last}" for last, first in pairs]
    emails = []
    for n in range(count):
        round_, index = divmod(n, len(names))
        emails.append(f"{names[index]}{round_ or ''}@example.com")
    return emails


def sentences(rng: random.Random, count: int) -> list[str]:
    """`count` sentences from the templates, words picked Zipf-fashion."""
    nouns, verbs, adjectives = words.NOUNS, words.VERBS, words.ADJECTIVES
    noun_weights = cumulative_zipf(len(nouns))
    verb_weights = cumulative_zipf(len(verbs))
    adjective_weights = cumulative_zipf(len(adjectives))
    names = [name.capitalize() for name in words.FIRST_NAMES]
    made = []
    for _ in range(count):
        noun, noun2 = rng.choices(nouns, cum_weights=noun_weights, k=2)
        adj, adj2 = rng.choices(adjectives, cum_weights=adjective_weights, k=2)
        text = rng.choice(words.TEMPLATES).format(
            noun=noun,
            noun2=noun2,
            verb=rng.choices(verbs, cum_weights=verb_weights)[0],
            adj=adj,
            adj2=adj2,
            place=rng.choice(words.PLACES),
            time=rng.choice(words.TIMES),
            name=rng.choice(names),
        )
        made.append(text[0].upper() + text[1:] + rng.choice(words.EMOJI))
    return made


def message_rows(
    rng: random.Random, author_ids: list[int], count: int, start: datetime, end: datetime
) -> Iterator[str]:
    """COPY text-format chunks of (author_id, body, created_at), oldest first."""
    pool = sentences(rng, DISTINCT_SENTENCES)
    author_weights = cumulative_zipf(len(author_ids))
    span = max(1, (end - start) // timedelta(microseconds=1) - count)
    # Sorted uniform offsets are a steady stream of posts; adding the row number keeps
    # every time distinct and increasing.
    offsets = sorted(rng.randrange(span) for _ in range(count))
    start_micros = (start - EPOCH) // timedelta(microseconds=1)
    for first in range(0, count, CHUNK_ROWS):
        size = min(CHUNK_ROWS, count - first)
        authors = rng.choices(author_ids, cum_weights=author_weights, k=size)
        lengths = rng.choices((1, 2, 3), weights=(6, 3, 1), k=size)
        lines = []
        for n in range(size):
            moment = EPOCH + timedelta(microseconds=start_micros + offsets[first + n] + first + n)
            body = " ".join(rng.choices(pool, k=lengths[n]))
            lines.append(f"{authors[n]}\t{body}\t{moment.isoformat()}\n")
        yield "".join(lines)


async def seed_demo(
    conninfo: str,
    *,
    messages: int,
    users: int,
    password_hash: str,
    span_days: float = 730,
    random_seed: int | None = None,
    rebuild_indexes: bool | None = None,
    progress: Callable[[str], None] = lambda _: None,
) -> SeedReport:
    """Add `users` people (reused when they exist) and `messages` messages by them.

    rebuild_indexes: drop messages' indexes for the load and build them after (default:
    for BULK_ROWS messages or more)."""
    if rebuild_indexes is None:
        rebuild_indexes = messages >= BULK_ROWS
    if messages and not users:
        raise ValueError("messages need at least one user to write them")
    rng = random.Random(random_seed)  # noqa: S311 - demo text, not secrets
    started = time.perf_counter()
    async with await AsyncConnection.connect(conninfo) as conn:
        async with conn.transaction():
            await queries.create_seed_users_table(conn)
            cur = conn.cursor()
            async with cur.copy(queries.copy_seed_users.sql) as copy:
                for email in user_emails(users):
                    await copy.write(f"{email}\t{password_hash}\n")
            await queries.insert_seed_users(conn)
            author_ids = await queries.list_seed_user_ids(conn)
            progress(f"{users} users ready")
            newest = await queries.newest_message_time(conn)
            end = datetime.now(UTC)
            start = end - timedelta(days=span_days)
            if newest is not None and newest >= start:
                start = newest + timedelta(milliseconds=1)
            ids = [row["id"] for row in author_ids]
            if rebuild_indexes:
                await queries.drop_message_indexes(conn)
            async with cur.copy(queries.copy_seed_messages.sql) as copy:
                written = 0
                for chunk in message_rows(rng, ids, messages, start, end):
                    await copy.write(chunk)
                    written += CHUNK_ROWS
                    if written % 200_000 == 0:
                        progress(f"{written} messages written")
            if rebuild_indexes:
                progress("building indexes")
                await queries.recreate_message_indexes(conn)
            progress("committing")
        await conn.set_autocommit(True)
        await queries.analyze_messages(conn)
    return SeedReport(
        users=users,
        messages=messages,
        seconds=round(time.perf_counter() - started, 1),
        first=start,
        last=end,
    )
