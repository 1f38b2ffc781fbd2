# landclean: the two commands a new user needs are `make demo` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: demo test lint format bench bench-province bench-exchange bench-registry incremental clean setup fuzz crash browser ocr serve vendor

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $(STAMP)

setup: $(STAMP) vendor

# MapLibre GL JS for the map page, from the npm registry at its pinned version, checked
# against its published hash (landclean/web/vendor.py); nothing when it is there
vendor: $(STAMP)
	@$(BIN)/python -m landclean.web.vendor

demo: $(STAMP) vendor ocr
	$(BIN)/landclean demo --workdir demo-out

# the campaign server on the demo's workspace (made first when missing), on
# http://127.0.0.1:8000, with an account of each role (their passwords printed once)
serve: $(STAMP) vendor
	@test -f demo-out/workspace.duckdb || $(BIN)/landclean demo --workdir demo-out
	$(BIN)/landclean users demo demo-out/workspace.duckdb
	$(BIN)/landclean serve demo-out/workspace.duckdb --host 127.0.0.1 --port 8000

# Headless Chromium (Debian's package) for the reports' screenshots the tests take.
browser:
	@command -v chromium >/dev/null || { \
	  if [ "$$(id -u)" = 0 ]; then SUDO=; else SUDO=sudo; fi; \
	  $$SUDO apt-get update -q && \
	  $$SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends chromium fonts-dejavu-core; }

# Tesseract's Vietnamese model (Debian's package) for reading certificate scans
# (evidence); nothing when it is there.
ocr:
	@test -f /usr/share/tesseract-ocr/5/tessdata/vie.traineddata || { \
	  if [ "$$(id -u)" = 0 ]; then SUDO=; else SUDO=sudo; fi; \
	  $$SUDO apt-get update -q && \
	  $$SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends tesseract-ocr tesseract-ocr-vie; }

test: $(STAMP) vendor browser ocr
	$(BIN)/ruff check src tests bench
	$(BIN)/ruff format --check src tests bench
	$(BIN)/mypy
	$(BIN)/pytest -n 2 --dist loadgroup

lint: $(STAMP)
	$(BIN)/ruff check src tests bench
	$(BIN)/ruff format --check src tests bench
	$(BIN)/mypy

format: $(STAMP)
	$(BIN)/ruff format src tests bench
	$(BIN)/ruff check --fix src tests bench

bench: $(STAMP)
	$(BIN)/python bench/run_bench.py
# issue 17's targets at 3.4 M parcels: import + first run + report from nothing, then the
# runs after nothing, one and 1,000 corrections (docs/incremental.md); about 20 minutes
bench-province: $(STAMP)
	$(BIN)/python -m bench.bench_province --parcels 3400000 --seed 7 --work build/bench-province
# exchange packages of the whole province, then of 10,000 changes (issue 21): WS is a
# workspace already run, e.g. build/bench-province/province.duckdb
WS ?= build/bench-province/province.duckdb
bench-exchange: $(STAMP)
	$(BIN)/python -m bench.bench_exchange --from $(WS) --work build/bench-exchange
# land users verified through the simulated population service (issue 22): WS a workspace
# already run, EXTRACT the registry extract the service answers from; about 20 minutes
EXTRACT ?= build/bench-province/source_3400000_7/registry/population.parquet
bench-registry: $(STAMP)
	$(BIN)/python -m bench.bench_registry --from $(WS) --extract $(EXTRACT) --work build/bench-registry
# incremental runs against full recomputations: 300 random sequences of edits and imports
incremental: $(STAMP)
	INCREMENTAL_EXAMPLES=300 $(BIN)/pytest -p no:warnings -q tests/test_incremental.py

# 10,000 malformed inputs against `landclean import`, then 30 kill -9 trials (as `crash`);
# rewrites both tables of docs/reliability.md. The trials run even when a fuzz case fails;
# the target fails if either did.
fuzz: $(STAMP)
	$(BIN)/python -m tests.hardening.run --cases 10000 --seed 1 --subprocess 20 --report docs/reliability.md; \
	fuzzed=$$?; $(BIN)/python -m tests.hardening.crash --kills 30 --seed 1 --report docs/reliability.md && exit $$fuzzed

# kill -9 at random moments of import, run, correct, apply and report (30 kills); a summary
# table, also written into docs/reliability.md
crash: $(STAMP)
	$(BIN)/python -m tests.hardening.crash --kills 30 --seed 1 --report docs/reliability.md

clean:
	rm -rf $(VENV) demo-out .pytest_cache .mypy_cache .ruff_cache
