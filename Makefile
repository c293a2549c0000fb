# Two entry points: `make demo` and `make test`. Both set up .venv from the pinned constraints.
PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
PIP    := $(PY) -m pip
STAMP  := $(VENV)/.installed
export HF_HUB_OFFLINE := 1
export TRANSFORMERS_OFFLINE := 1
export LMI_CACHE ?= $(CURDIR)/.cache/lmi

.PHONY: setup demo test test-services lint bench clean

setup: $(STAMP)

$(STAMP): pyproject.toml constraints.txt
	$(PYTHON) -m venv $(VENV)
	$(PIP) install --quiet --upgrade pip
	# CPU build of torch first: a plain `torch` would pull a multi-GB CUDA build.
	$(PIP) install --quiet torch==2.13.0
	$(PIP) install --quiet -c constraints.txt -e '.[dev]'
	touch $(STAMP)

demo: setup
	$(VENV)/bin/lmi demo --db demo.duckdb

test: setup test-services
	$(PY) -m pytest -q

# System packages some tests need: redis-server (distributed crawl) and chromium (HTML report).
test-services:
	bash scripts/redis.sh install
	bash scripts/install_chromium.sh

lint: setup
	$(VENV)/bin/ruff check .

# Slow measurements (not tests); figures and their meaning: docs/benchmarks.md
bench: setup test-services
	$(PY) benchmarks/bench_crawl.py
	$(PY) benchmarks/bench_normalise.py
	$(PY) benchmarks/dedup_pairs.py && $(VENV)/bin/lmi eval dedup --dataset benchmarks/data/dedup_pairs.jsonl
	$(PY) benchmarks/simulate_emerging.py --reps 200
	$(PY) benchmarks/bench_reports.py --postings 100000 300000 1000000 --repeat 3
	$(PIP) install --quiet --no-deps -r benchmarks/requirements-bench.txt
	$(PY) benchmarks/bench_extraction.py --postings 500

clean:
	rm -rf $(VENV) .cache demo.duckdb .pytest_cache
