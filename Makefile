# Set-up and everyday commands. `make run` and `make test` are all a fresh machine needs.
SHELL := /bin/bash
VENV := .venv
PY := $(VENV)/bin/python
PIP := $(VENV)/bin/pip
VENDOR := static/vendor
export DJANGO_SETTINGS_MODULE := integrity.settings

.PHONY: run test lint format assets messages migrate seed venv browser clean-db

$(VENV)/.installed: pyproject.toml
	@PYBIN=$$(scripts/find-python) || exit 1; \
	  [ -x $(PY) ] || $$PYBIN -m venv $(VENV)
	$(PIP) install --quiet --upgrade pip
	$(PIP) install --quiet -e '.[dev]'
	@touch $@

venv: $(VENV)/.installed

# Front-end assets from npm (pinned in package.json / package-lock.json), served locally.
$(VENDOR)/.installed: package.json package-lock.json scripts/vendor-assets
	npm ci --no-audit --no-fund --loglevel=error
	scripts/vendor-assets
	@touch $@

assets: $(VENDOR)/.installed

migrate: venv
	$(PY) manage.py migrate --noinput

seed: migrate
	$(PY) manage.py seed_demo

# Database backup: pg_dump -Fc and its .sha256 into var/backups (BACKUP_DIR), dumps older than
# BACKUP_KEEP_DAYS (14) removed. Restore into an empty database (FORCE=1 replaces a used one).
# Audit events older than six months to var/audit-archive (BEFORE=YYYY-MM-DD, DRY_RUN=1).
.PHONY: backup restore archive-audit
backup: venv
	scripts/backup

restore: venv
	@[ -n "$(FILE)" ] || { echo "usage: make restore FILE=var/backups/integrity-….dump [FORCE=1]"; exit 2; }
	FORCE="$(FORCE)" scripts/restore "$(FILE)"

archive-audit: venv
	$(PY) manage.py archive_audit $(if $(BEFORE),--before $(BEFORE)) $(if $(DRY_RUN),--dry-run)

# Development server on the embedded PostgreSQL (var/pgdata) unless DATABASE_URL is set;
# Celery runs tasks eagerly in-process unless REDIS_URL is set.
run: venv assets seed
	@echo ""
	@echo "  Platform: http://127.0.0.1:8000/   demo users: admin fn-office fn-staff fn-clerk fn-leader"
	@echo "            fn-clerk2 lh-office cd-city evaluator   password: Demo@2026pass"
	@echo ""
	$(PY) manage.py runserver 127.0.0.1:8000

# Headless Chromium for the browser tests: installed where we can (root on Debian).
browser:
	@if [ ! -x /usr/bin/chromium ] && [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium fonts-noto-cjk >/dev/null; \
	fi

test: venv assets browser
	$(PY) manage.py makemigrations --check --dry-run >/dev/null || { echo "Model changes without a migration: run makemigrations"; exit 1; }
	$(PY) -m pytest $(PYTEST_ARGS)

lint: venv
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

format: venv
	$(VENV)/bin/ruff format .
	$(VENV)/bin/ruff check --fix .

# Province-scale benchmarks (bench/run.py, README "Benchmarks"): generates the synthetic
# province, measures B1-B6 against floors of the same run, writes var/bench/results.json.
# DATABASE_URL/DATABASE_OWNER_URL/REDIS_URL when set; otherwise PostgreSQL on 127.0.0.1:5432
# (database integrity_bench, created and migrated) and Redis on 127.0.0.1:6379/0.
# BENCH_SCALE=small is a tenth of the province. wrk comes from Debian (installed as root).
.PHONY: bench
bench: venv assets
	@if ! command -v wrk >/dev/null && [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq wrk >/dev/null; \
	fi
	$(PY) -m bench.run --scale $(or $(BENCH_SCALE),default)

# Extract and compile translations (zh_Hans). The compiled .mo files are committed.
messages: venv
	$(PY) manage.py makemessages -l zh_Hans --no-obsolete --ignore=node_modules --ignore=.venv --ignore=static/vendor
	$(PY) manage.py compilemessages -l zh_Hans --ignore=.venv --ignore=node_modules
