"""Supervise one `llama_cpp.server` child per model: the local model runs out of process.

A crash in llama.cpp (a bad CPU kernel, a SIGSEGV, the OOM killer) then costs one answer, not the
app: the caller gets a one-line GeneratorError and the server is restarted once. The server listens
on a free 127.0.0.1 port, queues concurrent requests itself (interrupt_requests off, so a second
request waits instead of cutting the first one short) and loads the model once per process.

The child dies with its parent: atexit stops it, and PR_SET_PDEATHSIG (set by a tiny bootstrap in
the child, not a preexec_fn, which can deadlock in a threaded parent) kills it if the parent is
SIGKILLed. Linux sends that signal when the *thread* that forked exits, so every child is forked by
one long-lived launcher thread, never by a short-lived Streamlit script thread.
"""

from __future__ import annotations

import atexit
import importlib.util
import json
import logging
import os
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from ..errors import GeneratorError

log = logging.getLogger(__name__)

REBUILD = "rebuild llama.cpp for this CPU: `rm -rf .wheels .venv && make setup`"
START_TIMEOUT_S = 180.0  # loading a 1 GB model on 2 busy cores
# The child sees only these variables: no RAG_OPENAI_API_KEY / RAG_ADMIN_PASSWORD, and none of the
# MODEL, PORT, API_KEY... that llama_cpp.server's settings would read from the environment.
_ENV_KEEP = ("PATH", "HOME", "USER", "LANG", "LC_ALL", "LC_CTYPE", "TMPDIR", "TZ")

_BOOTSTRAP = """\
import ctypes, os, resource, runpy, signal, sys
resource.setrlimit(resource.RLIMIT_CORE, (0, 0))  # a crash leaves no core file of the model's size
if sys.platform.startswith("linux"):
    ctypes.CDLL(None, use_errno=True).prctl(1, ctypes.c_ulong(signal.SIGKILL))  # PR_SET_PDEATHSIG
if os.getppid() != int(sys.argv[1]):
    sys.exit("parent gone before the model server started")
sys.argv = ["llama_cpp.server", *sys.argv[2:]]
runpy.run_module("llama_cpp.server", run_name="__main__", alter_sys=True)
"""

_launcher: ThreadPoolExecutor | None = None
_servers: dict[tuple, LlamaServer] = {}
_servers_pid = os.getpid()
_registry_lock = threading.Lock()


def _spawn(cmd: list[str], **kw) -> subprocess.Popen:
    global _launcher
    with _registry_lock:
        if _launcher is None:
            _launcher = ThreadPoolExecutor(1, thread_name_prefix="llama-launcher")
    return _launcher.submit(subprocess.Popen, cmd, **kw).result()


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def describe_exit(code: int) -> str:
    if code < 0:
        try:
            return f"killed by {signal.Signals(-code).name}"
        except ValueError:
            return f"killed by signal {-code}"
    return f"exit code {code}"


class LlamaServer:
    """One llama_cpp.server child. `endpoint()` starts it lazily and returns its URL; a request that
    fails hands its `start` number to `failure()`, which says whether the server died and restarts it."""

    def __init__(
        self,
        model_path: Path,
        context_window: int = 4096,
        threads: int = 2,
        start_timeout: float = START_TIMEOUT_S,
    ) -> None:
        self.model_path = Path(model_path).absolute()  # the child runs in another directory
        self.context_window = context_window
        self.threads = threads
        self.start_timeout = start_timeout
        self.alias = f"{self.model_path.stem}-{os.getpid()}"  # the health check knows it is ours
        self.log_path = Path(tempfile.gettempdir()) / f"docqa-llama-{os.getpid()}-{self.model_path.stem}.log"
        self.starts = 0  # how many children were spawned; a request remembers which one it used
        self._proc: subprocess.Popen | None = None
        self._port = 0
        self._ready = False
        self._restarts_left = 1  # refilled by every answered request
        self._lock = threading.Lock()

    # lifecycle ------------------------------------------------------------------------------------------
    @property
    def pid(self) -> int | None:
        return self._proc.pid if self._proc else None

    def endpoint(self) -> tuple[str, int]:
        """(base URL ending in /v1, start number) of a running, loaded server; starts one if needed."""
        with self._lock:
            if self._proc is not None and self._proc.poll() is not None:  # died between requests
                log.warning("the local model stopped (%s); restarting", describe_exit(self._proc.returncode))
                self._proc = None
            if self._proc is None:
                self._start()
            if not self._ready:
                self._wait_ready()
            return f"http://127.0.0.1:{self._port}/v1", self.starts

    def answered(self) -> None:
        """A request went through: the next crash may be restarted again."""
        self._restarts_left = 1

    def failure(self, start: int) -> str | None:
        """After a request to start number `start` failed: a one-line message if the server died
        (restarting it, once in a row), None if it still runs and the error is the request's own."""
        with self._lock:
            if start != self.starts:  # another request saw the same death first and restarted it
                return "the local model stopped; restarting"
            if self._proc is None:
                return "the local model stopped"
            if (why := self.exit_reason()) is None:
                return None
            if self._restarts_left > 0:
                self._restarts_left -= 1
                self._start()  # loads while the user reads the message; the next endpoint() waits
                return f"the local model stopped ({why}); restarting"
            self._proc = None  # the next question starts it again, lazily
            return (
                f"the local model stopped again ({why}) right after a restart; not restarting it "
                f"automatically: {REBUILD} (server log: {self.log_path})"
            )

    def exit_reason(self, wait: float = 2.0) -> str | None:
        """How the current child ended ("killed by SIGSEGV"), None while it runs."""
        proc = self._proc
        if proc is None:
            return None
        try:
            return describe_exit(proc.wait(timeout=wait))  # a killed child may take a moment to be reaped
        except subprocess.TimeoutExpired:
            return None

    def stop(self) -> None:
        with self._lock:
            proc, self._proc, self._ready = self._proc, None, False
        if proc is not None and proc.poll() is None:
            proc.terminate()
            try:
                proc.wait(timeout=5)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
        self.log_path.unlink(missing_ok=True)

    # internals (called with self._lock held) ---------------------------------------------------------------
    def _start(self) -> None:
        if importlib.util.find_spec("llama_cpp") is None:
            raise GeneratorError("llama-cpp-python[server] is not installed: run `make setup`")
        if not self.model_path.is_file():
            raise GeneratorError(f"local model {self.model_path} is missing: run `make setup`")
        self._port = _free_port()
        cmd = [
            sys.executable,
            "-c",
            _BOOTSTRAP,
            str(os.getpid()),
            "--model",
            str(self.model_path),
            "--model_alias",
            self.alias,
            "--host",
            "127.0.0.1",
            "--port",
            str(self._port),
            "--n_ctx",
            str(self.context_window),
            "--n_threads",
            str(self.threads),
            "--n_threads_batch",
            str(self.threads),
            "--interrupt_requests",
            "False",
            "--verbose",
            "False",
        ]
        env = {k: v for k, v in os.environ.items() if k in _ENV_KEEP} | {"PYTHONUNBUFFERED": "1"}
        # OpenMP threads that spin between tokens made decoding ~10x slower on 2 busy cores
        # (docs/benchmarks.md); sleeping ones cost little when the machine is quiet
        env["OMP_WAIT_POLICY"] = os.environ.get("OMP_WAIT_POLICY", "PASSIVE")
        with self.log_path.open("ab") as out:
            out.write(f"--- start {self.starts + 1}: port {self._port}\n".encode())
            out.flush()
            self._proc = _spawn(
                cmd,
                stdin=subprocess.DEVNULL,
                stdout=out,
                stderr=subprocess.STDOUT,
                env=env,
                cwd=tempfile.gettempdir(),
            )
        self.starts += 1
        self._ready = False

    def _wait_ready(self) -> None:
        deadline = time.monotonic() + self.start_timeout
        for attempt in range(3):
            while True:
                if (code := self._proc.poll()) is not None:
                    tail = self._log_tail()
                    if "address already in use" in tail.lower() and attempt < 2:
                        self._start()  # lost the race for the free port: try another one
                        break
                    self._proc = None
                    fix = REBUILD if code < 0 else f"server log: {self.log_path}"  # a signal: the build
                    raise GeneratorError(
                        f"the local model server could not load {self.model_path.name} "
                        f"({describe_exit(code)}: {tail or 'no output'}); {fix}"
                    )
                if self._is_ours():
                    self._ready = True
                    return
                if time.monotonic() > deadline:
                    self._proc.kill()
                    self._proc = None
                    raise GeneratorError(
                        f"the local model server did not start within "
                        f"{self.start_timeout:g} s (log: {self.log_path})"
                    )
                time.sleep(0.2)

    def _is_ours(self) -> bool:
        # /v1/models answers only once the model is loaded, and lists our alias (not a stranger's port)
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{self._port}/v1/models", timeout=2) as r:
                return any(m.get("id") == self.alias for m in json.load(r).get("data", []))
        except (OSError, ValueError):
            return False

    def _log_tail(self) -> str:
        try:
            lines = self.log_path.read_text(errors="replace").strip().splitlines()
        except OSError:
            return ""
        last = (ln.strip() for ln in reversed(lines) if ln.strip() and not ln.startswith("---"))
        return next(last, "")[:300]


def server_for(model_path: Path, context_window: int, threads: int) -> LlamaServer:
    """The process-wide server for this model and context: all sessions and generators share it."""
    global _servers_pid
    key = (Path(model_path).resolve(), context_window, threads)
    with _registry_lock:
        if _servers_pid != os.getpid():  # a forked child must not talk to its parent's children
            _servers.clear()
            _servers_pid = os.getpid()
        if key not in _servers:
            _servers[key] = LlamaServer(model_path, context_window, threads)
        return _servers[key]


@atexit.register
def stop_all() -> None:
    for server in list(_servers.values()):
        server.stop()
