#!/usr/bin/env bash
# Apply sql/migrations/*.sql in order with psql, each file once, in its own transaction,
# recorded in schema_migrations (the table `python -m service migrate` uses too).
#
#   DATABASE_URL=postgresql://... ops/migrate.sh
#
# PSQL may name another psql binary. Running it twice changes nothing.
set -euo pipefail

: "${DATABASE_URL:?set DATABASE_URL to the database to migrate}"
root=$(cd "$(dirname "$0")/.." && pwd)
psql_bin=${PSQL:-psql}
run_psql() { "$psql_bin" "$DATABASE_URL" -X -q -v ON_ERROR_STOP=1 "$@"; }

run_psql -f "$root/sql/schema_migrations.sql"
for file in "$root"/sql/migrations/[0-9][0-9][0-9][0-9]_*.sql; do
    run_psql -v file="$file" -v name="$(basename "$file")" <<'PSQL'
BEGIN;
SELECT pg_advisory_xact_lock(hashtext('schema_migrations'));
SELECT EXISTS (SELECT 1 FROM schema_migrations WHERE filename = :'name') AS applied \gset
\if :applied
\else
\i :file
INSERT INTO schema_migrations (filename) VALUES (:'name');
\echo applied :name
\endif
COMMIT;
PSQL
done
