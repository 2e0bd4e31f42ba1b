"""One typed settings object, built at the entrypoint (CLI, app) and passed down."""
from __future__ import annotations

from pathlib import Path

from pydantic import Field, SecretStr, ValidationError
from pydantic_settings import BaseSettings, SettingsConfigDict

from .errors import ConfigError


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="RAG_", env_file=".env", extra="ignore")

    # storage
    data_dir: Path = Path("data")
    chroma_host: str | None = None  # set to use a `chroma run` server instead of the embedded store
    chroma_port: int = 8000

    # embedding + chunking (recorded in the manifest; changing them needs `rag reindex`)
    embedder: str = "all-MiniLM-L6-v2"
    # "onnx" (int8, built by `make setup`) or "torch" (sentence-transformers, the reference): same quality
    # within noise, onnx embeds 1.7-2.3x faster and queries ~6x faster in 0.4x the memory (docs/benchmarks.md)
    embedder_runtime: str = "onnx"
    embed_batch_size: int = 64
    chunk_tokens: int = 200
    chunk_overlap: int = 32

    # ingestion limits: a file over any of them fails alone with a reason
    max_file_mb: float = 50.0
    max_pages: int = 2000
    parse_timeout_s: float = 120.0

    # retrieval
    retriever: str = "hybrid"
    reranker: str = "none"
    reranker_path: Path | None = None
    top_k: int = 5
    candidates: int = 50
    fusion: str = "weighted"  # "weighted" (min-max normalized scores) or "rrf"
    fusion_weight: float = 0.5  # dense share in the weighted score fusion
    rrf_k: int = 60
    doc_prior: float = 0.2  # weight of the whole-document BM25 score added to each hybrid hit (sweep in docs/benchmarks.md)
    bm25_k1: float = 1.2
    bm25_b: float = 0.75
    dedup_jaccard: float = 0.85  # hits whose word sets overlap more than this are collapsed
    # drop answer-format instructions ("If X is not useful ..., state that and explain why") before retrieval
    clean_questions: bool = False
    # PDF pages, not chunks, are ranked: the top k are k different pages, each scored by its best chunk
    # plus page_fusion x its other candidate chunks (rag/retrieval/pages.py; sweep in docs/benchmarks.md)
    page_ranking: bool = False
    page_fusion: float = Field(default=0.3, ge=0.0, le=2.0)

    # answering
    generator: str = "extractive"
    refusal_threshold: float = 0.57  # evidence (AnswerService.evidence) below which we refuse; calibration in docs/benchmarks.md
    strong_evidence: float = 0.8  # above this, an LLM refusal falls back to the extractive answer
    extractive_sentences: int = 2
    max_context_tokens: int = 1500
    max_answer_tokens: int = 256

    # local llama.cpp generator
    local_model_path: Path | None = None  # default: models/<local_model>.gguf
    local_model: str = "qwen2.5-coder-1.5b-instruct-q4_k_m"
    local_context: int = 4096
    local_threads: int = 2

    # OpenAI-compatible generator
    openai_base_url: str | None = None
    openai_model: str = "gpt-4o-mini"
    openai_api_key: SecretStr | None = Field(default=None)
    openai_timeout_s: float = 60.0
    openai_max_retries: int = 2

    # app
    admin_password: SecretStr | None = None
    upload_max_mb: float = 50.0
    allowed_generators: str = "extractive,local,openai"

    @property
    def chroma_dir(self) -> Path:
        return self.data_dir / "chroma"

    @property
    def manifest_path(self) -> Path:
        return self.data_dir / "manifest.sqlite3"

    @property
    def uploads_dir(self) -> Path:
        return self.data_dir / "uploads"

    @property
    def models_dir(self) -> Path:
        return Path(__file__).resolve().parent.parent / "models"


def load_settings() -> Settings:
    """The entrypoints' way to build settings: a bad value (env or .env) is a one-line ConfigError."""
    try:
        return Settings()
    except ValidationError as e:
        first = e.errors()[0]
        name = "RAG_" + str(first["loc"][0]).upper() if first.get("loc") else "a RAG_ setting"
        raise ConfigError(f"invalid setting {name}: {first['msg']}") from None
