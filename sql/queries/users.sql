-- name: get_user_for_sign_in^
-- Returns the user's id, email and password hash, or nothing.
SELECT id, email, password_hash
FROM users
WHERE email = lower(%(email)s);

-- name: get_user^
-- Returns the user's id and email, or nothing.
SELECT id, email
FROM users
WHERE id = %(user_id)s;

-- name: ensure_user$
-- Creates the user unless the email is taken; returns the new id, or nothing when taken.
INSERT INTO users (email, password_hash)
VALUES (lower(%(email)s), %(password_hash)s)
ON CONFLICT (email) DO NOTHING
RETURNING id;

-- name: update_password_hash!
-- Replaces a user's password hash (after a successful sign-in with outdated parameters).
UPDATE users SET password_hash = %(password_hash)s WHERE id = %(user_id)s;
