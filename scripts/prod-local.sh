#!/usr/bin/env bash
# Starts the production topology on this machine: PostgreSQL, Redis (cache, sessions and the
# RQ task queue), an RQ worker for django_tasks, RQ's cron scheduler with the worker of the
# scheduled jobs (Wagtail's publish_scheduled every minute, lms/jobs/scheduling.py), and gunicorn
# serving static files through WhiteNoise. Stop with Ctrl-C (the background processes too).
set -euo pipefail
cd "$(dirname "$0")/.."
export DJANGO_SETTINGS_MODULE=lms.settings.production
export DATABASE_URL=${DATABASE_URL:-postgres://postgres@127.0.0.1:5432/lms_prod}
export REDIS_URL=${REDIS_URL:-redis://127.0.0.1:6379/1}
export TASKS_BACKEND=${TASKS_BACKEND:-rq}
export SECRET_KEY=${SECRET_KEY:-$(.venv/bin/python -c 'import secrets; print(secrets.token_urlsafe(64))')}
export ALLOWED_HOSTS=${ALLOWED_HOSTS:-127.0.0.1,localhost}
export SECURE_SSL_REDIRECT=${SECURE_SSL_REDIRECT:-0}
export SECURE_COOKIES=${SECURE_COOKIES:-0}

pg_isready -q -h 127.0.0.1 -p 5432 || pg_ctlcluster --skip-systemctl-redirect "$(ls /etc/postgresql)" main start
redis-cli -h 127.0.0.1 ping >/dev/null 2>&1 || redis-server --daemonize yes --port 6379 --save "" >/dev/null
db=${DATABASE_URL##*/}
psql -h 127.0.0.1 -U postgres -tAc "SELECT 1 FROM pg_database WHERE datname='${db}'" | grep -q 1 \
  || createdb -h 127.0.0.1 -U postgres "$db"

.venv/bin/python manage.py migrate --noinput -v 0
.venv/bin/python manage.py collectstatic --noinput -v 0
.venv/bin/python manage.py load_curriculum
.venv/bin/python manage.py seed_demo

.venv/bin/python manage.py rqworker default --job-class django_tasks_rq.Job &
worker=$!
.venv/bin/python manage.py rqcron lms.jobs.cron &
cron=$!
.venv/bin/python manage.py rqworker scheduled &
scheduled=$!
trap 'kill $worker $cron $scheduled 2>/dev/null || true' EXIT
echo "Production topology: gunicorn on http://${GUNICORN_BIND:-127.0.0.1:8000}/, RQ worker pid $worker, cron pid $cron (scheduled-jobs worker $scheduled)"
.venv/bin/gunicorn -c gunicorn.conf.py
