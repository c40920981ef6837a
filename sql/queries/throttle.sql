-- name: throttled_keys
-- Returns which of the two keys reached its limit of failures in the current window,
-- with when that window ends.
SELECT key, window_started_at + %(window)s AS retry_at
FROM sign_in_failures
WHERE window_started_at > now() - %(window)s
  AND ((key = %(account_key)s AND failures >= %(account_limit)s)
    OR (key = %(address_key)s AND failures >= %(address_limit)s));

-- name: record_sign_in_failure!
-- Counts a failure for both keys, starting a new window where the old one has passed.
INSERT INTO sign_in_failures AS f (key, failures, window_started_at)
VALUES (%(account_key)s, 1, now()), (%(address_key)s, 1, now())
ON CONFLICT (key) DO UPDATE SET
    failures = CASE WHEN f.window_started_at <= now() - %(window)s THEN 1
                    ELSE f.failures + 1 END,
    window_started_at = CASE WHEN f.window_started_at <= now() - %(window)s THEN now()
                             ELSE f.window_started_at END;

-- name: clear_sign_in_failures!
-- Forgets an account's failures (after a successful sign-in to it).
DELETE FROM sign_in_failures WHERE key = %(account_key)s;
