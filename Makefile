# The commands of the README: `make run`, `make dev` and `make test`. Everything they need is
# installed here, from requirements*.txt, into project-local virtualenvs.
# The app's Python 3.11. Debian's /usr/bin/python3.11 (built by Debian's packaging, libpython
# linked into the executable) runs the app's own code 13-25 % faster than pyenv's default
# source build (shared libpython, no --enable-optimizations) on these machines
# (docs/operations.md "Python build"), so it is taken when it can make a virtualenv;
# otherwise python3 on the PATH. PYTHON=... make overrides it.
OPTIMISED_PYTHON := $(shell /usr/bin/python3.11 -c 'import ensurepip, venv' >/dev/null 2>&1 && echo /usr/bin/python3.11)
PYTHON ?= $(or $(OPTIMISED_PYTHON),python3)
PYTHON313 ?= PYENV_VERSION=3.13.0 python3.13
VENV := .venv
MONGO_VENV := .venv-mongo
PY := $(VENV)/bin/python
HOST ?= 127.0.0.1
PORT ?= 8000

# The embedded MongoDB's virtualenv is only needed when MONGODB_URI is unset.
ifeq ($(strip $(MONGODB_URI)),)
DB_DEPS := $(MONGO_VENV)/.installed
# Nothing else uses the embedded database while `make run` starts, so half-done matches
# left by a crash are repaired however recent they are (docs/operations.md "Repair").
REPAIR_FLAGS := --ignore-lease
endif

.PHONY: run dev test test-browser bench venv clean-venv lint

$(VENV)/.installed: requirements.txt
	$(PYTHON) -m venv $(VENV)
	$(VENV)/bin/pip install --quiet --upgrade pip
	$(VENV)/bin/pip install --quiet -r requirements.txt
	touch $@

$(MONGO_VENV)/.installed: requirements-mongo.txt
	$(PYTHON313) -m venv $(MONGO_VENV)
	$(MONGO_VENV)/bin/pip install --quiet --upgrade pip
	$(MONGO_VENV)/bin/pip install --quiet -r requirements-mongo.txt
	touch $@

venv: $(VENV)/.installed $(DB_DEPS)

# The secret key of `make run` and `make dev`: generated on first start (mode 0600), kept
# after; DJANGO_SECRET_KEY, when set, wins over it (docs/operations.md "Secret key").
SECRET_KEY_FILE := $(or $(DJANGO_SECRET_KEY_FILE),$(CURDIR)/var/secret_key)
# What both do before serving: the first start loads the demo cohort and scores it; half-done
# matches left by a crash are repaired. Data of the embedded database lives in var/mongo and
# survives a clean stop (Ctrl-C).
START := $(PY) manage.py migrate --noinput && \
	$(PY) manage.py repair_matches $(REPAIR_FLAGS) && \
	$(PY) manage.py seed_demo --if-empty && \
	$(PY) manage.py recalculate_all_scores --if-empty

# Serve on http://$(HOST):$(PORT) with gunicorn, the production server: DEBUG off, workers and
# threads from WEB_WORKERS / WEB_THREADS (core/gunicorn.py), static files by WhiteNoise from
# var/static. The mail sender (send_emails) runs beside it and prints mails on this console
# unless EMAIL_HOST is set. Ctrl-C stops both, then the database.
run: venv
	$(PY) -m core.secret_key $(SECRET_KEY_FILE)
	DJANGO_DEBUG=0 DJANGO_SECRET_KEY_FILE=$(SECRET_KEY_FILE) \
	$(PY) -m embedded_mongo run --data-dir var/mongo -- \
		sh -c '$(START) && \
		$(PY) manage.py collectstatic --noinput --verbosity 0 && \
		{ $(PY) manage.py send_emails --exit-with-parent & } && \
		exec $(PY) -m gunicorn -c core/gunicorn.py --bind $(HOST):$(PORT)'

# Development: Django's runserver, reloading on code changes, DEBUG on (tracebacks in the
# log); same database and secret key as `make run`. Never for anything reachable by others.
dev: venv
	$(PY) -m core.secret_key $(SECRET_KEY_FILE)
	DJANGO_DEBUG=1 DJANGO_SECRET_KEY_FILE=$(SECRET_KEY_FILE) \
	$(PY) -m embedded_mongo run --data-dir var/mongo -- \
		sh -c '$(START) && \
		exec $(PY) manage.py runserver $(HOST):$(PORT)'

# The whole suite; the pytest plugin starts a fresh in-memory MongoDB unless MONGODB_URI is set.
test: venv
	$(PY) -m pytest $(PYTEST_ARGS)

# The headless-Chromium check of /api/docs/ (skipped by `make test` where Chromium is missing);
# installs Debian's chromium first if needed.
test-browser: venv
	@if [ ! -x /usr/bin/chromium ]; then \
		SUDO=$$([ "$$(id -u)" = 0 ] || echo sudo); \
		$$SUDO apt-get update && $$SUDO apt-get install -y --no-install-recommends chromium; \
	fi
	$(PY) -m pytest -m browser $(PYTEST_ARGS)

lint: venv
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check --exclude docs .

# make bench SECTIONS="load" runs only the named sections (db scoring assignment rounds hashing load endpoints import).
# The embedded database runs as `make run` runs it: journaled (durable) in a fresh
# var/bench-mongo, so the db figures are those of the durable path.
BENCH_DATA := var/bench-mongo
bench: venv
	rm -rf $(BENCH_DATA) $(BENCH_DATA).journal $(BENCH_DATA).new $(BENCH_DATA).old
	$(PY) -m embedded_mongo run --data-dir $(BENCH_DATA) -- $(PY) -m bench $(SECTIONS)

clean-venv:
	rm -rf $(VENV) $(MONGO_VENV)
