"""The two web pages and the routes only they need: the parents' chat at `/`, the hotline staff
console at `/staff`, a streaming ask, feedback votes and a city-by-city comparison.

Pages are plain files in `familydesk/web/` (no build step, no CDN), served by this app with a strict
Content-Security-Policy; their texts (zh and en) are data in `prompts/web.json`. Routes talk to the
Assistant facade only.
"""
from __future__ import annotations

import html
import json
import logging
from pathlib import Path
from string import Template
from typing import Annotated, Literal

from fastapi import APIRouter, FastAPI, Query, Request
from fastapi.responses import HTMLResponse, JSONResponse, Response, StreamingResponse
from fastapi.staticfiles import StaticFiles
from pydantic import BaseModel, Field
from starlette.concurrency import run_in_threadpool

from .deps import AssistantDep
from .schemas import AskRequest, CitationPublic
from .errors import NotFound
from .settings import Settings

WEB_DIR = Path(__file__).resolve().parent / "web"
CSP = ("default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; "
       "object-src 'none'; base-uri 'none'; frame-ancestors 'none'")
PAGE_HEADERS = {"Content-Security-Policy": CSP, "X-Content-Type-Options": "nosniff",
                "Referrer-Policy": "no-referrer", "Cache-Control": "no-cache"}
esc = html.escape


# ---- schemas -----------------------------------------------------------------------------
class FeedbackRequest(BaseModel):
    answer_id: str = Field(..., pattern=r"^[0-9a-f]{16,64}$",
                           description="The `answer_id` from the `answer` event of /api/ask/stream.")
    vote: Literal["up", "down"]


class FeedbackPublic(BaseModel):
    stored: bool
    vote: str
    known: bool = Field(description="Whether the server still knew which answer this was (city, cited clauses).")


class CompareColumn(BaseModel):
    region: str
    stated: bool = Field(description="False: this city's documents do not mention the topic (未规定 / not stated).")
    citation: CitationPublic | None = Field(description="The city's clause on the topic (when stated).")
    closest: CitationPublic | None = Field(None, description="When not stated: the city's best-ranked clause "
                                                             "anyway, which lacks the topic's words.")


class ComparePublic(BaseModel):
    topic: str
    rule: str
    columns: list[CompareColumn]


class StaticAssets(StaticFiles):
    """The pages' files, with the same security headers as the pages."""

    async def get_response(self, path: str, scope) -> Response:
        response = await super().get_response(path, scope)
        response.headers.update(PAGE_HEADERS)
        return response


# ---- helpers -----------------------------------------------------------------------------
def sse(event: str, data: dict) -> str:
    """One server-sent event; the data is JSON on one line."""
    return f"event: {event}\ndata: {json.dumps(data, ensure_ascii=False, separators=(',', ':'))}\n\n"


_END = object()


def _next(events):
    """next() for the thread pool (a StopIteration must not cross into asyncio)."""
    return next(events, _END)


# ---- routes ------------------------------------------------------------------------------
log = logging.getLogger(__name__)
router = APIRouter(prefix="/api")


@router.post("/ask/stream", summary="Answer a question, streamed as server-sent events",
             response_class=StreamingResponse,
             responses={200: {"content": {"text/event-stream": {}},
                              "description": "`event: delta` pieces (`reset` clears them), then `event: answer`."}})
async def ask_stream(body: AskRequest, request: Request, assistant: AssistantDep) -> StreamingResponse:
    """The answer as server-sent events: `delta` events (`{"text"}`) as the answer is written, `reset` when
    what was shown must be cleared (a generated sentence failed its guards), then one `answer` event with
    the whole answer (as /api/ask) plus `answer_id` for /api/feedback."""
    events = assistant.ask_stream(body.question, body.region, [m.model_dump() for m in body.history])
    first = await run_in_threadpool(_next, events)  # bad requests fail here, as a 4xx, before streaming

    def frames():
        event = first
        try:
            while event is not _END:
                if event["type"] == "delta":
                    yield sse("delta", {"text": event["text"]})
                elif event["type"] == "reset":  # a generated sentence failed its guards: start over
                    yield sse("reset", {})
                elif event["type"] == "answer":
                    answer = event["answer"]
                    aid = assistant.remember(body.question, answer)
                    yield sse("answer", {**answer.to_dict(), "answer_id": aid})
                event = next(events, _END)
        except Exception as exc:  # after the first byte the status is sent: say it in the stream
            if getattr(exc, "status", 500) >= 500:  # the message says it has been logged: log it (no question text)
                log.error("a streamed answer failed: %s: %s", type(exc).__name__, str(exc)[:200])
            message = str(exc) if getattr(exc, "status", 500) < 500 else "internal error; it has been logged"
            yield sse("error", {"detail": message})

    return StreamingResponse(frames(), media_type="text/event-stream",
                             headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"})


@router.post("/feedback", response_model=FeedbackPublic, summary="Vote on an answer")
async def feedback(body: FeedbackRequest, assistant: AssistantDep) -> dict:
    """Store 👍 (`up`) or 👎 (`down`) for an answer id; no question text or personal data is kept."""
    stored = await run_in_threadpool(assistant.vote, body.answer_id, body.vote)
    return {"stored": True, "vote": stored["vote"], "known": stored["known"]}


@router.get("/compare", response_model=ComparePublic, summary="A topic across cities, side by side")
async def compare(assistant: AssistantDep, topic: Annotated[str, Query(min_length=1, max_length=50)]) -> dict:
    """One column per city: its best-ranked clause whose text contains every word of the topic, or
    `stated: false` (未规定 / not stated) when none of its top clauses does, with the `closest` clause."""
    return await run_in_threadpool(assistant.compare, topic)


def _page(name: str) -> HTMLResponse:
    return HTMLResponse((WEB_DIR / name).read_text(encoding="utf-8"), headers=PAGE_HEADERS)


def _lang(request: Request, asked: str | None) -> str:
    """The clause page's language: ?lang=, else the browser's first language (zh unless it is another)."""
    if asked in ("zh", "en"):
        return asked
    first = request.headers.get("accept-language", "zh").split(",")[0].strip().lower()
    return "zh" if not first or first.startswith("zh") or first == "*" else "en"


def _facts(c, t: dict) -> str:
    """The document details of a clause as a definition list."""
    dated = t["dated_effective"].format(date=c.date, effective=c.effective) if c.effective and c.effective != c.date \
        else c.date
    rows = [("document", f"《{c.title}》"), ("number", c.doc_number), ("issuer", c.issuer), ("date", dated),
            ("region", c.region), ("section", c.section), ("units", c.responsible_units)]
    return "".join(f"<dt>{esc(t[k])}</dt><dd>{esc(v)}</dd>" for k, v in rows if v)


def clause_page(citation, texts: dict, lang: str) -> str:
    """A clause as a page a person reads (what a shared answer links to): reference, document, full text."""
    t = texts[lang]
    body = (f'<h1 class="clause-ref">{esc(citation.reference)}</h1>'
            f'<dl class="facts">{_facts(citation, t)}</dl>'
            f'<h2>{esc(t["clause_full_text"])}</h2><p class="clause-text">{esc(citation.text)}</p>')
    return _fill(t, lang, t["clause_page_title"].format(reference=citation.reference), citation.text[:160], body)


def _fill(t: dict, lang: str, title: str, description: str, body: str) -> str:
    return Template((WEB_DIR / "clause.html").read_text(encoding="utf-8")).substitute(
        html_lang="zh-CN" if lang == "zh" else "en", title=esc(title), description=esc(description),
        site=esc(t["chat_title"]), body=body, disclaimer=esc(t["clause_disclaimer"]), back=esc(t["back_to_chat"]))


def install(app: FastAPI, settings: Settings) -> None:
    """Add the pages, their assets, their texts and their API routes to the app."""
    texts_path = Path(settings.prompts_dir) / "web.json"
    app.include_router(router)
    app.mount("/static", StaticAssets(directory=WEB_DIR), name="static")

    @app.api_route("/", methods=["GET", "HEAD"], include_in_schema=False)
    def chat_page() -> HTMLResponse:
        """The parents' chat."""
        return _page("index.html")

    @app.api_route("/staff", methods=["GET", "HEAD"], include_in_schema=False)
    def staff_page() -> HTMLResponse:
        """The hotline staff console."""
        return _page("staff.html")

    @app.api_route("/clause/{clause_id}", methods=["GET", "HEAD"], include_in_schema=False)
    def clause(clause_id: str, request: Request, lang: str | None = None) -> HTMLResponse:
        """One clause as a readable page (the link an answer shares); 404 page when there is no such clause."""
        texts, chosen = json.loads(texts_path.read_text(encoding="utf-8")), _lang(request, lang)
        try:
            citation = request.app.state.assistant.clause(clause_id)
        except NotFound:
            t = texts[chosen]
            message = f'<h1>{esc(t["clause_not_found"].format(id=clause_id))}</h1>'
            return HTMLResponse(_fill(t, chosen, t["chat_title"], "", message), status_code=404, headers=PAGE_HEADERS)
        return HTMLResponse(clause_page(citation, texts, chosen), headers=PAGE_HEADERS)

    @app.get("/favicon.ico", include_in_schema=False)
    def favicon() -> Response:
        """The icon browsers ask for on their own."""
        return Response((WEB_DIR / "favicon.svg").read_bytes(), media_type="image/svg+xml",
                        headers={"Cache-Control": "max-age=86400"})

    @app.get("/texts.json", include_in_schema=False)
    def texts(request: Request) -> JSONResponse:
        """The pages' texts in zh and en (prompts/web.json) and the cities covered."""
        try:
            data = json.loads(texts_path.read_text(encoding="utf-8"))
        except FileNotFoundError as e:
            raise NotFound(f"the page texts are missing: {texts_path}") from e
        assistant = request.app.state.assistant
        data["covered"] = assistant.cities
        data["levels"] = assistant.levels
        data["cities"] = {**{c: assistant.english_name(c) for c in data["covered"]}, **data.get("cities", {})}
        for lang, names in (("zh", "、".join(data["covered"])),
                            ("en", ", ".join(data["cities"].get(c, c) for c in data["covered"]))):
            for key, value in data.get(lang, {}).items():
                if isinstance(value, str) and "{covered}" in value:
                    data[lang][key] = value.replace("{covered}", names or "—")
        return JSONResponse(data, headers={"Cache-Control": "no-cache"})
