"""An OpenAI-compatible face: `GET /v1/models` and `POST /v1/chat/completions`, so an existing chat front end
(Open WebUI, LibreChat, any OpenAI client) can use familydesk as a model.

The last user message is the question; the messages before it are the conversation (follow-ups are read
with them, as on /api/ask). The reply's text is the extractive answer followed by its numbered clause
references; the same citations as /api/ask ride along as an extra `citations` field. Streaming uses
OpenAI's chunk format and ends with `data: [DONE]`. With FAMILYDESK_API_KEYS set, a bearer key is required.
"""
from __future__ import annotations

import hmac
import json
import time
import uuid
from typing import Any, Literal

from fastapi import APIRouter, Depends, Request
from fastapi.responses import JSONResponse, StreamingResponse
from pydantic import BaseModel, Field
from starlette.concurrency import run_in_threadpool

from .deps import AssistantDep
from .models import Answer

MODEL = "familydesk"
MAX_MESSAGES = 21  # the question and 20 messages of history


class ChatMessage(BaseModel):
    role: Literal["system", "developer", "user", "assistant", "tool"]
    content: str | list[dict[str, Any]] | None = None


class ChatRequest(BaseModel):
    model: str = MODEL
    messages: list[ChatMessage] = Field(..., min_length=1)
    stream: bool = False


class OpenAIError(Exception):
    """An error in OpenAI's shape: {"error": {"message", "type", "code"}}."""

    def __init__(self, status: int, message: str, kind: str = "invalid_request_error", code: str | None = None):
        self.status, self.message, self.kind, self.code = status, message, kind, code


def require_key(request: Request) -> None:
    """With FAMILYDESK_API_KEYS set, the client must send one of them as a bearer token."""
    keys = request.app.state.settings.api_keys
    if not keys:
        return
    sent = request.headers.get("authorization", "").removeprefix("Bearer ").strip()
    if not any(hmac.compare_digest(sent.encode(), k.strip().encode()) for k in keys.get_secret_value().split(",")
               if k.strip()):
        raise OpenAIError(401, "a valid API key is required: Authorization: Bearer <one of FAMILYDESK_API_KEYS>",
                          "invalid_api_key", "invalid_api_key")


router = APIRouter(prefix="/v1", dependencies=[Depends(require_key)], tags=["OpenAI-compatible"])


def _text(content: str | list[dict[str, Any]] | None) -> str:
    if isinstance(content, list):  # content parts: keep the text ones
        return "".join(p.get("text", "") for p in content if isinstance(p, dict) and p.get("type") == "text")
    return content or ""


def _split(messages: list[ChatMessage]) -> tuple[str, list[dict]]:
    """(the question, the conversation before it) from OpenAI messages; system prompts are not questions."""
    talk = [m for m in messages if m.role in ("user", "assistant")]
    if not talk or talk[-1].role != "user" or not _text(talk[-1].content).strip():
        raise OpenAIError(400, "the last message must be a user message with the question")
    if len(talk) > MAX_MESSAGES:
        raise OpenAIError(400, f"at most {MAX_MESSAGES - 1} messages of history are read; start a new conversation")
    history = [{"role": m.role, "content": _text(m.content)[:4000]} for m in talk[:-1]]
    return _text(talk[-1].content), history


def rendered(answer: Answer) -> str:
    """What a chat front end shows: an extractive answer as it is (the line that answers, the quote, its one
    citation line); a generated one followed by the numbered references of the clauses it cites ([n])."""
    if answer.lead:
        return answer.answer
    refs = [f"[{i}] {c.reference}" + (f"（{c.date}）" if c.date else "")
            for i, c in enumerate(answer.citations, 1) if c.used]
    return answer.answer + ("\n\n" + "\n".join(refs) if refs else "")


def _extra(answer: Answer) -> dict:
    return {"citations": [c.to_dict() for c in answer.citations], "abstained": answer.abstained,
            "reason": answer.reason, "standalone_question": answer.standalone_question}


@router.get("/models", summary="The one model: familydesk")
async def models() -> dict:
    """OpenAI's model list, with one model: `familydesk`."""
    return {"object": "list", "data": [{"id": MODEL, "object": "model", "created": 0, "owned_by": "familydesk"}]}


@router.post("/chat/completions", summary="Chat completion (OpenAI-compatible), cited answers")
async def chat_completions(body: ChatRequest, assistant: AssistantDep) -> Any:
    """The last user message answered from the documents, with the earlier messages as the conversation."""
    question, history = _split(body.messages)
    cid, created = f"chatcmpl-{uuid.uuid4().hex}", int(time.time())
    if not body.stream:
        answer = await run_in_threadpool(assistant.ask, question, None, history)
        text = rendered(answer)
        return {"id": cid, "object": "chat.completion", "created": created, "model": MODEL,
                "choices": [{"index": 0, "message": {"role": "assistant", "content": text}, "finish_reason": "stop"}],
                "usage": {"prompt_tokens": 0, "completion_tokens": 0, "total_tokens": 0}, **_extra(answer)}
    events = assistant.ask_stream(question, None, history)
    first = await run_in_threadpool(next, events, None)  # a bad request fails here, before the stream starts

    def chunk(delta: dict, finish: str | None = None, **extra) -> str:
        data = {"id": cid, "object": "chat.completion.chunk", "created": created, "model": MODEL,
                "choices": [{"index": 0, "delta": delta, "finish_reason": finish}], **extra}
        return f"data: {json.dumps(data, ensure_ascii=False)}\n\n"

    # extractive answers stream sentence by sentence; a generated answer may be reset by its guards, which
    # OpenAI's format cannot undo, so it is sent once checked
    live = not assistant.generative

    def frames():
        yield chunk({"role": "assistant", "content": ""})
        event = first
        while event is not None:
            if event["type"] == "delta" and live:
                yield chunk({"content": event["text"]})
            elif event["type"] == "answer":
                answer = event["answer"]
                text = rendered(answer)
                yield chunk({"content": text[len(answer.answer):] if live else text})
                yield chunk({}, "stop", **_extra(answer))
            event = next(events, None)
        yield "data: [DONE]\n\n"

    return StreamingResponse(frames(), media_type="text/event-stream", headers={"Cache-Control": "no-cache"})


def install(app) -> None:
    """Add the /v1 routes and answer their errors in OpenAI's shape."""
    app.include_router(router)

    @app.exception_handler(OpenAIError)
    async def openai_error(request: Request, exc: OpenAIError) -> JSONResponse:
        return JSONResponse({"error": {"message": exc.message, "type": exc.kind, "code": exc.code}},
                            status_code=exc.status)


