# Two commands on a fresh machine: `make run` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-$(shell cksum pyproject.toml | cut -d' ' -f1)
DEMO_DB ?= var/demo.db
# The test OpenID Connect provider (Node.js), installed again whenever its lock file changes.
OIDC := tests/oidc
OIDC_STAMP := $(OIDC)/node_modules/.installed-$(shell cksum $(OIDC)/package-lock.json | cut -d' ' -f1)
# The suite in this many processes; 1 runs it in one, as a bare `pytest` does. Two halve
# the time on a two-core machine (7 min 17 s to 4 min 34 s here).
PYTEST_WORKERS ?= 2

.PHONY: run demo test lint typecheck imports pytest bench clean

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test]'
	rm -f $(VENV)/.installed-*
	touch $@

# Without npm there is no stamp: the single sign-on tests skip (they fail in CI, which sets
# TRACKER_TEST_REQUIRE_OIDC), and the next run tries again.
$(OIDC_STAMP): $(OIDC)/package-lock.json
	@if command -v npm >/dev/null 2>&1; then \
	  npm ci --prefix $(OIDC) --no-audit --no-fund --loglevel=error && touch $@; \
	else \
	  echo "npm is missing: the single sign-on tests will be skipped"; \
	fi

# Starts the product on SQLite with the Piteå plan as demo data.
run: $(STAMP)
	$(BIN)/tracker demo --db $(DEMO_DB)

demo: run

test: $(STAMP) lint typecheck imports pytest

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

typecheck: $(STAMP)
	$(BIN)/mypy

imports: $(STAMP)
	$(BIN)/lint-imports

pytest: $(STAMP) $(OIDC_STAMP)
	$(BIN)/pytest $(if $(filter-out 1,$(PYTEST_WORKERS)),-n $(PYTEST_WORKERS))

bench: $(STAMP)
	for script in bench/*.py; do $(BIN)/python $$script || exit 1; done

clean:
	rm -rf $(VENV) var .mypy_cache .pytest_cache .ruff_cache $(OIDC)/node_modules
