-- Browsing history with filters: one statement per combination of filters, so that each
-- has a plan that uses its indexes (a catch-all `... OR %(x)s IS NULL` would not).
--
-- Each returns the window created_at >= %(from_time)s (null: unbounded) and
-- (created_at, id) < (%(before_time)s, %(before_id)s) (null: from the newest), newest
-- first, at most %(limit)s rows. The caller folds an end date into that one upper bound:
-- two upper bounds on created_at would keep the index scan from starting at the cursor.
-- They return the columns the list shows (id, body, created_at, author); the searches add
-- `highlighted`, the body with each match between the characters U+0001 and U+0002 (no
-- body can hold them: see messages_body_printable), which the template turns into <mark>
-- after escaping.

-- name: parse_search$
-- Returns the tsquery (as text) for what someone typed in %(text)s, in websearch syntax
-- ("a phrase", or, -word); when that finds no words (only stop words) or %(short)s, the
-- prefix query %(prefixes)s ('ab':* & 'cd':*) instead. Empty when there is nothing to find.
SELECT CASE
    WHEN numnode(typed) > 0 AND NOT %(short)s THEN typed
    ELSE to_tsquery('simple', %(prefixes)s)
END::text
FROM websearch_to_tsquery('english', %(text)s) AS typed;

-- name: list_author_ids
-- Returns the ids of the people whose display name is %(author)s, ignoring case
-- (usually one; display names are not unique).
SELECT id
FROM users
WHERE lower(users.display_name) = lower(%(author)s)
ORDER BY id;

-- name: list_messages_filtered
-- Returns a window of everyone's messages (the date filter alone).
SELECT messages.id, messages.body, messages.created_at,
       users.display_name AS author, messages.author_id
FROM messages
JOIN users ON users.id = messages.author_id
WHERE messages.created_at >= coalesce(%(from_time)s::timestamptz, '-infinity')
  AND (messages.created_at, messages.id)
      < (coalesce(%(before_time)s::timestamptz, 'infinity'), coalesce(%(before_id)s::bigint, 0))
ORDER BY messages.created_at DESC, messages.id DESC
LIMIT %(limit)s;

-- name: list_messages_by_authors
-- Returns a window of the messages by the people %(author_ids)s.
SELECT messages.id, messages.body, messages.created_at,
       users.display_name AS author, messages.author_id
FROM messages
JOIN users ON users.id = messages.author_id
WHERE messages.author_id = ANY(%(author_ids)s::bigint[])
  AND messages.created_at >= coalesce(%(from_time)s::timestamptz, '-infinity')
  AND (messages.created_at, messages.id)
      < (coalesce(%(before_time)s::timestamptz, 'infinity'), coalesce(%(before_id)s::bigint, 0))
ORDER BY messages.created_at DESC, messages.id DESC
LIMIT %(limit)s;

-- name: search_messages
-- Returns a window of the messages matching the tsquery %(query)s, highlighted.
SELECT page.id, page.body, page.created_at,
       users.display_name AS author, page.author_id,
       ts_headline('english', page.body, %(query)s::tsquery,
                   E'StartSel=\x01, StopSel=\x02, HighlightAll=true') AS highlighted
FROM (
    SELECT messages.id, messages.author_id, messages.body, messages.created_at
    FROM messages
    WHERE messages.search @@ %(query)s::tsquery
      AND messages.created_at >= coalesce(%(from_time)s::timestamptz, '-infinity')
      AND (messages.created_at, messages.id)
          < (coalesce(%(before_time)s::timestamptz, 'infinity'), coalesce(%(before_id)s::bigint, 0))
    ORDER BY messages.created_at DESC, messages.id DESC
    LIMIT %(limit)s
) AS page
JOIN users ON users.id = page.author_id
ORDER BY page.created_at DESC, page.id DESC;

-- name: search_messages_by_authors
-- Returns a window of the messages by the people %(author_ids)s that match the tsquery
-- %(query)s, highlighted.
SELECT page.id, page.body, page.created_at,
       users.display_name AS author, page.author_id,
       ts_headline('english', page.body, %(query)s::tsquery,
                   E'StartSel=\x01, StopSel=\x02, HighlightAll=true') AS highlighted
FROM (
    SELECT messages.id, messages.author_id, messages.body, messages.created_at
    FROM messages
    WHERE messages.author_id = ANY(%(author_ids)s::bigint[])
      AND messages.search @@ %(query)s::tsquery
      AND messages.created_at >= coalesce(%(from_time)s::timestamptz, '-infinity')
      AND (messages.created_at, messages.id)
          < (coalesce(%(before_time)s::timestamptz, 'infinity'), coalesce(%(before_id)s::bigint, 0))
    ORDER BY messages.created_at DESC, messages.id DESC
    LIMIT %(limit)s
) AS page
JOIN users ON users.id = page.author_id
ORDER BY page.created_at DESC, page.id DESC;

-- name: search_recent_messages
-- Returns, of the newest %(scan_rows)s messages in the window, those matching the tsquery
-- %(query)s, highlighted. Bounded work whatever the words: a search that fills its page
-- here (the usual case) is done; otherwise search_messages looks through all of it.
SELECT page.id, page.body, page.created_at,
       users.display_name AS author, page.author_id,
       ts_headline('english', page.body, %(query)s::tsquery,
                   E'StartSel=\x01, StopSel=\x02, HighlightAll=true') AS highlighted
FROM (
    SELECT recent.id, recent.author_id, recent.body, recent.created_at
    FROM (
        SELECT messages.id, messages.author_id, messages.body, messages.created_at,
               messages.search
        FROM messages
        WHERE messages.created_at >= coalesce(%(from_time)s::timestamptz, '-infinity')
          AND (messages.created_at, messages.id)
              < (coalesce(%(before_time)s::timestamptz, 'infinity'),
                 coalesce(%(before_id)s::bigint, 0))
        ORDER BY messages.created_at DESC, messages.id DESC
        LIMIT %(scan_rows)s
    ) AS recent
    WHERE recent.search @@ %(query)s::tsquery
    ORDER BY recent.created_at DESC, recent.id DESC
    LIMIT %(limit)s
) AS page
JOIN users ON users.id = page.author_id
ORDER BY page.created_at DESC, page.id DESC;

-- name: search_recent_messages_by_authors
-- As search_recent_messages, for the messages by the people %(author_ids)s.
SELECT page.id, page.body, page.created_at,
       users.display_name AS author, page.author_id,
       ts_headline('english', page.body, %(query)s::tsquery,
                   E'StartSel=\x01, StopSel=\x02, HighlightAll=true') AS highlighted
FROM (
    SELECT recent.id, recent.author_id, recent.body, recent.created_at
    FROM (
        SELECT messages.id, messages.author_id, messages.body, messages.created_at,
               messages.search
        FROM messages
        WHERE messages.author_id = ANY(%(author_ids)s::bigint[])
          AND messages.created_at >= coalesce(%(from_time)s::timestamptz, '-infinity')
          AND (messages.created_at, messages.id)
              < (coalesce(%(before_time)s::timestamptz, 'infinity'),
                 coalesce(%(before_id)s::bigint, 0))
        ORDER BY messages.created_at DESC, messages.id DESC
        LIMIT %(scan_rows)s
    ) AS recent
    WHERE recent.search @@ %(query)s::tsquery
    ORDER BY recent.created_at DESC, recent.id DESC
    LIMIT %(limit)s
) AS page
JOIN users ON users.id = page.author_id
ORDER BY page.created_at DESC, page.id DESC;

-- name: use_search_index!
-- For the rest of this transaction, find rows through the search index (a bitmap scan)
-- rather than walking the time index or the table: right once search_recent_messages has
-- shown that matches are sparse, which the planner cannot know (it assumes they are
-- spread evenly, and guesses prefixes).
SELECT set_config('enable_indexscan', 'off', true), set_config('enable_seqscan', 'off', true);
