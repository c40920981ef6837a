-- name: lock_schema_migrations!
-- Holds the migration lock until the transaction ends (ops/migrate.sh takes the same one).
SELECT pg_advisory_xact_lock(hashtext('schema_migrations'));

-- name: migration_applied$
-- Returns true when the file has been applied.
SELECT EXISTS (SELECT 1 FROM schema_migrations WHERE filename = %(filename)s);

-- name: record_migration!
-- Records that the file has been applied.
INSERT INTO schema_migrations (filename) VALUES (%(filename)s);
