"""One typed settings object, built at the entrypoint (CLI, app) and passed down."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Literal

from pydantic import Field, SecretStr, ValidationError, ValidationInfo, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from .errors import ConfigError

# where `rag setup` assembles the packaged models (the embedders and local generator read them here)
MODELS_DIR = Path(__file__).resolve().parent.parent / "models"
EVAL_CACHE = Path("~/.cache/docqa-eval").expanduser()  # default RAG_EVAL_CACHE

# Every number is bounded and finite (nan slips past a plain `ge`, inf past any lower bound), and every
# choice among registered parts is a Literal: a typo or a nonsense value is a one-line ConfigError at start.
Positive = Annotated[float, Field(gt=0, allow_inf_nan=False)]
Share = Annotated[float, Field(ge=0, le=1, allow_inf_nan=False)]
# refusal evidence is a cosine plus a weighted coverage share (rag/policy.py), so it stays below 2
Evidence = Annotated[float, Field(ge=0, le=2, allow_inf_nan=False)]
# the names each registry holds (tests/unit/test_settings.py checks they match)
EmbedderRuntime = Literal["onnx", "torch", "fake"]
RetrieverName = Literal["hybrid", "dense", "bm25"]
RerankerName = Literal["none", "cross-encoder"]
GeneratorName = Literal["extractive", "local", "openai", "fake"]
PdfTables = Literal["off", "replace", "add", "summary"]


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="RAG_", env_file=".env", extra="ignore")

    # storage
    data_dir: Path = Path("data")
    chroma_host: str | None = None  # set to use a `chroma run` server instead of the embedded store
    chroma_port: int = Field(default=8000, ge=1, le=65535)
    # Chroma's HNSW index (benchmarks/hnsw.py, docs/benchmarks.md "HNSW settings"). Space, construction_ef
    # and m are fixed when a collection is created: an existing index keeps its own until `rag reindex`
    # (which builds a new collection with these). search_ef is applied to an existing collection on open
    # (it takes effect in processes that load the index after that).
    # Scores stay cosine similarities in every space (our vectors are unit length).
    hnsw_space: Literal["cosine", "l2", "ip"] = "cosine"
    hnsw_construction_ef: int = Field(default=100, ge=10, le=2000)
    hnsw_search_ef: int = Field(default=100, ge=10, le=10_000)
    hnsw_m: int = Field(default=16, ge=4, le=128)

    # embedding + chunking (recorded in the manifest; changing them needs `rag reindex`)
    embedder: str = "all-MiniLM-L6-v2"
    # "onnx" (int8, built by `make setup`) or "torch" (sentence-transformers, the reference): same quality
    # within noise, onnx embeds 1.7-2.3x faster and queries ~6x faster in 0.4x the memory (docs/benchmarks.md)
    embedder_runtime: EmbedderRuntime = "onnx"
    embed_batch_size: int = Field(default=64, ge=1, le=4096)
    # chunks embedded + written per step of an ingest: small documents share one, a big one is cut;
    # bounds memory, and 5,461 is Chroma's largest batch
    ingest_batch_chunks: int = Field(default=512, ge=1, le=5461)
    chunk_tokens: int = Field(default=200, ge=16, le=8192)
    chunk_overlap: int = Field(default=32, ge=0)

    # ingestion limits: a file over any of them fails alone with a reason
    max_file_mb: Positive = 50.0
    max_pages: int = Field(default=2000, ge=1)
    parse_timeout_s: Positive = 120.0
    # parse worker processes (each killable, memory- and CPU-capped); the embedder runs in this process.
    # 1: on 2 cores a second worker did not speed ingestion up, embedding is ~95 % of it (docs/benchmarks.md)
    parse_workers: int = Field(default=1, ge=1, le=8)
    # PDF tables as labelled rows: "replace" the page's raw table lines, "add" them as extra chunks of the
    # page (its plain text stays), "summary" = add + a chunk of each table's title and row labels; "off".
    # true/false read as "replace"/"off". Scanned pages OCR'd (tesseract, ~3 s a page), at most
    # ocr_max_pages per document so a 500-page scan cannot hold the ingest lane for half an hour
    pdf_tables: PdfTables = "replace"
    ocr: bool = True
    ocr_max_pages: int = Field(default=50, ge=0, le=2000)
    ocr_page_timeout_s: Positive = 60.0

    # retrieval
    retriever: RetrieverName = "hybrid"
    reranker: RerankerName = "none"
    reranker_path: Path | None = None
    top_k: int = Field(default=5, ge=1, le=100)
    candidates: int = Field(default=50, ge=1, le=10_000)
    fusion: Literal["weighted", "rrf"] = "weighted"  # min-max normalized scores, or reciprocal rank fusion
    fusion_weight: Share = 0.5  # dense share in the weighted score fusion
    rrf_k: int = Field(default=60, ge=1)
    # weight of the whole-document BM25 score added to each hybrid hit (sweep in docs/benchmarks.md)
    doc_prior: float = Field(default=0.2, ge=0, le=10, allow_inf_nan=False)
    bm25_k1: float = Field(default=1.2, ge=0, le=10, allow_inf_nan=False)
    bm25_b: Share = 0.75
    # after an ingest a query waits this long for the background BM25 rebuild (and not at all when the last
    # build took longer), then answers from the previous index (rag/lexical.py LexicalCache)
    bm25_wait_s: float = Field(default=1.0, ge=0, le=60, allow_inf_nan=False)
    # hits whose word sets overlap more than this are collapsed
    dedup_jaccard: float = Field(default=0.85, gt=0, le=1, allow_inf_nan=False)
    # drop answer-format instructions ("If X is not useful ..., state that and explain why") before retrieval
    clean_questions: bool = True
    # append the line items a named metric is computed from ("gross margin" -> "gross profit cost of sales
    # ..."): statement pages never name the metric (rag/retrieval/glossary.py, docs/benchmarks.md)
    query_glossary: Literal["off", "finance"] = "finance"
    # PDF pages, not chunks, are ranked: the top k are k different pages, each scored by its best chunk
    # plus page_fusion x its other candidate chunks (0: adding them hurt FinanceBench, docs/benchmarks.md)
    page_ranking: bool = True
    page_fusion: float = Field(default=0.0, ge=0.0, le=2.0)

    # answering
    generator: GeneratorName = "extractive"
    # evidence (rag/policy.py) below which we refuse; calibration in docs/benchmarks.md
    refusal_threshold: Evidence = 0.57
    # which score refusal uses: "answerability" (rag/answerability.py, P(answerable) per sentence-level
    # support, refused below answerability_threshold) or "evidence" (the score above, refused below
    # refusal_threshold)
    refusal_score: Literal["answerability", "evidence"] = "evidence"
    answerability_threshold: Share = 0.4  # fitted with the coefficients (docs/benchmarks.md "Refusal")
    strong_evidence: Evidence = 0.8  # above this, an LLM refusal falls back to the extractive answer
    extractive_sentences: int = Field(default=2, ge=1, le=20)
    max_context_tokens: int = Field(default=1500, ge=64)
    max_answer_tokens: int = Field(default=256, ge=1)

    # local llama.cpp generator
    local_model_path: Path | None = None  # default: models/<local_model>.gguf
    local_model: str = "qwen2.5-coder-1.5b-instruct-q4_k_m"
    local_context: int = Field(default=4096, ge=512)
    local_threads: int = Field(default=2, ge=1, le=256)

    # OpenAI-compatible generator
    openai_base_url: str | None = None
    openai_model: str = "gpt-4o-mini"
    openai_api_key: SecretStr | None = Field(default=None)
    openai_timeout_s: Positive = 60.0
    openai_max_retries: int = Field(default=2, ge=0, le=10)

    # app
    admin_password: SecretStr | None = None
    upload_max_mb: Positive = 50.0
    allowed_generators: str = "extractive,local,openai"

    # HTTP API (`rag serve`): comma-separated bearer tokens; without any, it serves loopback only.
    # Admin keys may also delete documents and reindex.
    api_keys: SecretStr | None = None
    api_admin_keys: SecretStr | None = None
    upload_max_files: int = Field(default=20, ge=1, le=1000)  # per upload request

    # evaluation (`rag eval`, the admin page): indexes of evaluation corpora, kept between runs
    eval_cache: Path = EVAL_CACHE

    @field_validator("pdf_tables", mode="before")
    @classmethod
    def _tables_bool(cls, v):  # the setting was a bool: true/false keep working
        b = {"true": True, "1": True, "yes": True, "false": False, "0": False, "no": False}.get(
            str(v).lower()
        )
        return v if b is None else ("replace" if b else "off")

    @field_validator("eval_cache")
    @classmethod
    def _expand_home(cls, v: Path) -> Path:
        return v.expanduser()

    @field_validator("chunk_overlap")
    @classmethod
    def _overlap_below_size(cls, v: int, info: ValidationInfo) -> int:
        size = info.data.get("chunk_tokens")
        if size is not None and v >= size:
            raise ValueError(f"must be smaller than RAG_CHUNK_TOKENS ({size})")
        return v

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
        return MODELS_DIR


def load_settings() -> Settings:
    """The entrypoints' way to build settings: a bad value (env or .env) is a one-line ConfigError."""
    try:
        return Settings()
    except ValidationError as e:
        first = e.errors()[0]
        name = "RAG_" + str(first["loc"][0]).upper() if first.get("loc") else "a RAG_ setting"
        raise ConfigError(f"invalid setting {name}: {first['msg']}") from None
