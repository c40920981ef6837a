-- name: listen_for_messages!
-- Subscribes this connection to the `messages` channel (see migration 0002).
LISTEN messages;
