# The two commands of a fresh machine: `make run` and `make test`. Everything else is a helper.
# Needs only Python 3.11+ and make: uv is installed into .tools/, the project into .venv/.

PYTHON ?= python3
UV_VERSION := 0.13.8
TOOLS := .tools
UV := $(TOOLS)/bin/uv
VENV := .venv
BIN := $(VENV)/bin
SERVICES := catalog
export UV_PYTHON_DOWNLOADS := never
export UV_PROJECT_ENVIRONMENT := $(abspath $(VENV))

.PHONY: setup run test lint format typecheck pytest migrate revision bench clean

$(UV):
	$(PYTHON) -m venv $(TOOLS)
	$(TOOLS)/bin/pip install --quiet --disable-pip-version-check uv==$(UV_VERSION)

$(VENV)/.synced: $(UV) uv.lock pyproject.toml libs/common/pyproject.toml $(foreach s,$(SERVICES),services/$(s)/pyproject.toml)
	$(UV) sync --frozen --python $(PYTHON)
	touch $@

setup: $(VENV)/.synced ## install everything into .venv

run: setup ## migrate, load demo data and run every process on SQLite (Ctrl-C stops them)
	$(BIN)/python scripts/run_local.py

test: setup lint typecheck pytest ## the whole suite: lint, types, tests on SQLite and PostgreSQL

lint: setup
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: setup
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

typecheck: setup
	$(BIN)/mypy libs/common/src services/catalog/src

pytest: setup
	$(BIN)/pytest

migrate: setup ## upgrade every service's database (URLs from CATALOG_DATABASE_URL, …)
	@for s in $(SERVICES); do (cd services/$$s && ../../$(BIN)/alembic upgrade head) || exit 1; done

revision: setup ## make revision SERVICE=catalog MESSAGE="add something"
	cd services/$(SERVICE) && PATH=$(abspath $(BIN)):$$PATH ../../$(BIN)/alembic revision --autogenerate -m "$(MESSAGE)"

bench: setup ## catalog benchmark (needs PostgreSQL and wrk); see bench/README.md
	$(BIN)/python bench/catalog_bench.py

clean:
	rm -rf $(VENV) $(TOOLS) .run .pytest_cache .mypy_cache .ruff_cache
