-- People who can sign in, and the messages they post.

CREATE TABLE users (
    id            bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    email         text NOT NULL CHECK (email = lower(email) AND length(email) BETWEEN 3 AND 254),
    password_hash text NOT NULL,
    created_at    timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT users_email_key UNIQUE (email)
);

CREATE TABLE messages (
    id         bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    author_id  bigint NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    body       text NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now(),
    -- The app validates first and says why; these keep a bad row out whatever the client.
    CONSTRAINT messages_body_length CHECK (char_length(body) BETWEEN 1 AND 500),
    CONSTRAINT messages_body_trimmed CHECK (body = btrim(body, E' \n\t')),
    CONSTRAINT messages_body_printable CHECK (body !~ '[\x01-\x08\x0B-\x1F\x7F-\x9F]')
);

-- Newest first, keyset-paged on (created_at, id).
CREATE INDEX messages_newest_first ON messages (created_at DESC, id DESC);
CREATE INDEX messages_author ON messages (author_id);
