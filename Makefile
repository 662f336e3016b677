# The two commands of a fresh machine: `make run` and `make test`. Everything else is a helper.
# Needs only Python 3.11+ and make: uv is installed into .tools/, the project into .venv/.

PYTHON ?= python3
UV_VERSION := 0.13.8
TOOLS := .tools
UV := $(TOOLS)/bin/uv
VENV := .venv
BIN := $(VENV)/bin
SERVICES := catalog candidacy sessions webhooks
PROCESSES := $(foreach s,$(SERVICES),services/$(s)) gateway
export UV_PYTHON_DOWNLOADS := never
export UV_PROJECT_ENVIRONMENT := $(abspath $(VENV))

.PHONY: setup browser run test lint format typecheck pytest migrate revision bench clean audit bandit numbers

$(UV):
	$(PYTHON) -m venv $(TOOLS)
	$(TOOLS)/bin/pip install --quiet --disable-pip-version-check uv==$(UV_VERSION)

$(VENV)/.synced: $(UV) uv.lock pyproject.toml libs/common/pyproject.toml $(foreach p,$(PROCESSES),$(p)/pyproject.toml)
	$(UV) sync --frozen --python $(PYTHON)
	touch $@

setup: $(VENV)/.synced ## install everything into .venv

browser: ## Debian's chromium for the Swagger UI browser tests (Playwright never downloads browsers)
	@if [ -x /usr/bin/chromium ]; then :; \
	elif [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium; \
	else \
		echo "/usr/bin/chromium is missing: install Debian's package (sudo apt-get install chromium);" \
			"the browser tests skip without it, and fail under CI=true"; \
	fi

run: setup ## migrate, load demo data and run every process on SQLite (Ctrl-C stops them)
	$(BIN)/python scripts/run_local.py

test: setup browser lint typecheck pytest ## the whole suite: lint, types, tests on SQLite and PostgreSQL

lint: setup bandit
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: setup
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

typecheck: setup
	$(BIN)/mypy libs/common/src $(foreach p,$(PROCESSES),$(p)/src)

# The official LHEO 2.3 XSD is not shipped; where one lies beside the checkout (or
# LHEO_OFFICIAL_XSD names it), the LHEO export tests validate against it too.
LHEO_XSD := $(or $(LHEO_OFFICIAL_XSD),$(wildcard ../shared/reference-data/lheo/lheo.xsd))

# Test files run in parallel on PYTEST_WORKERS processes (pytest-xdist), each file whole on one
# worker: most tests wait on real servers and databases, so two workers halve the wall time.
PYTEST_WORKERS ?= 2

pytest: setup
	$(if $(LHEO_XSD),LHEO_OFFICIAL_XSD=$(abspath $(LHEO_XSD)) )$(BIN)/pytest -n $(PYTEST_WORKERS) --dist loadfile

# bandit over the code that ships or runs (skips justified in pyproject's [tool.bandit]): part
# of `make lint`. pip-audit over every locked dependency needs PyPI's per-version JSON API (or
# OSV), which these machines' package mirror does not serve: `make audit` runs it where it can.
# --strict: a package it could not check fails too, so an unreachable vulnerability service
# never passes for a clean audit.
AUDITED := libs/common/src $(foreach p,$(PROCESSES),$(p)/src) scripts bench

bandit: setup
	$(BIN)/bandit -c pyproject.toml -r -q $(AUDITED)

audit: bandit ## security audit: bandit, then pip-audit of uv.lock (needs PyPI's JSON API)
	$(UV) export --frozen --no-hashes --no-emit-workspace --all-groups --quiet \
		| $(BIN)/pip-audit -r /dev/stdin --disable-pip --no-deps --strict --progress-spinner off

migrate: setup ## upgrade every service's database (URLs from CATALOG_DATABASE_URL, …)
	@for p in $(PROCESSES); do (cd $$p && $(abspath $(BIN))/alembic upgrade head) || exit 1; done

revision: setup ## make revision SERVICE=catalog MESSAGE="add something" (SERVICE=gateway for the gateway)
	cd $(if $(filter gateway,$(SERVICE)),gateway,services/$(SERVICE)) && PATH=$(abspath $(BIN)):$$PATH alembic revision --autogenerate -m "$(MESSAGE)"

bench: setup ## catalog benchmark (needs PostgreSQL and wrk); see bench/README.md
	$(BIN)/python bench/catalog_bench.py

numbers: setup ## the published load, fault, fuzz and security figures, regenerated (≈ 1 h; needs PostgreSQL, wrk, nginx); see docs/benchmarks.md
	$(BIN)/python bench/load_bench.py --wait-quiet 60
	$(BIN)/python bench/faults_bench.py --wait-quiet 30
	FUZZ_MAX_EXAMPLES=100 FUZZ_COVERAGE_FOR=all FUZZ_RUN_TIMEOUT=3000 \
		$(BIN)/pytest tests/fuzz -q -s -o timeout=3600 -p no:cacheprovider
	$(BIN)/pytest tests/security -q -s -p no:cacheprovider
	$(MAKE) bandit

.PHONY: client
client: setup ## generate the Python client of a running gateway (GATEWAY_URL, default http://127.0.0.1:8000) into clients/python/
	PATH="$(abspath $(BIN)):$$PATH" $(BIN)/openapi-python-client generate \
		--url "$${GATEWAY_URL:-http://127.0.0.1:8000}/openapi.json" \
		--config docs/partners/openapi-python-client.yaml --meta uv --output-path clients/python --overwrite

clean:
	rm -rf $(VENV) $(TOOLS) .run .pytest_cache .mypy_cache .ruff_cache
