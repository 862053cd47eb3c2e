# Accord: `make run` starts the platform on the embedded default; `make test` runs every test.
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
PIP := $(VENV)/bin/pip
HOST ?= 127.0.0.1
PORT ?= 8080
export ACCORD_DATA_DIR ?= $(CURDIR)/accord-data

.PHONY: setup run test lint audit openapi screenshots clean

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
	@if [ -f web/package.json ]; then cd web && npm test && SCREENSHOTS= npm run e2e; fi
	cd sdk && ../$(PY) -m pytest -q -n 2 --dist loadfile
	cd server && ../$(PY) -m pytest -q -n 2 --dist loadfile

## lint: ruff, mypy, the server's layer contracts (import-linter) and generated-client drift
lint: setup
	cd server && ../$(VENV)/bin/lint-imports --no-cache
	$(VENV)/bin/ruff check server sdk bench tools
	$(VENV)/bin/ruff format --check server sdk bench tools
	cd server && ../$(VENV)/bin/mypy src
	cd sdk && ../$(VENV)/bin/mypy src tests
	@if [ -f web/package.json ]; then cd web && npx openapi-typescript ../openapi.json \
		--default-non-nullable false -o /tmp/accord-schema.d.ts >/dev/null && \
		diff -q src/api/schema.d.ts /tmp/accord-schema.d.ts >/dev/null || \
		{ echo "web/src/api/schema.d.ts is stale: run 'cd web && npm run gen:api'"; exit 1; }; fi

## audit: known vulnerabilities in the Python and npm dependencies; says which it could NOT check
## (exit 1 vulnerable, 3 not everything checked: e.g. no route to the advisory databases)
audit: setup
	test -x .audit-venv/bin/pip-audit || { $(PYTHON) -m venv .audit-venv && \
		.audit-venv/bin/pip install --quiet -r tools/audit-requirements.txt; }
	$(PY) tools/audit.py

## screenshots: refresh docs/screenshots from the browser tests (each web/e2e spec saves its own)
screenshots: setup
	cd web && npm run e2e

## openapi: regenerate openapi.json from the server, and the web app's typed client
openapi: setup
	$(VENV)/bin/accord-server openapi > openapi.json
	@if [ -f web/package.json ]; then cd web && npm run gen:api; fi

clean:
	rm -rf $(VENV) accord-data
