"""Parse files in a separate, memory-capped worker process with a per-file time limit.

A hostile PDF can loop forever or blow up memory inside pypdf; a worker we can kill is the only
reliable cap. It also lets parsing of the next file overlap with embedding of the current one.
"""
from __future__ import annotations

import multiprocessing
import resource
from concurrent.futures import TimeoutError as FutureTimeout
from pathlib import Path

from rag.errors import DocumentError, RagError

from .loaders import LoadedDocument, loader_for

WORKER_MEMORY_BYTES = 4 * 1024**3


def _limit_memory() -> None:
    try:
        resource.setrlimit(resource.RLIMIT_AS, (WORKER_MEMORY_BYTES, WORKER_MEMORY_BYTES))
    except (ValueError, OSError):
        pass


def check_file(path: Path, max_bytes: int) -> None:
    """Cheap checks done before a file is sent to a worker."""
    if not path.is_file():
        raise DocumentError("not found" if not path.exists() else "not a regular file")
    loader_for(path)  # unsupported type -> clear error, no worker round trip
    size = path.stat().st_size
    if size == 0:
        raise DocumentError("empty: 0 bytes")
    if size > max_bytes:
        raise DocumentError(f"too large ({size / 1e6:.1f} MB > limit {max_bytes / 1e6:.0f} MB)")


def parse_file(path: str, max_pages: int) -> LoadedDocument:
    p = Path(path)
    try:
        return loader_for(p).load(p, max_pages)
    except RagError:
        raise
    except MemoryError:
        raise DocumentError("too large to parse within the memory limit") from None
    except Exception as e:  # a loader bug on a weird file is that file's failure, not the batch's
        raise DocumentError(f"could not parse ({type(e).__name__}: {str(e)[:100]})") from None


class Parser:
    """Submits files to one killable worker process; results come back in submission order."""

    def __init__(self, timeout_s: float, max_pages: int, workers: int = 1) -> None:
        from pebble import ProcessPool

        self.timeout_s = timeout_s
        self.max_pages = max_pages
        # spawn: forking a process that holds torch threads and gRPC/Chroma handles is unsafe
        self._pool = ProcessPool(max_workers=workers, initializer=_limit_memory,
                                 context=multiprocessing.get_context("spawn"))

    def submit(self, path: Path):
        return self._pool.schedule(parse_file, args=(str(path), self.max_pages), timeout=self.timeout_s)

    def result(self, future) -> LoadedDocument:
        from pebble import ProcessExpired

        try:
            return future.result()
        except FutureTimeout:
            raise DocumentError(f"timed out after {self.timeout_s:.0f} s while parsing") from None
        except ProcessExpired as e:
            raise DocumentError(f"parser crashed (exit code {e.exitcode}; likely too large or corrupt)") from None
        except RagError:
            raise
        except MemoryError:
            raise DocumentError("too large to parse within the memory limit") from None

    def close(self) -> None:
        self._pool.stop()
        self._pool.join(timeout=5)

    def __enter__(self) -> "Parser":
        return self

    def __exit__(self, *exc) -> None:
        self.close()
