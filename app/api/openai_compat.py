"""docqa as an OpenAI-compatible "model", so any OpenAI client or chat front-end can ask the documents.

The message content is the checked answer with [n] markers and a short "Sources" list; the full
citation objects ride along in the extra `citations` field (and `docqa` holds refusal, notes, sources,
timings). A refusal is a normal assistant message.

Streaming sends only checked text: a chat UI cannot take back a citation it has already shown, and
checking needs the whole answer. While an LLM writes, SSE comments keep the connection alive; the
content follows as soon as the answer is checked. (Raw pieces as they come: POST /v1/ask with stream.)
"""

from __future__ import annotations

import json
import time
import uuid
from pathlib import Path
from typing import Any, Iterator, Literal

from fastapi import APIRouter, Depends
from fastapi.responses import StreamingResponse
from pydantic import BaseModel, ConfigDict, Field

from rag.types import Answer, Chunk, Message

from .auth import require_key
from .deps import Services, Slot, services
from .errors import ApiError, as_body
from .models import MAX_HISTORY, MAX_QUESTION, CitationOut, Error, SourceOut

MODEL = "docqa"
KEEPALIVE_S = 1.0
SOURCES, CLOSEST = "\n\nSources:\n", "\n\nClosest sources:\n"
router = APIRouter(
    tags=["OpenAI-compatible"],
    dependencies=[Depends(require_key)],
    responses={s: {"model": Error} for s in (401, 404, 422, 503)},
)


class ModelCard(BaseModel):
    id: str
    object: Literal["model"] = "model"
    created: int = 0
    owned_by: str = "docqa"


class ModelList(BaseModel):
    object: Literal["list"] = "list"
    data: list[ModelCard]


class TextPart(BaseModel):
    model_config = ConfigDict(extra="allow")
    type: str
    text: str = ""


class ChatMessage(BaseModel):
    model_config = ConfigDict(extra="allow")
    role: Literal["system", "developer", "user", "assistant", "tool", "function"]
    content: str | list[TextPart] | None = None  # the whole body is bounded (limits.py)

    def text(self) -> str:
        if isinstance(self.content, list):
            return "\n".join(p.text for p in self.content if p.type == "text")
        return self.content or ""


class ChatRequest(BaseModel):
    """The OpenAI request; sampling options (temperature, max_tokens, ...) are accepted and ignored."""

    model_config = ConfigDict(extra="allow")
    model: str = Field(description=f"{MODEL!r} (the server's default generator) or '{MODEL}:<generator>'")
    messages: list[ChatMessage] = Field(min_length=1, max_length=200)
    stream: bool = False


def _models(svc: Services) -> list[str]:
    return [MODEL] + [f"{MODEL}:{g}" for g in svc.generators]


@router.get("/v1/models", response_model=ModelList)
def models(svc: Services = Depends(services)) -> ModelList:
    return ModelList(data=[ModelCard(id=m) for m in _models(svc)])


def _generator(model: str, svc: Services) -> str | None:
    if model not in _models(svc):
        raise ApiError(404, "model_not_found", f"no model {model!r}; choose one of {_models(svc)}")
    return model.partition(":")[2] or None


def _start(req: ChatRequest, svc: Services) -> Slot:
    generator = _generator(req.model, svc)
    last = req.messages[-1]
    question = last.text().strip()
    if last.role != "user" or not question:
        raise ApiError(422, "invalid_request", "the last message must be the user's question, with text")
    if len(question) > MAX_QUESTION:
        raise ApiError(422, "invalid_request", f"the question is longer than {MAX_QUESTION} characters")
    history = [Message(m.role, _answer_part(m)) for m in req.messages[:-1] if m.role in ("user", "assistant")]
    return svc.answer(question, history[-MAX_HISTORY:], generator)


def _answer_part(m: ChatMessage) -> str:
    """An earlier assistant turn without the sources list this endpoint appended to it."""
    text = m.text()
    return text.split(SOURCES)[0].split(CLOSEST)[0] if m.role == "assistant" else text


def label(chunk: Chunk) -> str:
    title = chunk.title or Path(chunk.source).name
    return f"{title}, page {chunk.page}" if chunk.doc_type == "pdf" else title


def content(a: Answer) -> str:
    """What a chat UI shows: the answer, then where it came from."""
    if a.refused:
        seen = list(dict.fromkeys(label(h.chunk) for h in a.sources))[:3]
        return a.text + (CLOSEST + "\n".join(f"- {s}" for s in seen) if seen else "")
    if not a.citations:
        return a.text
    return a.text + SOURCES + "\n".join(f"[{c.n}] {label(c.chunk)}" for c in a.citations)


def extras(a: Answer) -> dict[str, Any]:
    return {
        "citations": [CitationOut.of(c).model_dump() for c in a.citations],
        "docqa": {
            "refused": a.refused,
            "notes": list(a.notes),
            "sources": [SourceOut.of(h).model_dump() for h in a.sources],
            "timings": {k: round(v, 4) for k, v in a.timings.items()},
        },
    }


@router.post("/v1/chat/completions", responses={200: {"content": {"text/event-stream": {}}}})
def chat_completions(req: ChatRequest, svc: Services = Depends(services)):
    """The last user message is the question, earlier user/assistant turns are the conversation."""
    slot = _start(req, svc)
    cid, created = f"chatcmpl-{uuid.uuid4().hex[:24]}", int(time.time())
    if req.stream:
        return StreamingResponse(
            _chunks(slot, cid, created, req.model),
            media_type="text/event-stream",
            headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"},
        )
    a = slot.collect()
    return {
        "id": cid,
        "object": "chat.completion",
        "created": created,
        "model": req.model,
        "choices": [
            {
                "index": 0,
                "message": {"role": "assistant", "content": content(a)},
                "finish_reason": "stop",
                "logprobs": None,
            }
        ],
        **extras(a),
    }


def _chunks(slot: Slot, cid: str, created: int, model: str) -> Iterator[str]:
    def chunk(delta: dict, finish: str | None = None, **extra) -> str:
        body = {
            "id": cid,
            "object": "chat.completion.chunk",
            "created": created,
            "model": model,
            "choices": [{"index": 0, "delta": delta, "finish_reason": finish, "logprobs": None}],
            **extra,
        }
        return f"data: {json.dumps(body, ensure_ascii=False)}\n\n"

    try:
        yield chunk({"role": "assistant", "content": ""})
        last = time.monotonic()
        for _ in slot.pieces():  # drives generation; the text shown is the checked answer below
            if time.monotonic() - last > KEEPALIVE_S:
                last = time.monotonic()
                yield ": generating\n\n"
        a = slot.answer
        yield chunk({"content": content(a)})
        yield chunk({}, "stop", **extras(a))
        yield "data: [DONE]\n\n"
    except Exception as e:  # OpenAI's shape for an error inside a stream, which its clients raise
        err = as_body(e)
        yield f"data: {json.dumps({'error': {'message': err['detail'], 'type': err['error']}})}\n\n"
    finally:
        slot.close()
