-- Accounts people can trust: display names, a chosen timezone, server-side sessions that
-- can be revoked, sign-in throttling shared by every replica, and live removal of
-- deleted messages.

ALTER TABLE users ADD COLUMN display_name text;
UPDATE users SET display_name = left(split_part(email, '@', 1), 50);
ALTER TABLE users
    ALTER COLUMN display_name SET NOT NULL,
    ADD CONSTRAINT users_display_name_length CHECK (char_length(display_name) BETWEEN 1 AND 50),
    -- NULL: show times in the zone the browser reported at sign-in.
    ADD COLUMN timezone text CHECK (char_length(timezone) <= 64);

-- One row per sign-in. The cookie's JWT names its row; a revoked or expired row ends
-- the session whatever the token says.
CREATE TABLE sessions (
    id               uuid PRIMARY KEY,
    user_id          bigint NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    browser_timezone text NOT NULL CHECK (char_length(browser_timezone) <= 64),
    timezone_notice  text NOT NULL DEFAULT '' CHECK (char_length(timezone_notice) <= 200),
    created_at       timestamptz NOT NULL DEFAULT now(),
    last_seen_at     timestamptz NOT NULL DEFAULT now(),
    expires_at       timestamptz NOT NULL,
    revoked_at       timestamptz
);
CREATE INDEX sessions_user ON sessions (user_id) WHERE revoked_at IS NULL;

-- Failed sign-ins per key (`account:<email>` or `address:<ip>`) in a fixed window.
CREATE TABLE sign_in_failures (
    key               text PRIMARY KEY CHECK (char_length(key) <= 300),
    failures          integer NOT NULL,
    window_started_at timestamptz NOT NULL
);

CREATE TRIGGER messages_notify_deleted
AFTER DELETE ON messages
REFERENCING OLD TABLE AS changed_messages
FOR EACH STATEMENT EXECUTE FUNCTION notify_message_changes('delete');
