"""The JSON API (FastAPI), and through `web_routes` the web pages. Routes talk to the Assistant facade
only; domain errors map to HTTP status in one handler; a client error is never a 5xx and never shows a stack trace.
"""
from __future__ import annotations

import hmac
import logging
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Annotated, Literal

from fastapi import APIRouter, Depends, FastAPI, Form, Query, Request, UploadFile
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field, field_validator
from starlette.concurrency import run_in_threadpool

from .assistant import Assistant
from .errors import BadRequest, FamilydeskError
from .models import Citation, Overrides
from .ratelimit import SlidingWindow
from .settings import Settings, get_settings
from .text import clean_input

log = logging.getLogger(__name__)
MAX_QUESTION = 1000
MAX_BODY = 64 * 1024
MAX_CONVERSATION_BODY = 400 * 1024  # a question with its history: 20 messages of 4,000 characters, in UTF-8 and JSON
SEARCH_BUDGET = 10  # /api/search may be called this many times more often than /api/ask


# ---- schemas -----------------------------------------------------------------------------
class Message(BaseModel):
    role: Literal["user", "assistant"]
    content: str = Field(..., max_length=4000, description="What was said (at most 4,000 characters).")


class AskRequest(BaseModel):
    question: str = Field(..., description="The question, in Chinese or English (1–1,000 characters).")
    history: list[Message] = Field(default_factory=list, max_length=20,
                                   description="Earlier messages of the conversation, oldest first (at most 20): a "
                                               "follow-up such as “包头呢？” is read with them.")
    region: str | None = Field(None, description="Limit to one region: a covered city or province, or any Chinese place (its province's and the nation's documents answer), in Chinese or English.")

    @field_validator("question")
    @classmethod
    def _question(cls, v: str) -> str:
        v = clean_input(v)
        if not v:
            raise ValueError("the question is empty: ask something of 1 to 1,000 characters")
        if len(v) > MAX_QUESTION:
            raise ValueError(f"the question is {len(v)} characters long; the limit is {MAX_QUESTION}")
        return v


CitationPublic = Citation  # the domain dataclass is the response schema


class AnswerPublic(BaseModel):
    answer: str
    abstained: bool
    region: str | None
    language: str
    reason: str | None
    mode: str
    fallback_reason: str | None = None
    standalone_question: str | None = None
    options: list[str] = []
    citations: list[CitationPublic]


class SearchPublic(BaseModel):
    hits: list[CitationPublic]


# ---- dependencies ------------------------------------------------------------------------
def get_assistant(request: Request) -> Assistant:
    return request.app.state.assistant


AssistantDep = Annotated[Assistant, Depends(get_assistant)]


RateLimiter = SlidingWindow  # per client address


# ---- routes ------------------------------------------------------------------------------
router = APIRouter(prefix="/api")


@router.post("/ask", response_model=AnswerPublic, summary="Answer a question with cited clauses")
async def ask(body: AskRequest, assistant: AssistantDep) -> dict:
    """Answer from the official documents, quoting and citing the clause; `abstained` when they do not say."""
    answer = await run_in_threadpool(assistant.ask, body.question, body.region,
                                     [m.model_dump() for m in body.history])
    return answer.to_dict()


@router.get("/search", response_model=SearchPublic, summary="Search clauses")
async def search(assistant: AssistantDep, q: Annotated[str, Query(min_length=1, max_length=MAX_QUESTION)],
                 region: str | None = None, k: Annotated[int, Query()] = 10) -> dict:
    """Clauses matching a query, best first (k is clamped to 1–50)."""
    hits = await run_in_threadpool(assistant.search, clean_input(q), region, k)
    return {"hits": [h.to_dict() for h in hits]}


@router.get("/clauses/{clause_id}", response_model=CitationPublic, summary="One clause")
def clause(clause_id: str, assistant: AssistantDep) -> dict:
    """A clause by id (e.g. `baotou-2025-task-list:2`) with its full citation."""
    return assistant.clause(clause_id).to_dict()


@router.get("/documents", summary="Documents and their clause outlines")
def documents(assistant: AssistantDep) -> list[dict]:
    """Every document in the knowledge base with its metadata and clause outline."""
    return assistant.documents()


# ---- admin: a bearer token, refused outright when none is configured ----------------------------
def require_admin(request: Request) -> None:
    """401 without the right `Authorization: Bearer …`; 403 when FAMILYDESK_ADMIN_TOKEN is not set."""
    token = request.app.state.settings.admin_token
    if token is None or not token.get_secret_value():
        raise AdminRefused(403, "admin endpoints are off: set FAMILYDESK_ADMIN_TOKEN to use them")
    scheme, _, given = request.headers.get("authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not hmac.compare_digest(given.strip().encode(), token.get_secret_value().encode()):
        raise AdminRefused(401, "admin endpoints need Authorization: Bearer <FAMILYDESK_ADMIN_TOKEN>")


class AdminRefused(Exception):
    def __init__(self, status: int, detail: str) -> None:
        super().__init__(detail)
        self.status, self.detail = status, detail


admin = APIRouter(prefix="/api/admin", dependencies=[Depends(require_admin)])


@admin.post("/reindex", summary="Rebuild the index from index/ (admin)")
async def reindex(assistant: AssistantDep) -> dict:
    """Re-read the sources and switch to a rebuilt index atomically; only changed clauses are embedded."""
    await run_in_threadpool(assistant.load)
    calibration = await run_in_threadpool(assistant.calibrate)
    return {"index": assistant.sync_report, "clauses": len(assistant.corpus.clauses),
            "seconds": round(assistant.load_seconds or 0, 2), "calibration": calibration}


MAX_UPLOAD = 20 * 1024 * 1024  # a document upload; the 64 KB body limit is for questions


@admin.post("/documents", summary="Add or replace a document (admin)")
async def add_document(assistant: AssistantDep, file: UploadFile,
                       region: Annotated[str | None, Form(description="全国, a province, city or county; detected when omitted")] = None,
                       title: Annotated[str | None, Form()] = None, number: Annotated[str | None, Form()] = None,
                       date: Annotated[str | None, Form()] = None, issuer: Annotated[str | None, Form()] = None,
                       kind: Annotated[str | None, Form(description="rule | guide | interpretation")] = None,
                       effective: Annotated[str | None, Form()] = None,
                       supersedes: Annotated[str | None, Form(description="ids of documents it replaces, comma-separated")] = None,
                       doc_id: Annotated[str | None, Form(alias="id")] = None) -> dict:
    """Upload a .txt/.md/.html/.docx/.pdf file; returns what was detected and assumed. Re-uploading the same
    file changes nothing; the rebuilt index goes live at once and questions in flight are answered."""
    import tempfile

    name = Path(file.filename or "upload.txt").name
    data = await file.read()
    if len(data) > MAX_UPLOAD:
        raise BadRequest(f"file over {MAX_UPLOAD // 2**20} MB")
    o = Overrides(region=region, title=title, number=number, date=date, issuer=issuer, kind=kind,
                  effective=effective, supersedes=[x.strip() for x in (supersedes or "").split(",") if x.strip()],
                  doc_id=doc_id)
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / name
        path.write_bytes(data)
        return await run_in_threadpool(assistant.ingest, path, o)


@admin.delete("/documents/{doc_id}", summary="Remove a document (admin)")
async def delete_document(doc_id: str, assistant: AssistantDep) -> dict:
    """Remove a document and its clauses from the knowledge base; the index without it goes live at once."""
    return await run_in_threadpool(assistant.delete_document, doc_id)


@admin.get("/report", summary="Unanswered questions and feedback (admin)")
async def report(assistant: AssistantDep, limit: Annotated[int, Query(ge=1, le=200)] = 20) -> dict:
    """The most frequent unanswered questions (redacted) and the 👍/👎 counts: what the knowledge base lacks."""
    return await run_in_threadpool(assistant.report, limit)


def _warm_up(assistant: Assistant) -> None:
    """One search before the first visitor, so the first question is as fast as the rest (the vector
    index and the query path load lazily)."""
    try:
        assistant.search("产假 maternity leave", None, 1)
    except Exception as e:  # a failed warm-up must not stop start-up; /healthz reports the real state
        log.warning("warm-up search failed: %s: %s", type(e).__name__, e)


def create_app(assistant: Assistant | None = None, settings: Settings | None = None) -> FastAPI:
    """Build the app; the knowledge base loads at start-up (or use the Assistant given)."""
    settings = settings or get_settings()
    assistant = assistant or Assistant(settings)

    @asynccontextmanager
    async def lifespan(app: FastAPI):
        if not assistant.ready:
            await run_in_threadpool(assistant.load)
        await run_in_threadpool(_warm_up, assistant)
        yield

    app = FastAPI(title="familydesk", version="0.1.0", lifespan=lifespan,
                  description="Answers about Chinese fertility-support policies, quoted and cited clause by clause "
                              "from the official documents of the knowledge base (GET /api/documents lists them).")
    app.state.assistant = assistant
    app.state.settings = settings
    app.state.limiter = RateLimiter(settings.rate_limit)
    # search-as-you-type in the staff console sends a request per pause in typing: a larger budget
    app.state.search_limiter = RateLimiter(settings.rate_limit * SEARCH_BUDGET)
    app.include_router(router)
    app.include_router(admin)
    if settings.telegram_webhook_secret:  # the Telegram bot's webhook (familydesk telegram --webhook)
        from .telegram_bot import webhook_router
        app.include_router(webhook_router(assistant, settings))
    from .web_routes import install as install_web  # the pages and their routes (they import this module)

    install_web(app, settings)

    @app.get("/healthz", summary="Ready once the index is loaded")
    def healthz() -> JSONResponse:
        """200 with index figures once the knowledge base is loaded, 503 before (or when Chroma is gone)."""
        try:
            h = assistant.health()
        except FamilydeskError as e:
            return JSONResponse({"status": "unavailable", "detail": str(e)}, status_code=503)
        return JSONResponse(h, status_code=200 if h.get("status") == "ok" else 503)

    @app.middleware("http")
    async def guard(request: Request, call_next):
        length = request.headers.get("content-length")
        limit = {"/api/admin/documents": MAX_UPLOAD, "/api/ask": MAX_CONVERSATION_BODY,
                 "/api/ask/stream": MAX_CONVERSATION_BODY}.get(request.url.path, MAX_BODY)
        if length and length.isdigit() and int(length) > limit:
            return JSONResponse({"detail": f"request body over {limit // 1024} KB"}, status_code=413)
        if request.url.path.startswith("/api/"):
            client = request.client.host if request.client else "?"
            limiter = app.state.search_limiter if request.url.path == "/api/search" else app.state.limiter
            wait = limiter.check(client)
            if wait is not None:
                return JSONResponse({"detail": f"too many requests: the limit is {settings.rate_limit} per minute"},
                                    status_code=429, headers={"Retry-After": str(wait)})
        return await call_next(request)

    @app.exception_handler(AdminRefused)
    async def admin_refused(request: Request, exc: AdminRefused) -> JSONResponse:
        headers = {"WWW-Authenticate": "Bearer"} if exc.status == 401 else None
        return JSONResponse({"detail": exc.detail}, status_code=exc.status, headers=headers)

    @app.exception_handler(FamilydeskError)
    async def domain_error(request: Request, exc: FamilydeskError) -> JSONResponse:
        return JSONResponse({"detail": str(exc)}, status_code=exc.status)

    @app.exception_handler(RequestValidationError)
    async def validation_error(request: Request, exc: RequestValidationError) -> JSONResponse:
        errors = [{"loc": list(e.get("loc", ())), "msg": e.get("msg", "")} for e in exc.errors()]
        return JSONResponse({"detail": errors}, status_code=422)

    @app.exception_handler(Exception)
    async def unexpected(request: Request, exc: Exception) -> JSONResponse:
        log.error("unexpected error on %s %s: %s", request.method, request.url.path, type(exc).__name__)
        return JSONResponse({"detail": "internal error; it has been logged"}, status_code=500)

    return app
