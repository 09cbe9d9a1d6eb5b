#!/usr/bin/env bash
# The 500-user load test (issue #7), start to finish, on this machine:
#   1. the benchmark data set in PostgreSQL `lms_bench` (generate_load_data, as `make bench`);
#   2. the production topology: gunicorn (production settings, WhiteNoise), Redis for cache and
#      sessions, an RQ worker for django_tasks (certificates are issued there);
#   3. Locust, headless: USERS window staff log in (spread over the ramp), read lessons with
#      5-15 s think time, all start the IP-101 exam within one minute, answer, submit and
#      download a certificate (loadtest/locustfile.py);
#   4. checks: no failures, aggregated p95 <= P95_MS. Exit 1 otherwise.
# Figures: var/locust_stats.csv (per endpoint), var/locust-summary.txt.
set -euo pipefail
cd "$(dirname "$0")/.."

USERS=${USERS:-500}
RATE=${RATE:-2}                     # logins per second: 500 users log in over ~4 minutes
EXAM_AT=${EXAM_AT:-$((USERS / RATE + 20))}
EXAM_WINDOW=${EXAM_WINDOW:-60}
RUN_TIME=${RUN_TIME:-$((EXAM_AT + EXAM_WINDOW + 120))s}
P95_MS=${P95_MS:-500}
PORT=${PORT:-18765}

export DJANGO_SETTINGS_MODULE=lms.settings.production
export DATABASE_URL=${DATABASE_URL:-postgres://postgres@127.0.0.1:5432/lms_bench}
export REDIS_URL=${REDIS_URL:-redis://127.0.0.1:6379/4}
export TASKS_BACKEND=rq
export SECRET_KEY=${SECRET_KEY:-load-test-only-$(.venv/bin/python -c 'import secrets; print(secrets.token_urlsafe(48))')}
export ALLOWED_HOSTS=127.0.0.1,localhost
export SECURE_SSL_REDIRECT=0 SECURE_COOKIES=0 CONN_MAX_AGE=60 LOG_LEVEL=WARNING
export STATIC_ROOT=${STATIC_ROOT:-$PWD/var/load-test-static}
export GUNICORN_BIND=127.0.0.1:$PORT GUNICORN_ACCESSLOG=/dev/null

pg_isready -q -h 127.0.0.1 -p 5432 || pg_ctlcluster --skip-systemctl-redirect "$(ls /etc/postgresql)" main start
db=${DATABASE_URL##*/}
db=${db%%\?*}
psql -h 127.0.0.1 -U postgres -d postgres -tAc "SELECT 1 FROM pg_database WHERE datname = '$db'" | grep -q 1 \
  || createdb -h 127.0.0.1 -U postgres "$db"
redis-cli -h 127.0.0.1 ping >/dev/null 2>&1 || redis-server --daemonize yes --port 6379 --save "" >/dev/null
redis-cli -n "${REDIS_URL##*/}" flushdb >/dev/null
mkdir -p var

# The data set (built once, as for `make bench`); the next USERS generated accounts get a
# production password hash (tests/perf/prepare_load_test.py).
.venv/bin/python -m tests.perf.prepare_load_test "$USERS" | tee var/load-test-prepare.txt
read -r LOCUST_USER_OFFSET quiz_id < <(tail -1 var/load-test-prepare.txt)
export LOCUST_USER_OFFSET
.venv/bin/python manage.py collectstatic --noinput -v 0

.venv/bin/python manage.py rqworker default --job-class django_tasks_rq.Job >var/load-test-worker.log 2>&1 &
worker=$!
.venv/bin/gunicorn -c gunicorn.conf.py 2>var/load-test-gunicorn.log &
server=$!
trap 'kill $server $worker 2>/dev/null || true; wait 2>/dev/null || true' EXIT
for _ in $(seq 60); do curl -fs "http://127.0.0.1:$PORT/healthz" >/dev/null && break; sleep 1; done

rm -f var/locust_stats.csv
echo "load test: $USERS users, $RATE logins/s, exam from ${EXAM_AT}s within ${EXAM_WINDOW}s, run $RUN_TIME"
LOCUST_QUIZ_ID=$quiz_id LOCUST_EXAM_AT=$EXAM_AT LOCUST_EXAM_WINDOW=$EXAM_WINDOW \
  .venv/bin/locust -f loadtest/locustfile.py --headless -u "$USERS" -r "$RATE" -t "$RUN_TIME" \
  --host "http://127.0.0.1:$PORT" --csv var/locust --only-summary --stop-timeout 30 \
  2>&1 | tee var/locust-summary.txt | tail -60 || true

.venv/bin/python -m tests.perf.check_load_test var/locust_stats.csv --p95-ms "$P95_MS"
