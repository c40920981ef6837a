-- Live updates: every statement that changes messages tells listeners which ids changed,
-- on channel `messages`, payload `<change>:<id>,<id>,...` (ids only, never the text).
-- A statement touching more than 50 rows is bulk work on history, not news: it notifies
-- nothing, and open pages see the change on their next load.
--
-- The trigger names its change ('insert', and 'delete' from 0003) as its argument, and
-- calls its transition table changed_messages.

CREATE FUNCTION notify_message_changes() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
    ids bigint[];
BEGIN
    SELECT array_agg(id ORDER BY id) INTO ids
    FROM (SELECT id FROM changed_messages LIMIT 51) AS first_rows;
    IF cardinality(ids) BETWEEN 1 AND 50 THEN
        PERFORM pg_notify('messages', TG_ARGV[0] || ':' || array_to_string(ids, ','));
    END IF;
    RETURN NULL;
END
$$;

CREATE TRIGGER messages_notify_inserted
AFTER INSERT ON messages
REFERENCING NEW TABLE AS changed_messages
FOR EACH STATEMENT EXECUTE FUNCTION notify_message_changes('insert');
