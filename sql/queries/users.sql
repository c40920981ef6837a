-- name: get_user_for_sign_in^
-- Returns the user's id, email and password hash, or nothing.
SELECT id, email, password_hash
FROM users
WHERE email = lower(%(email)s);

-- name: get_user_settings^
-- Returns what the settings page shows of a user.
SELECT id, email, display_name, timezone, password_hash
FROM users
WHERE id = %(user_id)s;

-- name: create_user$
-- Creates the user unless the email is taken; returns the new id, or nothing when taken.
-- The display name starts as the email's local part.
INSERT INTO users (email, password_hash, display_name)
VALUES (lower(%(email)s), %(password_hash)s, left(split_part(%(email)s, '@', 1), 50))
ON CONFLICT (email) DO NOTHING
RETURNING id;

-- name: update_password_hash!
-- Replaces a user's password hash (a new password, or stronger hashing parameters).
UPDATE users SET password_hash = %(password_hash)s WHERE id = %(user_id)s;

-- name: update_display_name!
-- Sets the name shown on the user's messages.
UPDATE users SET display_name = %(display_name)s WHERE id = %(user_id)s;

-- name: update_timezone!
-- Sets the zone the user's pages show times in (NULL: the browser's at sign-in).
UPDATE users SET timezone = %(timezone)s WHERE id = %(user_id)s;
