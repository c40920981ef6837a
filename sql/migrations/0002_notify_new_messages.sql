-- Live updates: every statement that inserts messages tells listeners which ids are new,
-- on channel `messages`, payload `insert:<id>,<id>,...` (ids only, never the text).
-- A statement inserting more than 50 rows is a bulk load of history, not news: it
-- notifies nothing, and open pages see those rows on their next load.

CREATE FUNCTION notify_inserted_messages() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
    new_ids bigint[];
BEGIN
    SELECT array_agg(id ORDER BY id) INTO new_ids
    FROM (SELECT id FROM inserted_messages LIMIT 51) AS first_rows;
    IF cardinality(new_ids) BETWEEN 1 AND 50 THEN
        PERFORM pg_notify('messages', 'insert:' || array_to_string(new_ids, ','));
    END IF;
    RETURN NULL;
END
$$;

CREATE TRIGGER messages_notify_inserted
AFTER INSERT ON messages
REFERENCING NEW TABLE AS inserted_messages
FOR EACH STATEMENT EXECUTE FUNCTION notify_inserted_messages();
