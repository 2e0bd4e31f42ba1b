"""`rag setup models|onnx|smoke`: the typer commands `make setup` runs."""

from pathlib import Path

from typer.testing import CliRunner

from app.cli import app
from rag import local_models
from rag.embedders import onnx_runtime
from rag.errors import GeneratorError


def test_setup_models_assembles_each_named_model_with_the_given_wheels(monkeypatch, tmp_path):
    calls = []

    def ensure(name, models_dir, wheels):
        calls.append((name, models_dir, wheels))
        return models_dir / f"{name}.gguf"

    monkeypatch.setattr(local_models, "ensure_model", ensure)
    monkeypatch.chdir(tmp_path)
    result = CliRunner().invoke(app, ["setup", "models", "a", "b", "--wheels", str(tmp_path)])
    assert result.exit_code == 0, result.output
    assert [(n, w) for n, _, w in calls] == [("a", [tmp_path]), ("b", [tmp_path])]
    assert result.stdout.splitlines()[0].endswith("a.gguf ok (0.0 s)")


def test_setup_models_with_an_unknown_name_is_one_line_and_exit_2(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    result = CliRunner().invoke(app, ["setup", "models", "no-such-model"])
    assert result.exit_code == 2
    assert len(result.stderr.strip().splitlines()) == 1 and "no-such-model" in result.stderr


def test_setup_onnx_builds_the_configured_embedder(monkeypatch, tmp_path):
    seen = {}

    def build(spec, models_dir, force=False, keep_fp32=False):
        seen.update(name=spec.name, force=force)
        (tmp_path / "m").mkdir(exist_ok=True)
        (tmp_path / "m" / "model.onnx").write_bytes(b"x" * 1000)
        return tmp_path / "m"

    monkeypatch.setattr(onnx_runtime, "build", build)
    monkeypatch.chdir(tmp_path)
    result = CliRunner().invoke(app, ["setup", "onnx", "--force"], env={"RAG_EMBEDDER": "all-MiniLM-L6-v2"})
    assert result.exit_code == 0, result.output
    assert seen == {"name": "all-MiniLM-L6-v2", "force": True}
    assert result.stdout.strip() == f"ONNX embedder ready: {Path(tmp_path / 'm' / 'model.onnx')} (0.0 MB)"
    # --model exports another packaged model than the configured one (EmbeddingGemma's opt-in runtime)
    result = CliRunner().invoke(app, ["setup", "onnx", "--model", "embeddinggemma-300m"])
    assert result.exit_code == 0, result.output
    assert seen == {"name": "embeddinggemma-300m", "force": False}


def test_setup_smoke_reports_a_crashed_build_in_one_line(monkeypatch, tmp_path):
    def crash(models_dir):
        raise GeneratorError("the llama.cpp build crashed on a tiny answer (SIGILL); rebuild it")

    monkeypatch.setattr(local_models, "smoke", crash)
    monkeypatch.chdir(tmp_path)
    result = CliRunner().invoke(app, ["setup", "smoke"])
    assert result.exit_code == GeneratorError.exit_code != 0
    assert result.stderr.strip().splitlines() == [
        "error: llama.cpp smoke test failed: the llama.cpp build "
        "crashed on a tiny answer (SIGILL); rebuild it"
    ]
    monkeypatch.setattr(local_models, "smoke", lambda models_dir: " Hello\n")
    ok = CliRunner().invoke(app, ["setup", "smoke"])
    assert ok.exit_code == 0
    assert ok.stdout.startswith(f"llama.cpp smoke test ok: {local_models.SMOKE_MODEL} said 'Hello'")
