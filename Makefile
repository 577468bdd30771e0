# Two commands do everything: `make run` serves the chat, `make test` runs the tests.
# Both create .venv and install on first use; nothing is downloaded from a model hub
# (the package itself turns hub access and telemetry off for the bundled model: embeddings/offline.py).
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
# The [scale] extra (Milvus Lite, Ray) for the tests of both stores and of Ray ingestion; `make run` does without it.
SCALE_STAMP := $(VENV)/.installed-scale
# CPU build of torch, found on this machine's disk; installed before
# sentence-transformers so pip never pulls the multi-GB CUDA build.
TORCH := torch==2.13.0
export TOKENIZERS_PARALLELISM := false

.PHONY: run test bench install eval clean

$(STAMP): pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q $(TORCH)
	$(PY) -m pip install -q -e '.[test,bench]'
	touch $(STAMP)

$(SCALE_STAMP): $(STAMP)
	$(PY) -m pip install -q -e '.[scale]'
	touch $(SCALE_STAMP)

install: $(STAMP)

run: $(STAMP)
	$(PY) app.py $(ARGS)

test: $(SCALE_STAMP)
	$(PY) -m ruff check --quiet .
	QA_THREADS=1 $(PY) -m pytest -q $(PYTEST_ARGS)

eval: $(STAMP)
	$(PY) -m qa eval tests/data/seed_dev.jsonl

bench: $(SCALE_STAMP)
	$(PY) bench/run.py $(ARGS)

clean:
	rm -rf .cache .pytest_cache
