# Shanghai IP window training platform. `make help` lists the targets.
SHELL := /bin/bash
PYTHON ?= python3.11
VENV := .venv
PY := $(VENV)/bin/python
MANAGE := $(PY) manage.py
HOST ?= 127.0.0.1
PORT ?= 8000

.DEFAULT_GOAL := help
.PHONY: lighthouse catalogues node help setup system-deps venv messages migrate demo demo-data run test test-fast lint format check lock bench load-test prod-local worker cron audit clean

help: ## List the targets
	@grep -E '^[a-zA-Z_-]+:.*?## ' $(MAKEFILE_LIST) | awk 'BEGIN {FS = ":.*?## "}; {printf "  \033[36m%-12s\033[0m %s\n", $$1, $$2}'

system-deps: ## Install missing Debian packages (pango, CJK fonts, harfbuzz-subset, chromium, gettext)
	@bash scripts/install-system-deps.sh

$(VENV)/.installed: requirements.txt
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -r requirements.txt
	@touch $@

venv: $(VENV)/.installed ## Create the virtualenv and install pinned Python dependencies

catalogues: venv ## Update the English catalogue from the code, regenerate zh-hans from it
	$(MANAGE) makemessages -l en --ignore=.venv --ignore=node_modules --no-obsolete
	bash scripts/zh-catalogue.sh

messages: venv ## Compile the translation catalogues
	$(MANAGE) compilemessages -v 0 --ignore=.venv --ignore=node_modules

node_modules/.installed: package-lock.json
	npm ci --no-audit --no-fund --silent
	@touch $@

node: node_modules/.installed ## Install axe-core (accessibility checks in the browser tests)

setup: system-deps venv messages node ## Everything a fresh Debian machine needs

migrate: setup ## Apply database migrations
	$(MANAGE) migrate --noinput -v 0

demo-data: migrate ## Load the curriculum and create the demo accounts
	$(MANAGE) load_curriculum
	$(MANAGE) seed_demo
	@# The certificate font subset takes minutes to build once: not during a learner's first pass.
	$(MANAGE) build_certificate_font

demo: demo-data ## Set up and run the platform with demo data on http://127.0.0.1:8000
	@echo "Platform: http://$(HOST):$(PORT)/   admin: http://$(HOST):$(PORT)/admin/"
	@# Scheduled publishing runs by itself here too (lms/jobs/scheduling.py; no Redis needed).
	$(MANAGE) run_scheduled_jobs & sched=$$!; trap "kill $$sched 2>/dev/null" EXIT INT TERM; \
	$(MANAGE) runserver $(HOST):$(PORT)

test: setup ## Run the whole test suite (DATABASE_URL selects PostgreSQL)
	$(VENV)/bin/pytest -n 2 -m "not migration"
	$(VENV)/bin/pytest -m migration

lint: venv ## ruff lint and format check
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

format: venv ## Format and autofix with ruff
	$(VENV)/bin/ruff format .
	$(VENV)/bin/ruff check --fix .

check: venv ## Django system checks and missing migrations
	DJANGO_SETTINGS_MODULE=lms.settings.test $(MANAGE) check
	DJANGO_SETTINGS_MODULE=lms.settings.test $(MANAGE) makemigrations --check --dry-run

lock: ## Re-pin requirements.txt from requirements.in
	$(PY) -m pip install -q -r requirements.in
	$(PY) -m pip freeze | grep -v '^-e' > requirements.txt

tools/lighthouse/node_modules/.installed: tools/lighthouse/package-lock.json
	npm ci --prefix tools/lighthouse --no-audit --no-fund --silent
	@touch $@

lighthouse: setup tools/lighthouse/node_modules/.installed ## Lighthouse (mobile) on the learner pages against Debian's Chromium; targets in docs/PERFORMANCE.md
	bash scripts/lighthouse.sh

bench: setup ## Run the benchmarks in tests/perf and write var/bench.json
	$(PY) -m tests.perf.run

prod-local: setup ## Run the production topology here: gunicorn, PostgreSQL, Redis cache/sessions, RQ worker
	bash scripts/prod-local.sh

worker: venv ## Run one RQ task worker (TASKS_BACKEND=rq, REDIS_URL)
	$(MANAGE) rqworker default --job-class django_tasks_rq.Job

cron: venv ## RQ's cron scheduler (publish_scheduled every minute) and the worker of its jobs (TASKS_BACKEND=rq)
	$(MANAGE) rqworker scheduled & w=$$!; trap "kill $$w 2>/dev/null" EXIT INT TERM; \
	$(MANAGE) rqcron lms.jobs.cron

load-test: setup ## Locust, 500 window staff taking an exam against the production topology here (scripts/load-test.sh)
	bash scripts/load-test.sh

audit: venv ## pip-audit the locked dependencies (needs a reachable vulnerability database)
	$(PY) -m pip install -q pip-audit
	$(VENV)/bin/pip-audit -r requirements.txt

clean: ## Remove the virtualenv and local data
	rm -rf $(VENV) var static_collected
