-- name: create_seed_users_table!
-- A scratch table for the people seed-demo adds; it goes away when the load commits.
CREATE TEMPORARY TABLE seed_users (email text NOT NULL, password_hash text NOT NULL)
ON COMMIT DROP;

-- name: copy_seed_users
-- Run with cursor.copy(): the people to add, as COPY text rows (email, password_hash).
COPY seed_users (email, password_hash) FROM STDIN;

-- name: insert_seed_users!
-- Adds the scratch table's people who are not there yet.
INSERT INTO users (email, password_hash, display_name)
SELECT email, password_hash, left(split_part(email, '@', 1), 50) FROM seed_users
ON CONFLICT (email) DO NOTHING;

-- name: list_seed_user_ids
-- Returns the ids of the scratch table's people, in the order seed-demo listed them.
SELECT users.id
FROM users
JOIN seed_users USING (email)
ORDER BY users.id;

-- name: drop_message_indexes!
-- Drops messages' secondary indexes for a bulk load (building them afterwards is twice as
-- fast as keeping them up to date row by row), remembering their definitions in a
-- scratch table for recreate_message_indexes. Indexes behind constraints stay.
CREATE TEMPORARY TABLE seed_indexes ON COMMIT DROP AS
SELECT indexrelid::regclass::text AS name, pg_get_indexdef(indexrelid) AS definition
FROM pg_index
WHERE indrelid = 'messages'::regclass
  AND NOT EXISTS (SELECT 1 FROM pg_constraint WHERE conindid = indexrelid);
DO $$
DECLARE
    index_name text;
BEGIN
    FOR index_name IN SELECT name FROM seed_indexes LOOP
        EXECUTE 'DROP INDEX ' || index_name;
    END LOOP;
END
$$;

-- name: recreate_message_indexes!
-- Builds again the indexes drop_message_indexes dropped, exactly as they were.
DO $$
DECLARE
    definition text;
BEGIN
    SET LOCAL maintenance_work_mem = '256MB';
    FOR definition IN SELECT seed_indexes.definition FROM seed_indexes LOOP
        EXECUTE definition;
    END LOOP;
END
$$;

-- name: copy_seed_messages
-- Run with cursor.copy(): messages as COPY text rows (author_id, body, created_at).
COPY messages (author_id, body, created_at) FROM STDIN;

-- name: newest_message_time$
-- Returns the time of the newest message, or nothing when there are none.
SELECT max(created_at) FROM messages;

-- name: analyze_messages!
-- Refreshes the planner's statistics after a bulk load.
ANALYZE users, messages;
