"""The HTTP API (search, suggest, helpdesk webhooks, feedback) and the built site, on Starlette.

`create_app(settings)` returns the ASGI app; `kb serve` runs it on uvicorn. Every request takes
the current build snapshot (kb.server_state) and keeps it to the end, so rebuilds are atomic.
Bad input is a 4xx with a message naming the field, never a 500.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import hmac
import json
import logging
import os
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.middleware.cors import CORSMiddleware
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, Response
from starlette.routing import Mount, Route, request_response
from starlette.staticfiles import StaticFiles
from starlette.types import ASGIApp, Receive, Scope, Send

from kb.core.errors import KBError, UsageError
from kb.server.feedback import REASONS, FeedbackStore, open_store
from kb.server.input import (
    ApiError,
    error_response,
    get_int,
    get_lang,
    get_str,
    kind_of,
    need_text,
    read_json,
)
from kb.server.openapi import spec
from kb.server.ratelimit import Rate, RateLimiter, SharedBuckets
from kb.server.snapshot import Loader, Snapshot, SnapshotHolder, Watcher, search_key
from kb.server.webhooks import ticket_from_webhook
from kb.suggest.cleaning import clean_text
from kb.suggest.suggester import Suggestions

if TYPE_CHECKING:
    from kb.core.settings import Settings
    from kb.suggest.embedders import Embedder

log = logging.getLogger(__name__)
TOKEN_ENV = "KB_API_TOKEN"
SNAPSHOT_KEY = "kb.snapshot"


@dataclass
class ServerOptions:
    """How the server behaves; the defaults suit a help site on the open internet."""

    max_body: int = 64 * 1024
    cors_origins: Sequence[str] = ()
    rates: dict[str, Rate] = field(
        default_factory=lambda: {"api": Rate(10.0, 30.0), "feedback": Rate(1.0, 10.0)}
    )
    token: str | None = None  # None: read KB_API_TOKEN
    watch_interval: float = 1.0  # seconds between checks for a new build; 0: never
    serve_site: bool = True
    with_model: bool = True
    max_pending: int = 64  # suggest calls waiting or running; more are refused with 503 (busy)
    torch_threads: int = 1  # intra-op threads of the model; 0: torch's default (one per core)
    embed_batch: int = 8  # ticket texts per forward pass when concurrent suggest calls batch up
    rate_file: str | None = None  # rate-limit buckets shared by worker processes (--workers)

    def to_json(self) -> str:
        """These options as JSON, for worker processes (kb serve --workers)."""
        data = dataclasses.asdict(self)
        data["rates"] = {k: [r.per_second, r.burst] for k, r in self.rates.items()}
        data["cors_origins"] = list(self.cors_origins)
        return json.dumps(data)

    @classmethod
    def from_json(cls, text: str) -> ServerOptions:
        """The options `to_json` wrote."""
        data = json.loads(text)
        data["rates"] = {k: Rate(float(v[0]), float(v[1])) for k, v in data["rates"].items()}
        return cls(**data)


# -- the per-request snapshot ----------------------------------------------------------------------
class SnapshotMiddleware:
    """Gives each HTTP request the current snapshot for its whole life, streaming included."""

    def __init__(self, app: ASGIApp, holder: SnapshotHolder) -> None:
        self.app = app
        self.holder = holder

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        snap = self.holder.acquire()
        scope[SNAPSHOT_KEY] = snap
        try:
            await self.app(scope, receive, send)
        finally:
            self.holder.release(snap)


class SiteApp:
    """Serves the built site from the request's snapshot."""

    def __init__(self) -> None:
        self._static: dict[int, StaticFiles] = {}

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        snap: Snapshot = scope[SNAPSHOT_KEY]
        if snap.site is None:
            response = PlainTextResponse(
                "The help site is not built yet: run kb build.\n", status_code=404
            )
            await response(scope, receive, send)
            return
        static = self._static.get(id(snap))
        if static is None or static.directory != snap.site:
            static = StaticFiles(directory=snap.site, html=True)
            self._static = {**dict(list(self._static.items())[-1:]), id(snap): static}
        await static(scope, receive, send)


# -- the API ---------------------------------------------------------------------------------------
class Api:
    """The request handlers, bound to one server's settings, options, store and limiter."""

    def __init__(
        self,
        settings: Settings,
        options: ServerOptions,
        holder: SnapshotHolder,
        store: FeedbackStore,
        *,
        batching: bool = False,
    ) -> None:
        self.settings = settings
        self.options = options
        self.holder = holder
        self.store = store
        shared = SharedBuckets(Path(options.rate_file)) if options.rate_file else None
        self.limiter = RateLimiter(options.rates, shared=shared)
        token = options.token if options.token is not None else os.environ.get(TOKEN_ENV, "")
        self.token = token.strip() or None
        self.languages = list(settings.languages)
        self.pending = 0  # suggest calls in progress
        self.model: str | None = None  # the embedding model and its backend, for /api/health
        # suggest calls running at once: a thread per core; the rest wait on the event loop,
        # which costs nothing, instead of slicing the cores (and the GIL) ever thinner. Not with
        # torch's batching thread, which needs many callers waiting to fill a batch.
        self.running = None if batching else asyncio.Semaphore(max(1, os.cpu_count() or 1))

    # -- cross-cutting ----------------------------------------------------------------------------
    def internal(self, request: Request) -> bool:
        """True for a valid bearer token; 401 for a wrong one; False without one."""
        header = request.headers.get("authorization")
        if not header:
            return False
        scheme, _, given = header.partition(" ")
        if scheme.lower() != "bearer" or not given.strip():
            raise ApiError(
                401, "Authorization: expected 'Bearer <token>'", WWW_Authenticate="Bearer"
            )
        if self.token is None:
            raise ApiError(
                401,
                f"this server has no API token; set {TOKEN_ENV} to allow internal articles",
                WWW_Authenticate="Bearer",
            )
        if not hmac.compare_digest(given.strip().encode(), self.token.encode()):
            raise ApiError(401, "invalid bearer token", WWW_Authenticate="Bearer")
        return True

    def throttle(self, request: Request, bucket: str) -> None:
        """429 when this client used up its requests for `bucket`."""
        client = request.client.host if request.client else "unknown"
        wait = self.limiter.check(bucket, client)
        if wait:
            retry = str(self.limiter.retry_after(wait))
            raise ApiError(429, f"too many requests; retry in {retry} s", Retry_After=retry)

    @staticmethod
    def snapshot(request: Request) -> Snapshot:
        """The build snapshot of this request."""
        snap: Snapshot = request.scope[SNAPSHOT_KEY]
        return snap

    # -- endpoints --------------------------------------------------------------------------------
    async def health(self, request: Request) -> Response:
        """GET /api/health."""
        snap = self.snapshot(request)
        ok = snap.searcher is not None and snap.kb is not None
        return JSONResponse(
            {
                "status": "ok" if ok and not snap.problems else "degraded",
                "index": snap.generation,
                "articles": len(snap.kb.articles) if snap.kb is not None else 0,
                "site": snap.site is not None,
                "suggest": bool(snap.suggesters),
                "model": self.model,
                "problems": snap.problems,
            }
        )

    async def openapi(self, request: Request) -> Response:
        """GET /api/openapi.json."""
        return JSONResponse(spec(self.languages, self.options.max_body))

    async def search(self, request: Request) -> Response:
        """GET /api/search?q=&lang=&limit=: public articles only."""
        self.throttle(request, "api")
        params = request.query_params
        q = need_text(dict(params), "q", 500)
        lang = get_lang(params.get("lang"), self.languages)
        limit = get_int(params.get("limit"), "limit", 10, 1, 50)
        snap = self.snapshot(request)
        if snap.searcher is None:
            raise ApiError(503, "no search index yet; run kb build")
        # a cached answer is served right here; only a real search goes to a worker thread
        body = snap.cached_json(search_key(q, lang=lang, limit=limit, internal=False))
        if body is None:
            body = await run_in_threadpool(
                snap.search_json, q, lang=lang, limit=limit, internal=False
            )
        return Response(body, media_type="application/json")

    async def suggest(self, request: Request) -> Response:
        """POST /api/suggest {"text", "lang", "limit"}."""
        internal = self.internal(request)
        if not internal:
            self.throttle(request, "api")
        body = await read_json(request, self.options.max_body)
        text = need_text(body, "text", 20_000)
        lang = get_lang(body.get("lang"), self.languages)
        limit = get_int(body.get("limit"), "limit", 5, 1, 20)
        text = clean_text(text)  # as kb suggest does: quotes, signature, personal data out
        if not text:
            return JSONResponse(Suggestions(abstained=True).to_dict())
        result = await self._suggest(request, text, lang, limit, internal)
        return JSONResponse(result.to_dict())

    async def webhook(self, request: Request) -> Response:
        """POST /api/webhooks/{zendesk,freshdesk}: a ticket payload in, suggestions out."""
        internal = self.internal(request)
        if not internal:
            self.throttle(request, "api")
        body = await read_json(request, self.options.max_body)
        desk = request.url.path.rstrip("/").rsplit("/", 1)[-1]
        try:
            ticket = ticket_from_webhook(desk, body)
        except ValueError as exc:
            raise ApiError(400, str(exc)) from None
        lang = ticket.lang if ticket.lang in self.languages else None
        limit = get_int(request.query_params.get("limit"), "limit", 5, 1, 20)
        if not ticket.text.strip():  # only quotes or a signature: nothing to match
            return JSONResponse(Suggestions(abstained=True).to_dict(ticket.id))
        result = await self._suggest(request, ticket.text, lang, limit, internal)
        return JSONResponse(result.to_dict(ticket.id))

    async def _suggest(
        self, request: Request, text: str, lang: str | None, limit: int, internal: bool
    ) -> Any:
        snap = self.snapshot(request)
        suggester = snap.suggesters.get(internal)
        if suggester is None:
            raise ApiError(503, "suggestions are not available yet; run kb build")
        if self.pending >= self.options.max_pending:  # shed load instead of queueing forever
            raise ApiError(503, "the server is busy; retry shortly", Retry_After="1")
        self.pending += 1  # handlers run on the event loop: no lock needed
        try:
            async with self.running or contextlib.nullcontext():
                return await run_in_threadpool(suggester.suggest, text, lang=lang, k=limit)
        finally:
            self.pending -= 1

    async def feedback(self, request: Request) -> Response:
        """POST /api/feedback {"article", "helpful", "reason", "lang", "comment"}."""
        internal = self.internal(request)
        self.throttle(request, "feedback")
        body = await read_json(request, self.options.max_body)
        article = need_text(body, "article", 200)
        helpful = body.get("helpful")
        if not isinstance(helpful, bool):
            got = "nothing" if helpful is None else kind_of(helpful)
            raise ApiError(400, f"helpful: expected true or false, got {got}", "helpful")
        reason = body.get("reason")
        if reason in ("", None):
            reason = None
        elif reason not in REASONS:
            shown = reason if isinstance(reason, str) else kind_of(reason)
            raise ApiError(400, f"reason: {shown!r} is not one of {', '.join(REASONS)}", "reason")
        lang = get_lang(body.get("lang"), self.languages)
        comment = get_str(body, "comment", 1000)
        get_str(body, "url", 2000)  # the page the vote came from: checked, not stored
        if not known_article(self.snapshot(request), article, internal):
            raise ApiError(404, f"article: no article with id {article!r}", "article")
        client = request.client.host if request.client else None
        row = await run_in_threadpool(
            self.store.record,
            article,
            helpful,
            reason=reason,
            lang=lang,
            comment=comment or None,
            client=client,
        )
        return JSONResponse({"stored": True, "id": row}, status_code=201)


def known_article(snap: Snapshot, article_id: str, internal: bool) -> bool:
    """True for a published article of the served build (public only, unless `internal`)."""
    if snap.kb is None:
        raise ApiError(503, "the knowledge base is not loaded; run kb check and kb build")
    a = snap.kb.get(article_id)
    return a is not None and (a.is_live if internal else a.is_public)


class _AnyMethod:
    """An ASGI app Starlette routes every method to (a function endpoint would get only GET)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        await self.app(scope, receive, send)


def _route(path: str, handler: Callable[[Request], Awaitable[Response]], method: str) -> Route:
    """A route that answers every method, so a wrong one gets a JSON 405 (not the site's 404)."""
    allowed = [method, "HEAD"] if method == "GET" else [method]

    async def endpoint(request: Request) -> Response:
        if request.method not in allowed:
            return error_response(
                405, f"method {request.method} not allowed here", Allow=", ".join(allowed)
            )
        try:
            return await handler(request)
        except ApiError as exc:
            return error_response(exc.status, exc.message, exc.field, **_headers(exc.headers))
        except UsageError as exc:
            return error_response(400, str(exc))
        except KBError as exc:
            log.warning("%s %s: %s", request.method, request.url.path, exc)
            return error_response(503, str(exc))

    return Route(path, _AnyMethod(request_response(endpoint)))


def _headers(headers: dict[str, str]) -> dict[str, str]:
    return {k.replace("_", "-"): v for k, v in headers.items()}


async def _http_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, HTTPException)
    messages = {404: "no such endpoint", 405: f"method {request.method} not allowed here"}
    message = messages.get(exc.status_code, str(exc.detail))
    return error_response(exc.status_code, message, **(exc.headers or {}))


async def _server_error(request: Request, exc: Exception) -> Response:
    log.exception("%s %s failed", request.method, request.url.path)
    return error_response(500, "internal error; see the server log")


# -- the app ---------------------------------------------------------------------------------------
def create_app(
    settings: Settings,
    options: ServerOptions | None = None,
    *,
    embedder: Embedder | None = None,
) -> Starlette:
    """Build the ASGI app: loads the current build now and watches for new ones while running."""
    from kb.server.snapshot import BatchingEmbedder
    from kb.suggest.embedders import set_torch_threads, settings_embedder

    options = options or ServerOptions()
    encoder: Any = None
    batching = None
    if options.with_model:
        inner = embedder or settings_embedder(settings)
        if hasattr(inner, "batch_size"):
            inner.batch_size = max(1, options.embed_batch)
        if options.torch_threads > 0:
            # two intra-op threads on a 2-core machine spin against the request threads (and
            # the other workers); batching gives the model its throughput instead
            set_torch_threads(options.torch_threads)
        inner.encode(["warm up"])  # load the model (and its ONNX export) now, not on a request
        if getattr(inner, "onnx", None) is not None:
            # ONNX Runtime runs one-thread calls side by side, outside the GIL: request threads
            # encode their own ticket, a core each, with no padding to a batch's longest text
            encoder = inner
        else:
            encoder = batching = BatchingEmbedder(inner)
    loader = Loader(settings, encoder, serve_site=options.serve_site, with_model=options.with_model)
    loader.cleanup()
    holder = SnapshotHolder(loader.load())
    store = open_store(settings)
    api = Api(settings, options, holder, store, batching=batching is not None)
    if options.with_model:
        runs_on = getattr(inner, "runs_on", None)
        api.model = inner.model_id + (f" ({runs_on})" if runs_on else "")
    watcher = Watcher(holder, loader, interval=options.watch_interval or 1.0)

    routes = [
        _route("/api/health", api.health, "GET"),
        _route("/api/openapi.json", api.openapi, "GET"),
        _route("/api/search", api.search, "GET"),
        _route("/api/suggest", api.suggest, "POST"),
        _route("/api/webhooks/zendesk", api.webhook, "POST"),
        _route("/api/webhooks/freshdesk", api.webhook, "POST"),
        _route("/api/feedback", api.feedback, "POST"),
        Mount("/api", app=_api_not_found),
        Mount("/", app=SiteApp()),
    ]
    middleware = [Middleware(SnapshotMiddleware, holder=holder)]
    if options.cors_origins:
        middleware.insert(
            0,
            Middleware(
                CORSMiddleware,
                allow_origins=list(options.cors_origins),
                allow_methods=["GET", "POST"],
                allow_headers=["Content-Type", "Authorization"],
                max_age=600,
            ),
        )

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> Any:
        if options.watch_interval:
            watcher.start()
        try:
            yield
        finally:
            watcher.stop()
            holder.close()
            store.close()
            if batching is not None:
                batching.close()
            if api.limiter.shared is not None:
                api.limiter.shared.close()
            loader.cleanup()

    app = Starlette(
        routes=routes,
        middleware=middleware,
        exception_handlers={HTTPException: _http_error, Exception: _server_error},
        lifespan=lifespan,
    )
    app.state.holder = holder
    app.state.watcher = watcher
    app.state.store = store
    app.state.api = api
    return app


async def _api_not_found(scope: Scope, receive: Receive, send: Send) -> None:
    response = error_response(404, "no such endpoint; see /api/openapi.json")
    await response(scope, receive, send)


WORKER_ENV = "KB_SERVE_WORKER"  # how `kb serve --workers N` hands config and options to workers


def worker_app() -> Starlette:
    """The app factory each worker process of `kb serve --workers N` calls (uvicorn factory=True)."""
    from kb.core.settings import Settings

    spec = json.loads(os.environ[WORKER_ENV])
    settings = Settings.load(spec["config"])
    return create_app(settings, ServerOptions.from_json(spec["options"]))
