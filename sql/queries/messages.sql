-- name: insert_message^
-- Stores one message; returns it as the list shows it.
WITH inserted AS (
    INSERT INTO messages (author_id, body)
    VALUES (%(author_id)s, %(body)s)
    RETURNING id, author_id, body, created_at
)
SELECT inserted.id, inserted.body, inserted.created_at,
       split_part(users.email, '@', 1) AS author
FROM inserted
JOIN users ON users.id = inserted.author_id;

-- name: list_newest_messages
-- Returns the newest %(limit)s messages, newest first.
SELECT messages.id, messages.body, messages.created_at,
       split_part(users.email, '@', 1) AS author
FROM messages
JOIN users ON users.id = messages.author_id
ORDER BY messages.created_at DESC, messages.id DESC
LIMIT %(limit)s;

-- name: list_messages_before
-- Returns %(limit)s messages older than the (created_at, id) cursor, newest first.
SELECT messages.id, messages.body, messages.created_at,
       split_part(users.email, '@', 1) AS author
FROM messages
JOIN users ON users.id = messages.author_id
WHERE (messages.created_at, messages.id) < (%(before_time)s, %(before_id)s)
ORDER BY messages.created_at DESC, messages.id DESC
LIMIT %(limit)s;
