-- The bookkeeping table both migration paths share (ops/migrate.sh with psql, and
-- `python -m service migrate`): one row per file of sql/migrations applied.
CREATE TABLE IF NOT EXISTS schema_migrations (
    filename   text PRIMARY KEY,
    applied_at timestamptz NOT NULL DEFAULT now()
);
