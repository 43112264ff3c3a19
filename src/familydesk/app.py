"""The web application: the JSON API, the web pages and (when configured) the Telegram webhook, composed
in one FastAPI app. Each channel brings its own routes; this module only assembles them, so no channel
imports another.
"""
from __future__ import annotations

import logging
import re
import time
from contextlib import asynccontextmanager

import anyio
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from starlette.concurrency import run_in_threadpool
from starlette.routing import Mount

from .api import (MAX_BODY, MAX_CONVERSATION_BODY, MAX_UPLOAD, SEARCH_BUDGET, AdminRefused, RateLimiter, admin,
                  router)
from . import metrics
from .assistant import Assistant
from .errors import FamilydeskError
from .logs import REQUEST_ID, request_id
from .ratelimit import client_address
from .settings import Settings, get_settings

log = logging.getLogger(__name__)
access = logging.getLogger("familydesk.access")  # one line per request: method, route template, status, time


def _warm_up(assistant: Assistant) -> None:
    """One search before the first visitor, so the first question is as fast as the rest (the vector
    index and the query path load lazily)."""
    try:
        assistant.search("产假 maternity leave", None, 1)
    except Exception as e:  # a failed warm-up must not stop start-up; /healthz reports the real state
        log.warning("warm-up search failed: %s: %s", type(e).__name__, e)


class _MCPMount:
    """/mcp/: the knowledge base as MCP tools over streamable HTTP (mcp_server.py), built on the first request to
    /mcp/ rather than at start-up: the `mcp` SDK takes ~0.4 s to import, which a start that never serves MCP
    should not pay. Its sessions run in a task group the app's lifespan holds (`running`)."""

    def __init__(self, assistant: Assistant, host: str) -> None:
        self.assistant, self.host = assistant, host
        self._app = self._lock = self._tasks = None

    @asynccontextmanager
    async def running(self):
        """Held by the lifespan: where the MCP sessions run once /mcp/ is first asked for; stops them at shutdown."""
        self._lock = anyio.Lock()
        async with anyio.create_task_group() as tasks:
            self._tasks = tasks
            try:
                yield
            finally:
                tasks.cancel_scope.cancel()
                self._tasks = self._app = None

    async def __call__(self, scope, receive, send) -> None:
        if self._app is None:
            if self._tasks is None:
                raise RuntimeError("/mcp/ is served only while the app's lifespan runs")
            async with self._lock:
                if self._app is None:
                    self._app = await self._start()
        await self._app(scope, receive, send)

    async def _start(self):
        from .mcp_server import build

        server = await anyio.to_thread.run_sync(build, self.assistant)  # the import, off the event loop

        async def sessions(task_status=anyio.TASK_STATUS_IGNORED) -> None:
            async with server.session_manager.run():
                task_status.started()
                await anyio.sleep_forever()

        app = server.streamable_http_app(streamable_http_path="/", host=self.host)
        await self._tasks.start(sessions)
        return app


class _RouteTemplates:
    """Maps a request path to the route it matches, as declared (`/api/clauses/{clause_id}`), never the raw
    path, so the metric's labels stay few whatever clients send; paths no route declares are `other`."""

    def __init__(self, app: FastAPI) -> None:
        self.app, self._patterns = app, None

    def __call__(self, path: str) -> str:
        if self._patterns is None:  # the routes are complete once the app serves
            self._patterns = self._compile()
        return next((template for regex, template in self._patterns if regex.fullmatch(path)), "other")

    def _compile(self) -> list:
        declared = set(self.app.openapi()["paths"])
        mounts = set()
        for route in self.app.router.routes:
            path = getattr(route, "path", None)
            if path is not None:
                (mounts if isinstance(route, Mount) else declared).add(path)
        out = [(re.compile(re.sub(r"\\\{[^}]+\\\}", "[^/]+", re.escape(p))), p) for p in sorted(declared)]
        return out + [(re.compile(re.escape(m) + "(/.*)?"), m) for m in sorted(mounts)]


def create_app(assistant: Assistant | None = None, settings: Settings | None = None) -> FastAPI:
    """Build the app; the knowledge base loads at start-up (or use the Assistant given)."""
    settings = settings or get_settings()
    assistant = assistant or Assistant(settings)
    mcp = _MCPMount(assistant, settings.host)
    app = FastAPI(title="familydesk", version="0.1.0", lifespan=_lifespan(assistant, mcp),
                  description="Answers about Chinese fertility-support policies, quoted and cited clause by clause "
                              "from the official documents of the knowledge base (GET /api/documents lists them).")
    app.state.assistant = assistant
    app.state.settings = settings
    _add_channels(app, assistant, settings, mcp)
    _add_health(app, assistant)
    _add_limits(app, settings)
    _add_observability(app)  # after the limits: its middleware runs first and sees the 413s and 429s
    _add_error_handlers(app)
    return app


def _lifespan(assistant: Assistant, mcp: _MCPMount):
    """Start-up: load the knowledge base (unless given loaded), warm up, hold the MCP sessions' task group."""

    @asynccontextmanager
    async def lifespan(app: FastAPI):
        if not assistant.ready:
            await run_in_threadpool(assistant.load)
        await run_in_threadpool(_warm_up, assistant)
        async with mcp.running():
            yield

    return lifespan


def _add_channels(app: FastAPI, assistant: Assistant, settings: Settings, mcp: _MCPMount) -> None:
    """The JSON API, the admin routes, the pages, /v1, /mcp/ and (when configured) the Telegram webhook."""
    app.include_router(router)
    app.include_router(admin)
    if settings.telegram_webhook_secret:  # the Telegram bot's webhook (familydesk telegram --webhook)
        from .telegram_bot import webhook_router
        app.include_router(webhook_router(assistant, settings))
    from .openai_api import install as install_openai  # /v1: an OpenAI-compatible model
    from .web_routes import install as install_web  # the pages and their routes

    install_web(app, settings)
    install_openai(app)
    app.mount("/mcp", mcp)


def _add_health(app: FastAPI, assistant: Assistant) -> None:
    @app.get("/healthz", summary="Ready once the index is loaded")
    def healthz() -> JSONResponse:
        """200 with index figures once the knowledge base is loaded, 503 before (or when Chroma is gone)."""
        try:
            h = assistant.health()
        except FamilydeskError as e:
            return JSONResponse({"status": "unavailable", "detail": str(e)}, status_code=503)
        return JSONResponse(h, status_code=200 if h.get("status") == "ok" else 503)


def _add_limits(app: FastAPI, settings: Settings) -> None:
    """Body size limits per route, and the rate limits per client (search-as-you-type gets more)."""
    app.state.limiter = RateLimiter(settings.rate_limit, settings.redis_url, "familydesk-api")
    # search-as-you-type in the staff console sends a request per pause in typing: a larger budget
    app.state.search_limiter = RateLimiter(settings.rate_limit * SEARCH_BUDGET, settings.redis_url, "familydesk-search")

    @app.middleware("http")
    async def guard(request: Request, call_next):
        length = request.headers.get("content-length")
        limit = {"/api/admin/documents": MAX_UPLOAD, "/api/ask": MAX_CONVERSATION_BODY,
                 "/api/ask/stream": MAX_CONVERSATION_BODY,
                 "/v1/chat/completions": MAX_CONVERSATION_BODY}.get(request.url.path, MAX_BODY)
        if length and length.isdigit() and int(length) > limit:
            return JSONResponse({"detail": f"request body over {limit // 1024} KB"}, status_code=413)
        if request.url.path.startswith(("/api/", "/v1/")):
            client = client_address(request.client.host if request.client else None,
                                    request.headers.get("x-forwarded-for"), settings.trusted_proxies)
            limiter = app.state.search_limiter if request.url.path == "/api/search" else app.state.limiter
            wait = limiter.check(client)
            if wait is not None:
                return JSONResponse({"detail": f"too many requests: the limit is {settings.rate_limit} per minute"},
                                    status_code=429, headers={"Retry-After": str(wait)})
        return await call_next(request)


def _add_observability(app: FastAPI) -> None:
    """/metrics, and (outermost) a request id and a count of every request by route template."""

    @app.get("/metrics", summary="Prometheus metrics", include_in_schema=False)
    def prometheus() -> Response:
        """Requests, answers, latencies, index size, reloads and rate limits in Prometheus' text format."""
        body, content_type = metrics.exposition()
        return Response(body, media_type=content_type)

    templates = _RouteTemplates(app)

    @app.middleware("http")
    async def observe(request: Request, call_next):
        """Outermost: a request id for the log and the response, the request counted by route template."""
        token = REQUEST_ID.set(request_id(request.headers.get("x-request-id")))
        started = time.perf_counter()
        try:
            response = await call_next(request)
        finally:
            rid = REQUEST_ID.get()
            REQUEST_ID.reset(token)
        route = templates(request.url.path)
        metrics.REQUESTS.labels(route, request.method, str(response.status_code)).inc()
        access.info("request method=%s route=%s status=%d ms=%.1f", request.method, route, response.status_code,
                    (time.perf_counter() - started) * 1000, extra={"request_id": rid})
        response.headers["X-Request-ID"] = rid
        return response


def _add_error_handlers(app: FastAPI) -> None:
    """Domain errors and refusals mapped to HTTP once, here; anything else is a logged 500."""

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
