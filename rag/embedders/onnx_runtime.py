"""ONNX Runtime embedder: the packaged sentence-transformers model, exported once and int8-quantized.

Built at setup time (`python -m rag.embedders.onnx_runtime build`, run by `make setup`) into
`models/<model>-onnx/`: `torch.onnx.export` of the transformer with mean pooling and L2 normalization
inside the graph, then `quantize_dynamic` (per-channel int8 weights). The tokenizer is the model's own
`tokenizer.json` (the one sentence-transformers uses), read with `tokenizers`, so token counts and
therefore chunks are identical to the torch runtime's; at query time torch is never imported.
"""

from __future__ import annotations

import json
import os
import shutil
import sys
import threading
import time
from pathlib import Path
from typing import Sequence

import numpy as np

from ..errors import ConfigError
from ..settings import MODELS_DIR
from .base import ModelSpec, embedders, model_spec, truncate

BUILD_VERSION = 1  # bump when the export recipe changes, so `build` redoes it


# EmbeddingGemma: the inputs of its MLP down_proj MatMuls carry large activation outliers that dynamic int8's
# per-tensor activation scale flattens (all MatMuls int8: cosine to torch 0.91-0.93 on SciFact abstracts),
# so those 24 MatMuls and the embedding table (Gather) stay fp32 (docs/benchmarks.md, Gemma ONNX)
QUANTIZATION = {"embeddinggemma-300m": "dynamic int8, per-channel, MatMul except mlp down_proj"}


def model_dir(spec: ModelSpec, models_dir: Path = MODELS_DIR) -> Path:
    return models_dir / f"{spec.name}-onnx"


def _recipe(spec: ModelSpec) -> dict:
    import onnxruntime

    return {
        "model": spec.name,
        "source": spec.path(),
        "version": BUILD_VERSION,
        "max_tokens": spec.max_tokens,
        "onnxruntime": onnxruntime.__version__,
        "quantization": QUANTIZATION.get(spec.name, "dynamic int8, per-channel"),
    }


def build(
    spec: ModelSpec, models_dir: Path = MODELS_DIR, force: bool = False, keep_fp32: bool = False
) -> Path:
    """Export and quantize; a second call with the same recipe is a no-op. Returns the model folder.
    `keep_fp32` also keeps the unquantized export as `fp32.onnx` (benchmarks compare the two)."""
    out = model_dir(spec, models_dir)
    recipe = _recipe(spec)
    stamp = out / "build.json"
    fp32_ok = not keep_fp32 or (out / "fp32.onnx").is_file()
    if not force and fp32_ok and stamp.is_file() and json.loads(stamp.read_text()) == recipe:
        return out
    import torch
    from onnxruntime.quantization import QuantType, quantize_dynamic
    from sentence_transformers import SentenceTransformer

    st = SentenceTransformer(spec.path(), device="cpu")
    kinds = [type(m).__name__ for m in st]
    pooling = getattr(st[1], "pooling_mode", "") if len(st) > 1 else ""
    pooling = tuple(pooling) if isinstance(pooling, (list, tuple)) else (pooling,)
    # MiniLM: Transformer, Pooling, Normalize. EmbeddingGemma: Transformer, Pooling, Dense, Dense, Normalize.
    dense = [m for m in st if type(m).__name__ == "Dense"]
    rest = [k for k in kinds[2:] if k != "Dense"]
    if kinds[:2] != ["Transformer", "Pooling"] or pooling != ("mean",) or rest not in ([], ["Normalize"]):
        raise ConfigError(
            f"the ONNX runtime supports mean-pooled models only; {spec.name} is {kinds} ({pooling})"
        )

    class Pooled(torch.nn.Module):
        def __init__(self, bert, dense):
            super().__init__()
            self.bert = bert
            self.dense = torch.nn.ModuleList(dense)

        def forward(self, input_ids, attention_mask, token_type_ids=None):
            extra = {} if token_type_ids is None else {"token_type_ids": token_type_ids}
            hidden = self.bert(
                input_ids=input_ids, attention_mask=self.masks(attention_mask), **extra
            ).last_hidden_state
            mask = attention_mask.unsqueeze(-1).to(hidden.dtype)
            mean = (hidden * mask).sum(1) / mask.sum(1).clamp(min=1e-9)
            for d in self.dense:
                mean = d({"sentence_embedding": mean})["sentence_embedding"]
            return torch.nn.functional.normalize(mean, p=2, dim=1)

        def masks(self, attention_mask):
            cfg = self.bert.config
            if not getattr(cfg, "use_bidirectional_attention", False):
                return attention_mask
            # EmbeddingGemma (bidirectional Gemma 3): transformers builds its masks with vmap, which the
            # tracer cannot record, so they are built here as the model defines them: every unpadded key,
            # and on sliding layers only keys closer than the window (pos: token positions)
            keys = attention_mask.bool()[:, None, None, :]
            pos = torch.arange(attention_mask.shape[1])
            near = ((pos[:, None] - pos[None, :]).abs() < cfg.sliding_window)[None, None]
            out = {"full_attention": keys, "sliding_attention": keys & near}
            if cfg._attn_implementation == "eager":  # additive float masks there
                low = torch.finfo(torch.float32).min
                out = {k: torch.zeros(v.shape).masked_fill(~v, low) for k, v in out.items()}
            return out

    tmp = out.with_name(out.name + ".tmp")
    shutil.rmtree(tmp, ignore_errors=True)
    tmp.mkdir(parents=True)
    model = Pooled(st[0].auto_model, dense).eval()
    # two texts of different lengths: padding in the example keeps the attention mask in the traced graph
    dummy = st.tokenizer(
        ["a short example sentence", "a longer example sentence, padded to the longest one in its batch"],
        padding=True,
        return_tensors="pt",
    )
    names = [n for n in ("input_ids", "attention_mask", "token_type_ids") if n in dummy]
    axes = {n: {0: "batch", 1: "tokens"} for n in names} | {"embedding": {0: "batch"}}
    t0 = time.perf_counter()
    with torch.no_grad():
        torch.onnx.export(
            model,
            tuple(dummy[n] for n in names),
            str(tmp / "fp32.onnx"),
            input_names=names,
            output_names=["embedding"],
            dynamic_axes=axes,
            opset_version=17,
            dynamo=False,
        )
    t1 = time.perf_counter()
    only = {}
    if "down_proj" in recipe["quantization"]:
        import onnx

        graph = onnx.load(str(tmp / "fp32.onnx"), load_external_data=False).graph
        skip = [n.name for n in graph.node if n.op_type == "MatMul" and "down_proj" in n.name]
        only = {"op_types_to_quantize": ["MatMul"], "nodes_to_exclude": skip}
    quantize_dynamic(
        str(tmp / "fp32.onnx"),
        str(tmp / "model.onnx"),
        per_channel=True,
        weight_type=QuantType.QInt8,
        **only,
    )
    seconds = {"export": round(t1 - t0, 1), "quantize": round(time.perf_counter() - t1, 1)}
    (tmp / "seconds.json").write_text(json.dumps(seconds))  # what a build costs, for the docs
    if not keep_fp32:
        (tmp / "fp32.onnx").unlink()
    shutil.copy(Path(spec.path()) / "tokenizer.json", tmp / "tokenizer.json")
    (tmp / "build.json").write_text(json.dumps(recipe, indent=1))
    shutil.rmtree(out, ignore_errors=True)
    tmp.rename(out)  # a half-built model is never picked up
    return out


class OnnxEmbedder:
    runtime = "onnx"

    def __init__(
        self, spec: ModelSpec, batch_size: int = 64, models_dir: Path = MODELS_DIR, file: str = "model.onnx"
    ) -> None:
        self.spec = spec
        self.batch_size = batch_size
        self.folder = model_dir(spec, models_dir)
        self.file = file
        if not (self.folder / file).is_file():
            raise ConfigError(
                f"the ONNX embedder for {spec.name} is not built: run `rag setup onnx --model {spec.name}` "
                "(`make setup` does it for MiniLM, `make gemma-onnx` for Gemma), "
                "or set RAG_EMBEDDER_RUNTIME=torch"
            )
        self._session = None
        self._lock = threading.Lock()
        from tokenizers import Tokenizer

        self._tok = Tokenizer.from_file(str(self.folder / "tokenizer.json"))
        self._tok.no_padding()
        self._tok.enable_truncation(spec.max_tokens)
        self._count = Tokenizer.from_file(str(self.folder / "tokenizer.json"))
        self._count.no_padding()
        self._count.no_truncation()

    @property
    def name(self) -> str:
        return self.spec.name

    @property
    def session(self):
        with self._lock:
            if self._session is None:
                import onnxruntime as ort

                opts = ort.SessionOptions()
                opts.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
                opts.intra_op_num_threads = min(4, os.cpu_count() or 1)
                # idle workers sleep rather than spin: on busy small machines spinning steals the cores
                opts.add_session_config_entry("session.intra_op.allow_spinning", "0")
                self._session = ort.InferenceSession(
                    str(self.folder / self.file), opts, providers=["CPUExecutionProvider"]
                )
                self._inputs = [i.name for i in self._session.get_inputs()]  # Gemma has no token_type_ids
        return self._session

    def embed_documents(self, texts: Sequence[str]) -> np.ndarray:
        return self._encode([self.spec.document_prefix + t for t in texts])

    def embed_query(self, text: str) -> np.ndarray:
        return self._encode([self.spec.query_prefix + text])[0]

    def _encode(self, texts: list[str]) -> np.ndarray:
        out = np.zeros((len(texts), self.spec.dimension), dtype=np.float32)
        if not texts:
            return out
        encs = self._tok.encode_batch(texts)
        order = sorted(range(len(texts)), key=lambda i: -len(encs[i].ids))  # similar lengths pad less
        for a in range(0, len(order), self.batch_size):
            idx = order[a : a + self.batch_size]
            width = max(len(encs[i].ids) for i in idx)
            session = self.session
            feed = {n: np.zeros((len(idx), width), dtype=np.int64) for n in self._inputs}
            for row, i in enumerate(idx):
                e = encs[i]
                feed["input_ids"][row, : len(e.ids)] = e.ids
                feed["attention_mask"][row, : len(e.ids)] = e.attention_mask
                if "token_type_ids" in feed:
                    feed["token_type_ids"][row, : len(e.ids)] = e.type_ids
            out[idx] = truncate(session.run(["embedding"], feed)[0], self.spec.dimension)
        return out

    def count_tokens(self, texts: Sequence[str]) -> list[int]:
        if not texts:
            return []
        return [len(e.ids) for e in self._count.encode_batch(list(texts), add_special_tokens=False)]


@embedders.register("onnx")
def _factory(spec: ModelSpec, batch_size: int = 64) -> OnnxEmbedder:
    return OnnxEmbedder(spec, batch_size)


def main(argv: list[str]) -> int:
    if argv[:1] != ["build"]:
        print("usage: python -m rag.embedders.onnx_runtime build [--force]", file=sys.stderr)
        return 2
    from ..settings import Settings

    settings = Settings()
    from . import models  # noqa: F401  (the packaged model specs)

    out = build(model_spec(settings.embedder), settings.models_dir, force="--force" in argv)
    print(f"ONNX embedder ready: {out / 'model.onnx'} ({(out / 'model.onnx').stat().st_size / 1e6:.1f} MB)")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
