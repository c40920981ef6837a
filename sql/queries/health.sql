-- name: ping$
-- Returns 1 when the database answers.
SELECT 1;
