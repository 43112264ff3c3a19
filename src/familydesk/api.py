"""The JSON API's routes (FastAPI routers; app.py assembles them with the pages). Routes talk to the
Assistant facade and the public schemas only; domain errors map to HTTP status in app.py's one handler; a
client error is never a 5xx and never shows a stack trace.
"""
from __future__ import annotations

import hmac
import logging
from pathlib import Path
from typing import Annotated

from fastapi import APIRouter, Depends, Form, Query, Request, UploadFile
from starlette.concurrency import run_in_threadpool

from .deps import AssistantDep
from .errors import BadRequest
from .models import Overrides
from .ratelimit import SlidingWindow
from .schemas import MAX_QUESTION, AnswerPublic, AskRequest, CitationPublic, SearchPublic
from .text import clean_input

log = logging.getLogger(__name__)
MAX_BODY = 64 * 1024
MAX_CONVERSATION_BODY = 400 * 1024  # a question with its history: 20 messages of 4,000 characters, in UTF-8 and JSON
SEARCH_BUDGET = 10  # /api/search may be called this many times more often than /api/ask


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
