-- Search and filters over history.
--
-- `search` is the message's English full-text vector, kept by PostgreSQL itself; the GIN
-- index answers `search @@ websearch_to_tsquery(...)`. fastupdate is off so a search
-- never has to scan a pending list that posting keeps growing (a post costs a little
-- more; a search stays fast).
ALTER TABLE messages
    ADD COLUMN search tsvector
    GENERATED ALWAYS AS (to_tsvector('english'::regconfig, body)) STORED;

CREATE INDEX messages_search ON messages USING gin (search) WITH (fastupdate = off);

-- One author's messages newest first, keyset-paged like the whole list. It also serves
-- the foreign key, so the single-column index it replaces is dropped.
CREATE INDEX messages_author_newest_first ON messages (author_id, created_at DESC, id DESC);
DROP INDEX messages_author;

-- The author filter looks people up by display name, ignoring case; this must index the
-- same expression as the query (sql/queries/history.sql, list_author_ids).
CREATE INDEX users_display_name ON users (lower(display_name));
