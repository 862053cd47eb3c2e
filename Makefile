# Accord: `make run` starts the platform on the embedded default; `make test` runs every test.
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
PIP := $(VENV)/bin/pip
HOST ?= 127.0.0.1
PORT ?= 8080
export ACCORD_DATA_DIR ?= $(CURDIR)/accord-data

.PHONY: setup run test test-server test-sdk lint openapi bench clean

$(VENV)/.installed: server/pyproject.toml sdk/pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PIP) install --quiet --upgrade pip
	$(PIP) install --quiet -e 'server[dev]' -e 'sdk[dev]'
	touch $@

web/node_modules/.installed: web/package-lock.json
	cd web && npm ci --no-audit --no-fund
	touch $@

## setup: virtualenv with both packages (editable, dev extras), web dependencies and build; idempotent
setup: $(VENV)/.installed
	@if [ -f web/package.json ]; then $(MAKE) --no-print-directory web/node_modules/.installed && cd web && npm run build; fi

## run: setup, create the demo (prints the login), serve on http://$(HOST):$(PORT)
run: setup
	$(VENV)/bin/accord-server demo --url http://$(HOST):$(PORT)
	$(VENV)/bin/accord-server serve --host $(HOST) --port $(PORT)

## test: every test (PostgreSQL/Redis tests skip loudly when those servers are missing)
test: setup
	cd server && ../$(PY) -m pytest -q -n 2 --dist loadfile
	cd sdk && ../$(PY) -m pytest -q -n 2 --dist loadfile
	@if [ -f web/package.json ]; then cd web && npm test; fi

## lint: ruff and mypy
lint: setup
	$(VENV)/bin/ruff check server sdk bench
	$(VENV)/bin/ruff format --check server sdk bench
	cd server && ../$(VENV)/bin/mypy src
	cd sdk && ../$(VENV)/bin/mypy src tests

## openapi: regenerate openapi.json from the server
openapi: setup
	$(VENV)/bin/accord-server openapi > openapi.json

clean:
	rm -rf $(VENV) accord-data
