#!/usr/bin/env bash
# Seeds sync history for bench/compare.sh straight into the database, in one transaction:
# COUNT live `document` rows for one user, versions continuing from the user's change
# counter, which is raised to match (as COUNT pushed upserts would leave it). Far faster
# than the API (200,000 rows in seconds): PostgreSQL through generate_series and psql,
# SQLite through a recursive CTE and the sqlite3 shell (beside a running server: WAL, and a
# busy timeout for its writer).
#
# Usage: bench/sync_seed.sh DATABASE USER_ID COUNT
#   DATABASE  a postgres:// URL or an SQLite file path
set -Eeuo pipefail
[[ $# == 3 ]] || { echo "usage: sync_seed.sh DATABASE USER_ID COUNT" >&2; exit 2; }
database="$1" user="$2" count="$3"
[[ "$user" =~ ^[0-9a-f-]{36}$ && "$count" =~ ^[0-9]+$ ]] || { echo "sync_seed.sh: bad user id or count" >&2; exit 2; }

if [[ "$database" == postgres://* || "$database" == postgresql://* ]]; then
  psql "$database" -q -v ON_ERROR_STOP=1 <<SQL
BEGIN;
INSERT INTO user_change_counters (user_id, counter) VALUES ('$user', 0) ON CONFLICT (user_id) DO NOTHING;
INSERT INTO sync_documents (id, user_id, key, data, field_versions, version, created_at, updated_at)
SELECT gen_random_uuid(), '$user', 'seed-' || (base + g), jsonb_build_object('n', g),
       jsonb_build_object('n', base + g), base + g,
       '2026-01-01T08:00:00Z', '2026-01-01T08:00:00Z'
FROM (SELECT counter AS base FROM user_change_counters WHERE user_id = '$user') c,
     generate_series(1, $count) g;
UPDATE user_change_counters SET counter = counter + $count WHERE user_id = '$user';
COMMIT;
ANALYZE sync_documents;
SQL
else
  blob="X'${user//-/}'"
  sqlite3 "$database" <<SQL
.timeout 30000
BEGIN IMMEDIATE;
INSERT INTO user_change_counters (user_id, counter) VALUES ($blob, 0) ON CONFLICT (user_id) DO NOTHING;
WITH RECURSIVE g(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM g WHERE n < $count),
c(base) AS (SELECT counter FROM user_change_counters WHERE user_id = $blob)
INSERT INTO sync_documents (id, user_id, key, data, field_versions, version, created_at, updated_at)
SELECT randomblob(16), $blob, 'seed-' || (base + n), json_object('n', n), json_object('n', base + n), base + n,
       '2026-01-01T08:00:00.000000Z', '2026-01-01T08:00:00.000000Z'
FROM c, g;
UPDATE user_change_counters SET counter = counter + $count WHERE user_id = $blob;
COMMIT;
ANALYZE;
SQL
fi
