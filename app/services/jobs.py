"""Long work (ingest, reindex, evaluation) on a background thread, with progress anyone can poll.

A web page script must return quickly and may be interrupted by the user at any widget click; the
job thread is neither. Jobs run in "lanes": at most one job per lane at a time, so two index writes
never queue up behind the index write lock while evaluation (which writes elsewhere) runs beside them.
"""

from __future__ import annotations

import logging
import threading
import time
import uuid
from dataclasses import dataclass, field
from typing import Any, Callable

from rag.errors import IndexBusyError, RagError

log = logging.getLogger(__name__)
KEEP = 50  # finished jobs remembered for the pages that started them


@dataclass
class Job:
    kind: str  # "ingest", "reindex", "prune", "eval"
    lane: str
    id: str = field(default_factory=lambda: uuid.uuid4().hex[:12])
    state: str = "running"  # running | done | failed
    done: int = 0
    total: int = 0
    current: str = ""
    result: Any = None
    error: str = ""
    messages: list[str] = field(default_factory=list)
    started: float = field(default_factory=time.time)
    finished: float | None = None

    @property
    def running(self) -> bool:
        return self.state == "running"

    @property
    def fraction(self) -> float:
        return min(self.done / self.total, 1.0) if self.total else 0.0

    @property
    def seconds(self) -> float:
        return (self.finished or time.time()) - self.started

    # the callbacks handed to the library: ingest's Progress and eval's Log
    def progress(self, done: int, total: int, current: str) -> None:
        self.done, self.total, self.current = done, total, current

    def log(self, message: str) -> None:
        self.messages.append(message)


class Jobs:
    """One per process (cached by the app), shared by every browser session."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._jobs: dict[str, Job] = {}

    def start(self, kind: str, work: Callable[[Job], Any], lane: str = "index") -> Job:
        with self._lock:
            busy = self.running(lane)
            if busy is not None:
                raise IndexBusyError(f"{busy.kind} already in progress; try again when it finishes")
            job = Job(kind, lane)
            self._jobs[job.id] = job
            self._forget_old()
        threading.Thread(target=self._run, args=(job, work), name=f"job-{kind}-{job.id}", daemon=True).start()
        return job

    def _run(self, job: Job, work: Callable[[Job], Any]) -> None:
        try:
            job.result = work(job)
            job.state = "done"
        except RagError as e:
            job.error, job.state = str(e), "failed"
        except Exception as e:  # a bug must still end the job visibly, not leave it "running" forever
            log.exception("%s job failed", job.kind)
            job.error = f"unexpected error ({type(e).__name__}: {str(e)[:200]}); see the server log"
            job.state = "failed"
        finally:
            job.finished = time.time()

    def get(self, job_id: str | None) -> Job | None:
        return self._jobs.get(job_id) if job_id else None

    def running(self, lane: str = "index") -> Job | None:
        return next((j for j in self._jobs.values() if j.lane == lane and j.running), None)

    def latest(self, kind: str) -> Job | None:
        found = [j for j in self._jobs.values() if j.kind == kind]
        return max(found, key=lambda j: j.started) if found else None

    def wait(self, job: Job, timeout: float) -> bool:
        """For tests and scripts: True once the job has finished."""
        deadline = time.monotonic() + timeout
        while job.running and time.monotonic() < deadline:
            time.sleep(0.05)
        return not job.running

    def _forget_old(self) -> None:
        done = sorted((j for j in self._jobs.values() if not j.running), key=lambda j: j.started)
        for j in done[: max(0, len(self._jobs) - KEEP)]:
            del self._jobs[j.id]
