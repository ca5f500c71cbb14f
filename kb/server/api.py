"""The API's request handlers: search, suggest, helpdesk webhooks, feedback, health and OpenAPI."""

from __future__ import annotations

import asyncio
import contextlib
import hmac
import os
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import quote

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from kb.server.auth import AUTH_KEY, signed_in
from kb.server.feedback import REASONS, FeedbackStore
from kb.server.input import ApiError, get_int, get_lang, get_str, kind_of, need_text, read_json
from kb.server.openapi import spec
from kb.server.options import AUTH_RATE, TOKEN_ENV, ServerOptions
from kb.server.ratelimit import RateLimiter, SharedBuckets
from kb.server.snapshot import SNAPSHOT_KEY, Snapshot, SnapshotHolder, search_key
from kb.server.webhooks import ticket_from_webhook
from kb.suggest.cleaning import clean_text
from kb.suggest.suggester import Suggestions

if TYPE_CHECKING:
    from kb.core.settings import Settings


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
        # failed tokens are limited even when options.rates has no "auth" entry (kb serve's has none)
        self.limiter = RateLimiter({"auth": AUTH_RATE, **options.rates}, shared=shared)
        token = options.token if options.token is not None else os.environ.get(TOKEN_ENV, "")
        self.token = token.strip() or None
        self.languages = list(settings.languages)
        self.pending = 0  # suggest calls in progress
        self.model: str | None = None  # the embedding model and its backend, for /api/health
        self.model_loading = False  # True while kb serve loads the model in the background
        # suggest calls running at once: a thread per core; the rest wait on the event loop,
        # which costs nothing, instead of slicing the cores (and the GIL) ever thinner. Not with
        # torch's batching thread, which needs many callers waiting to fill a batch.
        self.running = None if batching else asyncio.Semaphore(max(1, os.cpu_count() or 1))

    # -- cross-cutting ----------------------------------------------------------------------------
    def internal(self, request: Request) -> bool:
        """True for a signed-in agent or a valid bearer token; False without; 401 for a wrong token.

        On `kb serve --internal` the sign-in (kb.server.auth) answers: a session cookie, a trusted
        proxy's user or the token. A client whose tokens failed too often gets 429 for any token
        until its "auth" bucket refills (right ones included: a guess must not tell it was right).
        """
        who = signed_in(request)
        if who is not None:
            return True
        return False if request.scope.get(AUTH_KEY) is not None else self.bearer(request)

    def agent(self, request: Request) -> str | None:
        """The signed-in agent's name; None for the bearer token or without sign-in."""
        who = signed_in(request)
        return who.name if who is not None else None

    def bearer(self, request: Request) -> bool:
        """True for a valid bearer token; False without one; 401 (or 429) for a wrong one."""
        header = request.headers.get("authorization")
        if not header:
            return False
        client = self.client(request)
        wait = self.limiter.check("auth", client, peek=True)
        if wait:
            retry = str(self.limiter.retry_after(wait))
            raise ApiError(429, f"too many failed tokens; retry in {retry} s", Retry_After=retry)
        try:
            return self._check_token(header)
        except ApiError:
            self.limiter.check("auth", client)  # one failure more
            raise

    def _check_token(self, header: str) -> bool:
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

    @staticmethod
    def client(request: Request) -> str:
        """The client's address (behind --proxy, the one X-Forwarded-For names)."""
        return request.client.host if request.client else "unknown"

    def throttle(self, request: Request, bucket: str) -> None:
        """429 when this client used up its requests for `bucket`."""
        wait = self.limiter.check(bucket, self.client(request))
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
        """GET /api/health: without the token, only public published articles are counted."""
        internal = self.internal(request)
        snap = self.snapshot(request)
        ok = snap.searcher is not None and snap.kb is not None
        articles = 0
        if snap.kb is not None:
            every = snap.kb.articles
            articles = len(every) if internal else sum(1 for a in every if a.is_public)
        return JSONResponse(
            {
                "status": "ok" if ok and not snap.problems else "degraded",
                "index": snap.generation,
                "articles": articles,
                "site": snap.site is not None,
                "suggest": bool(snap.suggesters),
                "model": self.model,
                "model_loading": self.model_loading,
                # the problems name files, internal ones too: their count only, without the token
                "problems": snap.problems if internal else [],
                "problem_count": len(snap.problems),
            }
        )

    async def openapi(self, request: Request) -> Response:
        """GET /api/openapi.json."""
        self.internal(request)
        return JSONResponse(spec(self.languages, self.options.max_body, self.options.internal))

    async def search(self, request: Request) -> Response:
        """GET /api/search?q=&lang=&limit=: public articles only (a wrong token is still a 401)."""
        self.internal(request)
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
        body = await read_json(request, self.options.max_body, self.options.body_timeout)
        text = need_text(body, "text", 20_000)
        lang = get_lang(body.get("lang"), self.languages)
        limit = get_int(body.get("limit"), "limit", 5, 1, 20)
        text = clean_text(text)  # as kb suggest does: quotes, signature, personal data out
        if not text:
            return JSONResponse(Suggestions(abstained=True).to_dict())
        result = await self._suggest(request, text, lang, limit, internal)
        return JSONResponse(self._marked(result.to_dict(), request, internal))

    async def webhook(self, request: Request) -> Response:
        """POST /api/webhooks/{zendesk,freshdesk}: a ticket payload in, suggestions out."""
        internal = self.internal(request)
        if not internal:
            self.throttle(request, "api")
        body = await read_json(request, self.options.max_body, self.options.body_timeout)
        desk = request.url.path.rstrip("/").rsplit("/", 1)[-1]
        try:
            ticket = ticket_from_webhook(desk, body)
        except ValueError as exc:
            raise ApiError(400, str(exc)) from None
        lang = ticket.lang if ticket.lang in self.languages else None
        limit = get_int(request.query_params.get("limit"), "limit", 5, 1, 20)
        if not ticket.text.strip():  # only quotes or a signature: nothing to match
            out = Suggestions(abstained=True).to_dict(ticket.id)
        else:
            result = await self._suggest(request, ticket.text, lang, limit, internal)
            out = self._marked(result.to_dict(ticket.id), request, internal)
        if self.options.internal and ticket.id:  # the agents' server: its ticket assistant
            where = (
                f"{lang or self.settings.default_lang}/assist/?ticket={quote(ticket.id, safe='')}"
            )
            out["assist_url"] = str(request.base_url) + where
        return JSONResponse(out)

    def _marked(self, out: dict[str, Any], request: Request, internal: bool) -> dict[str, Any]:
        """Say so when the answer came from keywords alone because the model is still loading."""
        suggester = self.snapshot(request).suggesters.get(internal)
        if self.model_loading and suggester is not None and suggester.embedder is None:
            out["keywords_only"] = True
        return out

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
        body = await read_json(request, self.options.max_body, self.options.body_timeout)
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
