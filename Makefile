# The two commands of the README: `make run` and `make test`. Everything they need is
# installed here, from requirements*.txt, into project-local virtualenvs.
PYTHON ?= python3
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

.PHONY: run test test-browser bench venv clean-venv lint

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

# Serve on http://$(HOST):$(PORT); the first start loads the demo cohort and scores it. Data of the embedded database lives in var/mongo and
# survives a clean stop (Ctrl-C). DJANGO_DEBUG defaults to on here only.
run: venv
	DJANGO_DEBUG=$${DJANGO_DEBUG:-1} $(PY) -m config.embedded_mongo run --data-dir var/mongo -- \
		sh -c '$(PY) manage.py migrate --noinput && \
		$(PY) manage.py repair_matches $(REPAIR_FLAGS) && \
		$(PY) manage.py seed_demo --if-empty && \
		$(PY) manage.py recalculate_all_scores --if-empty && \
		exec $(PY) manage.py runserver --noreload $(HOST):$(PORT)'

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

# make bench SECTIONS="load" runs only the named sections (db scoring assignment load).
# The embedded database runs as `make run` runs it: journaled (durable) in a fresh
# var/bench-mongo, so the db figures are those of the durable path.
BENCH_DATA := var/bench-mongo
bench: venv
	rm -rf $(BENCH_DATA) $(BENCH_DATA).journal $(BENCH_DATA).new $(BENCH_DATA).old
	$(PY) -m config.embedded_mongo run --data-dir $(BENCH_DATA) -- $(PY) -m bench $(SECTIONS)

clean-venv:
	rm -rf $(VENV) $(MONGO_VENV)
