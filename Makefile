# Two commands set everything up on a fresh machine with Python 3.11 and make:
#   make run   -> virtualenv, install, demo data into the embedded SQLite file, plan, serve the app
#   make test  -> virtualenv, install, run the whole test suite
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
DEMO   := var/demo
PORT   ?= 8501
DEMO_SCHOOLS ?= 200
PLAN_SECONDS ?= 90
export UV_COMPILE_BYTECODE := 1
export PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD := 1

.PHONY: install run demo test bench lint format clean

$(BIN)/.installed: pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check uv
	VIRTUAL_ENV=$(CURDIR)/$(VENV) $(BIN)/uv pip install --quiet -e '.[dev]'
	touch $@

install: $(BIN)/.installed

demo: install
	$(BIN)/scheduler demo --schools $(DEMO_SCHOOLS) --seed 7 $(DEMO)
	$(BIN)/scheduler import $(DEMO)

# The demo's history runs to Friday 2026-11-20; the plan covers the rest of the contract year.
run: demo
	$(BIN)/scheduler plan --from 2026-11-23 --to 2027-08-31 --time-limit $(PLAN_SECONDS)
	$(BIN)/streamlit run app.py --server.port $(PORT) --server.headless true

# pytest exit code 5 means "no tests collected": that is a failure, not a pass.
test: install
	$(BIN)/pytest -q; rc=$$?; \
	if [ $$rc -eq 5 ]; then echo "pytest collected no tests" >&2; exit 1; fi; exit $$rc

bench: install
	$(BIN)/python -m benchmarks.run

lint: install
	$(BIN)/ruff check . && $(BIN)/ruff format --check .

format: install
	$(BIN)/ruff format . && $(BIN)/ruff check --fix .

clean:
	rm -rf $(VENV) var .pytest_cache .ruff_cache
