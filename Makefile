# The two commands a newcomer needs: `make run` and `make test`. Both set themselves up.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed-$(shell cat pyproject.toml | cksum | cut -d' ' -f1)
HOST ?= 127.0.0.1
PORT ?= 8000

.PHONY: setup run test lint bench fmt clean migration messages

setup: $(STAMP) node_modules/.package-lock.json

# Front-end files the app serves (the API docs page), pinned with integrity hashes by
# package-lock.json; install scripts are skipped (none is needed to copy static files).
node_modules/.package-lock.json: package.json package-lock.json
	npm ci --ignore-scripts --no-audit --no-fund --loglevel=error
	@touch $@

$(STAMP): pyproject.toml
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[dev]'
	@rm -f $(VENV)/.installed-*
	@touch $@

run: setup
	$(PY) -m storeguard quickstart --host $(HOST) --port $(PORT)

lint: setup
	$(VENV)/bin/ruff check src tests bench scripts
	$(VENV)/bin/lint-imports  # the walls between packages: pyproject.toml [tool.importlinter]

test: setup lint
	$(PY) -m pytest -n 2 --dist loadfile

bench: setup
	$(PY) -m bench

fmt: setup
	$(VENV)/bin/ruff check --fix src tests bench
	$(VENV)/bin/ruff format src tests bench

clean:
	rm -rf $(VENV) var .pytest_cache .ruff_cache node_modules

migration: setup  ## autogenerate the next revision: make migration m="add disputes"
	PYTHONPATH=src $(PY) scripts/make_migration.py $(m)

messages: setup  ## after changing the pages' texts: bring the catalogs up to date, then translate what is new
	$(PY) -m storeguard.web.messages
