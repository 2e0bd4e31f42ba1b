"""What every route shares: the process's services (the same ones the CLI and the app compose) and a
bound on questions being answered at once."""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from typing import Iterator, Sequence

from fastapi import Request

from app.services.jobs import Jobs
from app.services.library import Library
from rag.service import AnswerService, AnswerStream
from rag.settings import Settings
from rag.types import Message

from .auth import Keys
from .errors import ApiError

# below anyio's 40 worker threads, so listing documents or polling a job still gets a thread
MAX_IN_FLIGHT = 32


@dataclass
class Services:
    settings: Settings
    answers: AnswerService
    library: Library
    jobs: Jobs
    keys: Keys
    generators: list[str]  # what a client may pick (app.services.admin.allowed_generators)
    _slots: threading.BoundedSemaphore = field(
        default_factory=lambda: threading.BoundedSemaphore(MAX_IN_FLIGHT)
    )

    def answer(
        self,
        question: str,
        history: Sequence[Message] = (),
        generator: str | None = None,
        top_k: int | None = None,
        doc_ids: Sequence[str] | None = None,
    ) -> "Slot":
        """Retrieve and start answering (call from a worker thread); the slot is held until `close()`."""
        if generator is not None and generator not in self.generators:
            raise ApiError(
                422,
                "invalid_request",
                f"generator {generator!r} is not available here; choose one of {self.generators}",
            )
        if not self._slots.acquire(blocking=False):
            raise ApiError(
                503,
                "overloaded",
                f"{MAX_IN_FLIGHT} questions are being answered already; retry in a moment",
                {"Retry-After": "1"},
            )
        try:
            return Slot(
                self._slots,
                self.answers.answer(
                    question, history=history, generator=generator, top_k=top_k, doc_ids=doc_ids
                ),
            )
        except BaseException:
            self._slots.release()
            raise


class Slot:
    """An AnswerStream holding one in-flight slot; iterate `pieces()` (or `collect()`), always `close()`."""

    def __init__(self, slots: threading.BoundedSemaphore, stream: AnswerStream) -> None:
        self._slots, self.stream, self._open = slots, stream, True

    @property
    def answer(self):
        return self.stream.answer

    def pieces(self) -> Iterator[str]:
        return self.stream.stream()

    def collect(self):
        try:
            return self.stream.collect()
        finally:
            self.close()

    def close(self) -> None:
        if self._open:
            self._open = False
            self._slots.release()


def services(request: Request) -> Services:
    return request.app.state.services
