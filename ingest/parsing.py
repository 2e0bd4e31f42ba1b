"""Parse files in a separate, memory-capped worker process with a per-file time limit.

A hostile PDF can loop forever or blow up memory inside pypdf; a worker we can kill is the only
reliable cap. It also lets parsing of the next file overlap with embedding of the current one.
The worker is `python -m ingest.worker` over pipes rather than multiprocessing, so a user's script
without an `if __name__ == "__main__"` guard is never re-imported in a child. Before its answer a worker may
send ("note", text) frames (a long OCR says "OCR page 3 of 40"), handed to the `on_note` given to `submit`.
"""

from __future__ import annotations

import logging
import os
import pickle
import select
import struct
import subprocess
import sys
import threading
import time
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path
from typing import Callable

from rag.errors import DocumentError, RagError

from .archives import check_zip
from .loaders import LoadedDocument, ParseOptions, loader_for
from .sandbox import worker_env

log = logging.getLogger(__name__)
WORKER_MEMORY_BYTES = 4 * 1024**3
WALL_FACTOR = 5  # a parse may take this many times its CPU limit in wall time on a loaded machine
_LEN = struct.Struct("!I")


def check_file(path: Path, max_bytes: int) -> None:
    """Cheap checks done before a file is sent to a worker."""
    if not path.is_file():  # first: a mistyped folder name is "not found", not "unsupported type"
        raise DocumentError("not found" if not path.exists() else "not a regular file")
    loader_for(path)  # unsupported type -> clear error, no worker round trip
    size = path.stat().st_size
    if size == 0:
        raise DocumentError("empty: 0 bytes")
    if size > max_bytes:
        raise DocumentError(f"too large ({size / 1e6:.1f} MB > limit {max_bytes / 1e6:.0f} MB)")
    if path.suffix.lower() == ".docx":
        check_zip(path)  # a zip bomb is refused from its directory, before it costs the worker anything


def parse_options(settings) -> ParseOptions:
    return ParseOptions(
        tables=settings.pdf_tables,
        ocr=settings.ocr,
        ocr_max_pages=settings.ocr_max_pages,
        ocr_page_timeout_s=settings.ocr_page_timeout_s,
    )


def parse_file(
    path: str,
    max_pages: int,
    options: ParseOptions | None = None,
    progress: Callable[[str], None] | None = None,
) -> LoadedDocument:
    p = Path(path)
    try:
        loader = loader_for(p)
        if options is not None and hasattr(loader, "options"):
            loader.options = options
        if progress is not None and hasattr(loader, "progress"):
            loader.progress = progress
        return loader.load(p, max_pages)
    except RagError:
        raise
    except MemoryError:
        raise DocumentError("too large to parse within the memory limit") from None
    except Exception as e:  # a loader bug on a weird file is that file's failure, not the batch's
        raise DocumentError(f"could not parse ({type(e).__name__}: {str(e)[:100]})") from None


def write_frame(stream, obj) -> None:
    data = pickle.dumps(obj, protocol=pickle.HIGHEST_PROTOCOL)
    stream.write(_LEN.pack(len(data)) + data)
    stream.flush()


def _read_exact(stream, n: int) -> bytearray:
    buf = bytearray(n)
    view, got = memoryview(buf), 0
    while got < n:  # a raw (unbuffered) pipe may return less than asked
        k = stream.readinto(view[got:])
        if not k:
            raise EOFError
        got += k
    return buf


def read_frame(stream):
    (n,) = _LEN.unpack(_read_exact(stream, _LEN.size))
    return pickle.loads(_read_exact(stream, n))


def _cpu_seconds(pid: int) -> float | None:
    """User + system CPU time of a process (Linux /proc); None where that is not available."""
    try:
        with open(f"/proc/{pid}/stat", "rb") as f:
            fields = f.read().rsplit(b")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    except (OSError, ValueError, IndexError):
        return None


class _Worker:
    def __init__(self, cpu_s: float = 600.0) -> None:
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "ingest.worker"],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            env=worker_env(cpu_s),
        )  # no secrets; see ingest/sandbox.py
        # frames are read unbuffered: a buffered reader could hold the answer behind a note while
        # select() sees an empty pipe
        self.out = self.proc.stdout.raw

    def call(
        self,
        path: str,
        max_pages: int,
        timeout_s: float,
        options: ParseOptions | None = None,
        on_note: Callable[[str], None] | None = None,
    ) -> LoadedDocument:
        write_frame(self.proc.stdin, (path, max_pages, options))
        start, cpu0 = time.monotonic(), _cpu_seconds(self.proc.pid)
        while True:
            self._wait(timeout_s, start, cpu0)  # notes do not reset the file's time limit
            try:
                status, value = read_frame(self.out)
            except (EOFError, pickle.UnpicklingError):
                code = self.proc.wait(timeout=5)
                raise DocumentError(
                    f"parser crashed (exit code {code}; likely too large or corrupt)"
                ) from None
            if status == "note":
                if on_note is not None:
                    try:
                        on_note(value)
                    except Exception:  # a progress display's bug must not fail the file
                        log.debug("progress callback failed", exc_info=True)
                self._check(timeout_s, start, cpu0)  # a worker sending notes nonstop is still stopped
                continue
            if status == "ok":
                return value
            raise DocumentError(value)

    def _wait(self, timeout_s: float, start: float, cpu0: float | None) -> None:
        """Until the worker writes a frame. The limit is the worker's CPU time, so a busy machine (the
        embedder runs beside it) does not fail a big but valid file; wall time is capped too, for a stuck
        read. OCR runs in tesseract subprocesses, so its time counts against the wall cap only; each page
        has its own limit (ParseOptions.ocr_page_timeout_s) and the page cap bounds the total."""
        while not select.select([self.out], [], [], 0.5)[0]:
            self._check(timeout_s, start, cpu0)

    def _check(self, timeout_s: float, start: float, cpu0: float | None) -> None:
        wall = time.monotonic() - start
        cpu = _cpu_seconds(self.proc.pid)
        used = cpu - cpu0 if cpu is not None and cpu0 is not None else wall
        if used > timeout_s or wall > WALL_FACTOR * timeout_s:
            self.kill()
            raise DocumentError(f"timed out after {timeout_s:.0f} s while parsing")

    def alive(self) -> bool:
        return self.proc.poll() is None

    def kill(self) -> None:
        self.proc.kill()
        self.proc.wait()


class Parser:
    """Parses files in a pool of `workers` killable worker processes, one file per worker at a time;
    `submit` returns at once so parsing of the next files overlaps with embedding of the current one.
    A file that times out or crashes its worker fails alone: only that worker is killed (and replaced)."""

    def __init__(
        self, timeout_s: float, max_pages: int, options: ParseOptions | None = None, workers: int = 1
    ) -> None:
        self.timeout_s = timeout_s
        self.max_pages = max_pages
        self.options = options
        self.workers = max(1, workers)
        self._idle: list[_Worker] = []  # started workers not parsing right now
        self._all: list[_Worker] = []
        self._lock = threading.Lock()
        self._thread = ThreadPoolExecutor(max_workers=self.workers, thread_name_prefix="parser")

    def _parse(self, path: Path, on_note: Callable[[str], None] | None = None) -> LoadedDocument:
        with self._lock:  # each pool thread takes a live worker of its own, or starts one
            worker = None
            while self._idle and worker is None:
                w = self._idle.pop()
                worker = w if w.alive() else None
        if worker is None:
            worker = _Worker(self.timeout_s)  # (re)started after a timeout or crash
            with self._lock:
                self._all = [w for w in self._all if w.alive()] + [worker]
        try:
            return worker.call(str(path), self.max_pages, self.timeout_s, self.options, on_note)
        finally:
            if worker.alive():
                with self._lock:
                    self._idle.append(worker)

    def submit(self, path: Path, on_note: Callable[[str], None] | None = None) -> Future:
        """`on_note` hears the worker's notes on this file ("OCR page 3 of 40"), on a pool thread."""
        return self._thread.submit(self._parse, path, on_note)

    def result(self, future: Future) -> LoadedDocument:
        try:
            return future.result()
        except (BrokenPipeError, OSError) as e:
            raise DocumentError(f"parser unavailable ({type(e).__name__})") from None

    def close(self) -> None:
        self._thread.shutdown(wait=True, cancel_futures=True)
        for worker in self._all:
            if worker.alive():
                worker.proc.stdin.close()
                try:
                    worker.proc.wait(timeout=5)
                except subprocess.TimeoutExpired:
                    worker.kill()

    def __enter__(self) -> "Parser":
        return self

    def __exit__(self, *exc) -> None:
        self.close()
