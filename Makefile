# Qunyun: `make run` to try it, `make test` to check it.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
export QUNYUN_DATA_DIR ?= $(CURDIR)/var
TEST_DATA_DIR := $(CURDIR)/var/test

.PHONY: install run serve test lint typecheck pytest messages clean

$(BIN)/qunyun: pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info[:2] == (3, 11) else "Qunyun needs Python 3.11 (set PYTHON=python3.11)")'
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e ".[test]"
	@touch $@

install: $(BIN)/qunyun

run: install
	$(BIN)/qunyun migrate --no-input -v0
	$(BIN)/qunyun demo

serve: install
	$(BIN)/qunyun migrate --no-input -v0
	$(BIN)/qunyun serve

lint: install
	$(BIN)/ruff check qunyun benchmarks
	$(BIN)/ruff format --check qunyun benchmarks
	$(BIN)/bandit -r qunyun -x '*/tests/*' --severity-level high --confidence-level high -q
	$(BIN)/lint-imports --no-cache

typecheck: install
	$(BIN)/mypy qunyun

# The whole suite on SQLite, then again on PostgreSQL when QUNYUN_TEST_DATABASE_URL is set.
pytest: install
	QUNYUN_DATA_DIR=$(TEST_DATA_DIR) QUNYUN_DATABASE_URL= QUNYUN_URL_COVERAGE=1 $(BIN)/pytest
	@if [ -n "$$QUNYUN_TEST_DATABASE_URL" ]; then \
	  echo "== the same suite on PostgreSQL =="; \
	  QUNYUN_DATA_DIR=$(TEST_DATA_DIR) QUNYUN_DATABASE_URL="$$QUNYUN_TEST_DATABASE_URL" QUNYUN_URL_COVERAGE=1 $(BIN)/pytest -m "not once"; \
	fi

test: lint typecheck pytest

# Regenerate the translation catalogues (needs GNU gettext) and compile them.
messages: install
	cd qunyun && ../$(BIN)/qunyun makemessages -l zh_Hans -l en --no-obsolete --ignore "tests/*"
	cd qunyun && ../$(BIN)/qunyun makemessages -d djangojs -l zh_Hans -l en --no-obsolete
	$(BIN)/python -m qunyun.locale_compile

clean:
	rm -rf $(VENV) var
