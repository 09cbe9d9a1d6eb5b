#!/usr/bin/env bash
# `make lighthouse`: Lighthouse (npm, tools/lighthouse) against Debian's Chromium, mobile profile
# (Lighthouse's default: Moto G Power viewport, simulated slow 4G and 4x CPU slowdown), over the
# home, course, lesson, quiz (an attempt in progress) and result pages of a demo learner.
# The site runs as in production (DEBUG off, gunicorn, WhiteNoise with compressed static files)
# on a throw-away SQLite database. Reports: var/lighthouse/*.json; the table and the targets
# (performance >= 90, accessibility = 100, best practices >= 95, transfer <= 200 KB) are
# printed by scripts/lighthouse_check.py, which exits non-zero when one is missed.
set -euo pipefail
cd "$(dirname "$0")/.."
OUT=var/lighthouse
PORT=${LIGHTHOUSE_PORT:-8107}
mkdir -p "$OUT"
rm -f "$OUT"/*.json
# LIGHTHOUSE_REUSE_DB=1 keeps the database of the previous run (skips migrate and the loads).
[ "${LIGHTHOUSE_REUSE_DB:-0}" = 1 ] && [ -f "$OUT/db.sqlite3" ] || rm -f "$OUT"/db.sqlite3*
export DJANGO_SETTINGS_MODULE=lms.settings.production
export DATABASE_URL="sqlite:///$PWD/$OUT/db.sqlite3"
export SECRET_KEY=${SECRET_KEY:-$(.venv/bin/python -c 'import secrets; print(secrets.token_urlsafe(64))')}
export ALLOWED_HOSTS=127.0.0.1,localhost
export SECURE_SSL_REDIRECT=0 SECURE_COOKIES=0 SECURE_HSTS_SECONDS=0
export STATIC_ROOT="$PWD/$OUT/static"
export LMS_REQUIRE_2FA=0 LOG_LEVEL=WARNING

if [ ! -f "$OUT/db.sqlite3" ]; then
  .venv/bin/python manage.py migrate --noinput -v 0
  .venv/bin/python manage.py load_curriculum -v 0 >/dev/null
  .venv/bin/python manage.py seed_demo >/dev/null
fi
.venv/bin/python manage.py collectstatic --noinput -v 0
.venv/bin/python scripts/lighthouse_prepare.py > "$OUT/pages.json"

GUNICORN_BIND=127.0.0.1:$PORT GUNICORN_WORKERS=2 GUNICORN_ACCESSLOG="$OUT/access.log" \
  .venv/bin/gunicorn -c gunicorn.conf.py &
server=$!
trap 'kill $server 2>/dev/null || true' EXIT
for _ in $(seq 1 50); do curl -fs "http://127.0.0.1:$PORT/healthz" >/dev/null && break; sleep 0.2; done

cookie=$(.venv/bin/python -c 'import json,sys; print(json.load(open(sys.argv[1]))["cookie"])' "$OUT/pages.json")
printf '{"Cookie": "%s"}' "$cookie" > "$OUT/headers.json"
.venv/bin/python -c 'import json,sys; [print(k, v) for k, v in json.load(open(sys.argv[1]))["pages"].items()]' "$OUT/pages.json" |
while read -r name path; do
  echo "lighthouse: $name $path"
  # Twice at most: Lighthouse now and then fails to record a trace (NO_NAVSTART) on a busy machine.
  for attempt in 1 2; do
  tools/lighthouse/node_modules/.bin/lighthouse "http://127.0.0.1:$PORT$path" \
    --chrome-path="${LIGHTHOUSE_CHROMIUM:-/usr/bin/chromium}" \
    --chrome-flags="--headless=new --no-sandbox --disable-gpu --disable-dev-shm-usage" \
    --only-categories=performance,accessibility,best-practices \
    --extra-headers="$OUT/headers.json" --disable-full-page-screenshot \
    --output=json --output-path="$OUT/$name.json" --quiet && break
  echo "lighthouse: $name failed (run $attempt)"
  done
done
.venv/bin/python scripts/lighthouse_check.py "$OUT"
