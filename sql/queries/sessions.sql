-- name: create_session!
-- Records a new sign-in; it ends at %(expires_at)s at the latest.
INSERT INTO sessions (id, user_id, browser_timezone, timezone_notice, expires_at)
VALUES (%(session_id)s, %(user_id)s, %(browser_timezone)s, %(timezone_notice)s, %(expires_at)s);

-- name: get_active_session^
-- Returns the live session with its user's display name and effective timezone, or
-- nothing when it is revoked, past its absolute lifetime, or not this user's.
SELECT sessions.id, sessions.user_id, sessions.expires_at,
       users.display_name,
       coalesce(users.timezone, sessions.browser_timezone) AS timezone,
       CASE WHEN users.timezone IS NULL THEN sessions.timezone_notice ELSE '' END
           AS timezone_notice
FROM sessions
JOIN users ON users.id = sessions.user_id
WHERE sessions.id = %(session_id)s
  AND sessions.user_id = %(user_id)s
  AND sessions.revoked_at IS NULL
  AND sessions.expires_at > now();

-- name: touch_session!
-- Notes that the session was used (when its token is renewed).
UPDATE sessions SET last_seen_at = now() WHERE id = %(session_id)s;

-- name: revoke_session!
-- Ends one session (sign out).
UPDATE sessions SET revoked_at = now()
WHERE id = %(session_id)s AND revoked_at IS NULL;

-- name: revoke_other_sessions!
-- Ends every session of the user except %(keep_session_id)s (NULL: all of them).
UPDATE sessions SET revoked_at = now()
WHERE user_id = %(user_id)s
  AND revoked_at IS NULL
  AND id IS DISTINCT FROM %(keep_session_id)s;

-- name: count_active_sessions$
-- Returns how many sessions of the user are live.
SELECT count(*) FROM sessions
WHERE user_id = %(user_id)s AND revoked_at IS NULL AND expires_at > now();
