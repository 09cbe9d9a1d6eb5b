#!/usr/bin/env bash
# Back up the PostgreSQL database and the media folders (docs/OPERATIONS.md).
#
#   DATABASE_URL=postgres://user@host:5432/lms scripts/backup.sh [BACKUP_ROOT]
#
# Writes BACKUP_ROOT/<timestamp>/ (default var/backups/):
#   db.dump        pg_dump custom format (-Fc), restorable with scripts/restore.sh / pg_restore
#   media.tar.gz   MEDIA_ROOT (public media) and PRIVATE_MEDIA_ROOT (certificates, imports)
#   counts.json    rows per table, counted in the same snapshot as the dump
# Needs pg_dump and psql of the server's major version (or newer).
set -euo pipefail

: "${DATABASE_URL:?DATABASE_URL must be set (postgres://...)}"
case "$DATABASE_URL" in
  postgres://* | postgresql://*) ;;
  *) echo "backup.sh: DATABASE_URL must be a PostgreSQL URL" >&2; exit 2 ;;
esac

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
VAR_DIR="${LMS_VAR_DIR:-$ROOT/var}"
MEDIA_ROOT="${MEDIA_ROOT:-$VAR_DIR/media}"
PRIVATE_MEDIA_ROOT="${PRIVATE_MEDIA_ROOT:-$VAR_DIR/private}"
BACKUP_ROOT="${1:-${BACKUP_ROOT:-$VAR_DIR/backups}}"
STAMP="$(date +%Y%m%dT%H%M%S)"
DEST="$BACKUP_ROOT/$STAMP"
mkdir -p "$DEST"
chmod 700 "$DEST"

# Row counts of every table in the public schema, as one JSON object ordered by table name.
COUNT_SQL="SELECT coalesce(json_object_agg(t.table_name, t.n ORDER BY t.table_name), '{}')
FROM (SELECT table_name, (xpath('/row/n/text()', query_to_xml(
        format('SELECT count(*) AS n FROM %I.%I', table_schema, table_name), false, true, '')
      ))[1]::text::bigint AS n
      FROM information_schema.tables
      WHERE table_schema = 'public' AND table_type = 'BASE TABLE') t;"

# One REPEATABLE READ transaction exports a snapshot: pg_dump and the counts see the same data
# even while the site keeps writing.
coproc PSQL { psql "$DATABASE_URL" -X -q -A -t -v ON_ERROR_STOP=1 2>&1; }
PSQL_IN="${PSQL[1]}"
PSQL_OUT="${PSQL[0]}"
echo "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY; SELECT pg_export_snapshot();" >&"$PSQL_IN"
read -r -t 60 SNAPSHOT <&"$PSQL_OUT" || { echo "backup.sh: cannot open a snapshot" >&2; exit 1; }
case "$SNAPSHOT" in
  *-*) ;;
  *) echo "backup.sh: psql: $SNAPSHOT" >&2; exit 1 ;;
esac
printf '%s\n' "${COUNT_SQL//$'\n'/ }" >&"$PSQL_IN"
read -r -t 300 COUNTS <&"$PSQL_OUT" || { echo "backup.sh: counting rows failed" >&2; exit 1; }
case "$COUNTS" in
  "{"*) printf '%s\n' "$COUNTS" > "$DEST/counts.json" ;;
  *) echo "backup.sh: psql: $COUNTS" >&2; exit 1 ;;
esac

pg_dump --format=custom --no-owner --no-privileges --snapshot="$SNAPSHOT" \
  --file="$DEST/db.dump" "$DATABASE_URL"

echo "COMMIT;" >&"$PSQL_IN"
echo "\\q" >&"$PSQL_IN"
wait "$PSQL_PID" 2>/dev/null || true

# Media: paths are stored relative to their parent so restore can put them anywhere.
MEDIA_ARGS=()
for dir in "$MEDIA_ROOT" "$PRIVATE_MEDIA_ROOT"; do
  mkdir -p "$dir"
  MEDIA_ARGS+=(-C "$(dirname "$dir")" "$(basename "$dir")")
done
tar -czf "$DEST/media.tar.gz" "${MEDIA_ARGS[@]}"

echo "$DEST"
