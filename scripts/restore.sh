#!/usr/bin/env bash
# Restore a backup made by scripts/backup.sh into a FRESH database and verify row counts.
#
#   DATABASE_URL=postgres://user@host:5432/lms scripts/restore.sh BACKUP_DIR TARGET_DB
#
# TARGET_DB is a database name on the server of DATABASE_URL (created if missing) or a full
# postgres:// URL. It must be empty: this script never overwrites a database with tables.
# After pg_restore, the row count of every table is compared with BACKUP_DIR/counts.json;
# any difference exits with status 1. Set RESTORE_MEDIA_TO=/path to also unpack media.tar.gz
# there (it holds the media/ and private/ folders).
set -euo pipefail

BACKUP_DIR="${1:?usage: restore.sh BACKUP_DIR TARGET_DB}"
TARGET="${2:?usage: restore.sh BACKUP_DIR TARGET_DB}"
for f in db.dump counts.json media.tar.gz; do
  [[ -f "$BACKUP_DIR/$f" ]] || { echo "restore.sh: $BACKUP_DIR/$f is missing" >&2; exit 2; }
done

case "$TARGET" in
  postgres://* | postgresql://*) TARGET_URL="$TARGET" ;;
  *)
    : "${DATABASE_URL:?DATABASE_URL must be set when TARGET_DB is a name}"
    [[ "$TARGET" =~ ^[A-Za-z0-9_]+$ ]] || { echo "restore.sh: bad database name" >&2; exit 2; }
    BASE="${DATABASE_URL%%\?*}"
    QUERY=""
    [[ "$DATABASE_URL" == *\?* ]] && QUERY="?${DATABASE_URL#*\?}"
    TARGET_URL="${BASE%/*}/$TARGET$QUERY"
    ;;
esac
TARGET_NAME="${TARGET_URL%%\?*}"
TARGET_NAME="${TARGET_NAME##*/}"
MAINTENANCE_URL="${TARGET_URL%%\?*}"
MAINTENANCE_URL="${MAINTENANCE_URL%/*}/postgres"

EXISTS="$(psql "$MAINTENANCE_URL" -X -A -t -v ON_ERROR_STOP=1 \
  -c "SELECT 1 FROM pg_database WHERE datname = '$TARGET_NAME'")"
if [[ -z "$EXISTS" ]]; then
  psql "$MAINTENANCE_URL" -X -q -v ON_ERROR_STOP=1 -c "CREATE DATABASE \"$TARGET_NAME\""
fi
TABLES="$(psql "$TARGET_URL" -X -A -t -v ON_ERROR_STOP=1 -c \
  "SELECT count(*) FROM information_schema.tables WHERE table_schema = 'public'")"
if [[ "$TABLES" != "0" ]]; then
  echo "restore.sh: database $TARGET_NAME is not empty ($TABLES tables); refusing to restore" >&2
  exit 2
fi

pg_restore --no-owner --no-privileges --exit-on-error --dbname="$TARGET_URL" "$BACKUP_DIR/db.dump"

COUNT_SQL="SELECT coalesce(json_object_agg(t.table_name, t.n ORDER BY t.table_name), '{}')
FROM (SELECT table_name, (xpath('/row/n/text()', query_to_xml(
        format('SELECT count(*) AS n FROM %I.%I', table_schema, table_name), false, true, '')
      ))[1]::text::bigint AS n
      FROM information_schema.tables
      WHERE table_schema = 'public' AND table_type = 'BASE TABLE') t;"
RESTORED="$(psql "$TARGET_URL" -X -A -t -v ON_ERROR_STOP=1 -c "$COUNT_SQL")"
EXPECTED="$(cat "$BACKUP_DIR/counts.json")"

if [[ -n "${RESTORE_MEDIA_TO:-}" ]]; then
  mkdir -p "$RESTORE_MEDIA_TO"
  tar -xzf "$BACKUP_DIR/media.tar.gz" -C "$RESTORE_MEDIA_TO"
fi

# Compare as JSON (not as text): list every table whose count differs or is missing.
MISMATCH="$(psql "$TARGET_URL" -X -A -t -F ' ' -v ON_ERROR_STOP=1 \
  -v expected="$EXPECTED" -v restored="$RESTORED" <<'SQL'
SELECT coalesce(e.key, r.key), coalesce(e.value::text, '-'), coalesce(r.value::text, '-')
FROM jsonb_each(:'expected'::jsonb) e FULL JOIN jsonb_each(:'restored'::jsonb) r USING (key)
WHERE e.value IS DISTINCT FROM r.value ORDER BY 1;
SQL
)"
if [[ -n "$MISMATCH" ]]; then
  echo "restore.sh: row counts differ from counts.json (table, expected, restored):" >&2
  echo "$MISMATCH" >&2
  exit 1
fi
TABLE_COUNT="$(psql "$TARGET_URL" -X -A -t -v expected="$EXPECTED" <<'SQL'
SELECT count(*) FROM jsonb_object_keys(:'expected'::jsonb);
SQL
)"
echo "restore.sh: restored $TARGET_NAME; row counts of $TABLE_COUNT tables match counts.json"
