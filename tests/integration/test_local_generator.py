"""The `local` generator against its managed llama_cpp.server child: the generator contract, the shared
server, and crashes (SIGKILL, SIGSEGV) of the model server in the middle of an answer."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from rag.errors import GeneratorError
from rag.generators.base import generators
from rag.generators.local import LocalGenerator
from rag.settings import Settings
from rag.types import user
from tests.contracts.generator import ESSAY, QUESTION, GeneratorContract

pytestmark = [pytest.mark.llm, pytest.mark.slow]

MODEL_NAME = "qwen2.5-coder-0.5b-instruct-q4_k_m"
MODEL = Settings().models_dir / f"{MODEL_NAME}.gguf"
SECRETS = {"RAG_OPENAI_API_KEY": "sk-must-not-leak", "RAG_ADMIN_PASSWORD": "must-not-leak"}


def needs_model() -> None:
    pytest.importorskip("llama_cpp.server.app", reason="llama-cpp-python[server] not installed (make setup)")
    if not MODEL.is_file():
        pytest.skip(f"{MODEL} missing: run `rag setup models` (make setup)")


@pytest.fixture(scope="module")
def local_generator() -> LocalGenerator:
    needs_model()
    gen = LocalGenerator(MODEL, context_window=2048, threads=2)
    with pytest.MonkeyPatch.context() as mp:  # the server starts with secrets in our environment
        for k, v in SECRETS.items():
            mp.setenv(k, v)
        gen.server.stop()  # in case another module started the shared server already
        gen.server.endpoint()
    return gen


def alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (FileNotFoundError, ProcessLookupError):
        return False
    return state not in ("Z", "X")  # a zombie nobody reaped yet is gone for our purpose


def answer(gen: LocalGenerator, max_tokens: int = 32) -> str:
    return "".join(gen.generate(*QUESTION, max_tokens=max_tokens))


def kill_mid_answer(gen: LocalGenerator, sig: signal.Signals) -> GeneratorError:
    pid = gen.server.pid
    stream = gen.generate(*ESSAY, max_tokens=400)
    assert next(stream)  # the answer is streaming
    os.kill(pid, sig)
    with pytest.raises(GeneratorError) as err:
        for _ in stream:
            pass
    return err.value


class TestLocalGenerator(GeneratorContract):
    @pytest.fixture
    def generator(self, local_generator):
        return local_generator


def test_runs_out_of_process_with_a_minimal_environment(local_generator):
    pid = local_generator.server.pid
    assert pid and pid != os.getpid() and alive(pid)
    env = Path(f"/proc/{pid}/environ").read_bytes().split(b"\0")
    names = {e.split(b"=", 1)[0].decode() for e in env if e}
    assert not names & set(SECRETS) and not any(n.startswith("RAG_") for n in names), names


def test_one_server_per_model_shared_by_generators(local_generator):
    other = LocalGenerator(MODEL, context_window=2048, threads=2)
    assert other.server is local_generator.server
    starts = local_generator.server.starts
    assert "1923" in answer(other) and "1923" in answer(local_generator)
    assert local_generator.server.starts == starts  # the model was not loaded again


def test_concurrent_answers_queue_in_the_server(local_generator):
    # interrupt_requests is off: a second request waits for the first instead of cutting it short
    results: list[str] = []
    threads = [threading.Thread(target=lambda: results.append(answer(local_generator))) for _ in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(results) == 3 and all("1923" in r for r in results), results


def test_count_tokens_uses_the_model_tokenizer(local_generator):
    assert local_generator.count_tokens("") == 0
    assert local_generator.count_tokens("hello world") == 2
    assert local_generator.count_tokens("<|im_start|>") == 1  # special tokens count as one


def test_prompt_longer_than_the_context_is_a_generator_error(local_generator):
    pid = local_generator.server.pid
    with pytest.raises(GeneratorError, match="RAG_MAX_CONTEXT_TOKENS"):
        "".join(local_generator.chat([user("word " * 3000)], max_tokens=8))
    assert local_generator.server.pid == pid  # the server's own error: nothing restarted


@pytest.mark.parametrize("sig", [signal.SIGKILL, signal.SIGSEGV], ids=lambda s: s.name)
def test_server_killed_mid_answer_is_one_line_and_restarted(local_generator, sig):
    assert "1923" in answer(local_generator)
    pid = local_generator.server.pid
    err = kill_mid_answer(local_generator, sig)
    assert str(err) == f"the local model stopped (killed by {sig.name}); restarting"
    assert "1923" in answer(local_generator)  # the next question: a new server, this process unharmed
    assert local_generator.server.pid not in (None, pid) and not alive(pid)


def test_server_dying_again_right_after_a_restart_is_not_restarted_in_a_loop(local_generator):
    assert "1923" in answer(local_generator)
    assert "restarting" in str(kill_mid_answer(local_generator, signal.SIGKILL))
    again = str(kill_mid_answer(local_generator, signal.SIGSEGV))  # before the restarted one answered
    assert again.startswith("the local model stopped again (killed by SIGSEGV)") and "make setup" in again
    assert "\n" not in again and local_generator.server.pid is None
    assert "1923" in answer(local_generator)  # the next question starts it, lazily


@pytest.mark.parametrize("how", ["exit", "SIGKILL"])
def test_server_stops_with_its_parent(how):
    needs_model()
    code = (
        "import sys, time\nfrom pathlib import Path\nfrom rag.generators.local import LocalGenerator\n"
        f"g = LocalGenerator(Path({str(MODEL)!r}), context_window=512, threads=1)\n"
        "g.server.endpoint()\nprint(g.server.pid, flush=True)\n"
        + ("time.sleep(600)\n" if how == "SIGKILL" else "")
    )
    parent = subprocess.Popen(
        [sys.executable, "-c", code],
        stdout=subprocess.PIPE,
        text=True,
        cwd=Path(__file__).resolve().parents[2],
    )
    try:
        server_pid = int(parent.stdout.readline())
        if how == "SIGKILL":
            assert alive(server_pid)
            parent.kill()
        parent.wait(timeout=60)
        deadline = time.monotonic() + 30
        while alive(server_pid) and time.monotonic() < deadline:
            time.sleep(0.1)
        assert not alive(server_pid)
    finally:
        parent.kill()
        parent.wait()


def test_missing_model_says_how_to_fix_it(tmp_path):
    with pytest.raises(GeneratorError, match="make setup"):
        LocalGenerator(tmp_path / "absent.gguf")


def test_factory_takes_model_and_limits_from_settings():
    needs_model()
    gen = generators.create("local", Settings(_env_file=None, local_model=MODEL_NAME, local_context=1024))
    assert gen.model_path == MODEL and gen.context_window == 1024
    assert gen.server.context_window == 1024 and gen.server.pid is None  # started by the first request
