-- name: insert_message^
-- Stores one message; returns it as the list shows it.
WITH inserted AS (
    INSERT INTO messages (author_id, body)
    VALUES (%(author_id)s, %(body)s)
    RETURNING id, author_id, body, created_at
)
SELECT inserted.id, inserted.body, inserted.created_at,
       users.display_name AS author, inserted.author_id
FROM inserted
JOIN users ON users.id = inserted.author_id;

-- name: list_newest_messages
-- Returns the newest %(limit)s messages, newest first.
SELECT messages.id, messages.body, messages.created_at,
       users.display_name AS author, messages.author_id
FROM messages
JOIN users ON users.id = messages.author_id
ORDER BY messages.created_at DESC, messages.id DESC
LIMIT %(limit)s;

-- name: list_messages_before
-- Returns %(limit)s messages older than the (created_at, id) cursor, newest first.
SELECT messages.id, messages.body, messages.created_at,
       users.display_name AS author, messages.author_id
FROM messages
JOIN users ON users.id = messages.author_id
WHERE (messages.created_at, messages.id) < (%(before_time)s, %(before_id)s)
ORDER BY messages.created_at DESC, messages.id DESC
LIMIT %(limit)s;

-- name: list_messages_by_id
-- Returns the messages with these ids, oldest first (what a notification names).
SELECT messages.id, messages.body, messages.created_at,
       users.display_name AS author, messages.author_id
FROM messages
JOIN users ON users.id = messages.author_id
WHERE messages.id = ANY(%(ids)s)
ORDER BY messages.id;

-- name: list_messages_after
-- Returns up to %(limit)s messages with ids above %(after_id)s, oldest first: what a
-- reconnecting page or listener missed.
SELECT messages.id, messages.body, messages.created_at,
       users.display_name AS author, messages.author_id
FROM messages
JOIN users ON users.id = messages.author_id
WHERE messages.id > %(after_id)s
ORDER BY messages.id
LIMIT %(limit)s;

-- name: newest_message_id$
-- Returns the highest message id, or 0 when there are none.
SELECT coalesce(max(id), 0) FROM messages;

-- name: delete_own_message$
-- Deletes the message if %(author_id)s wrote it; returns its id, or nothing.
DELETE FROM messages WHERE id = %(message_id)s AND author_id = %(author_id)s
RETURNING id;

-- name: message_exists$
-- Returns true when a message with this id exists.
SELECT EXISTS (SELECT 1 FROM messages WHERE id = %(message_id)s);
