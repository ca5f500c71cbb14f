"""The ASGI app of `kb serve`: the API routes and the built site, over per-request build snapshots.

`create_app(settings)` returns the app; `kb serve` runs it on uvicorn. Every request takes the
current build snapshot (kb.server.snapshot) and keeps it to the end, so rebuilds are atomic.
Bad input is a 4xx with a message naming the field, never a 500. With `options.internal` it
serves the agents' site (site-internal/) and every URL but sign-in needs sign-in (kb.server.auth).
"""

from __future__ import annotations

import contextlib
import dataclasses
import json
import logging
import os
import re
import stat
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

import anyio
from starlette.applications import Starlette
from starlette.datastructures import MutableHeaders
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.middleware.cors import CORSMiddleware
from starlette.requests import Request
from starlette.responses import FileResponse, PlainTextResponse, Response
from starlette.routing import Mount, Route, request_response
from starlette.staticfiles import StaticFiles
from starlette.types import ASGIApp, Receive, Scope, Send

from kb.core.csp import CONTENT_SECURITY_POLICY
from kb.core.errors import KBError, UsageError
from kb.server.api import Api
from kb.server.assist import DraftsApi, load_drafter
from kb.server.auth import Auth, Gate, ProxyMiddleware
from kb.server.batching import ModelLoader, ServedModel
from kb.server.contact import ContactApi
from kb.server.credentials import Users, session_secret
from kb.server.events import EventsApi, EventStore
from kb.server.events import db_path as events_path
from kb.server.feedback import open_store
from kb.server.input import ApiError, error_response
from kb.server.kcs import KcsApi, KcsStore
from kb.server.kcs import db_path as kcs_path
from kb.server.options import WORKER_ENV, ServerOptions, default_origins
from kb.server.signin import SignIn
from kb.server.snapshot import SNAPSHOT_KEY, Loader, Snapshot, SnapshotHolder, Watcher

if TYPE_CHECKING:
    from kb.core.settings import Settings
    from kb.suggest.embedders import Embedder

log = logging.getLogger(__name__)


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


LANG_FOLDER = re.compile(r"[a-z]{2,3}(?:[-_][A-Za-z0-9]{2,8})?")  # a language's folder of the site


class SecurityHeadersMiddleware:
    """Sends the site's Content-Security-Policy (kb.core.csp) with every response."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def sending(message: Any) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                headers.setdefault("content-security-policy", CONTENT_SECURITY_POLICY)
            await send(message)

        await self.app(scope, receive, sending)


class SiteFiles(StaticFiles):
    """The built site's files; a missing page gets the 404 page of its URL's language folder."""

    async def get_response(self, path: str, scope: Scope) -> Response:
        """The file at `path`, or the nearest language's 404 page (`nl/...` -> `nl/404.html`)."""
        response = await super().get_response(path, scope)
        if response.status_code != 404:
            return response
        folder = path.replace(os.sep, "/").split("/", 1)[0]
        if not LANG_FOLDER.fullmatch(folder):
            return response
        full_path, stat_result = await anyio.to_thread.run_sync(
            self.lookup_path, f"{folder}/404.html"
        )
        if stat_result is None or not stat.S_ISREG(stat_result.st_mode):
            return response
        return FileResponse(full_path, stat_result=stat_result, status_code=404)


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
            static = SiteFiles(directory=snap.site, html=True)
            self._static = {**dict(list(self._static.items())[-1:]), id(snap): static}
        await static(scope, receive, send)


# -- routing ------------------------------------------------------------------------------------
class _AnyMethod:
    """An ASGI app Starlette routes every method to (a function endpoint would get only GET)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        await self.app(scope, receive, send)


def _route(path: str, handler: Callable[[Request], Awaitable[Response]], method: str) -> Route:
    """A route that answers every method, so a wrong one gets a JSON 405 (not the site's 404).

    `method` is one method, or several joined by commas ("GET,POST").
    """
    allowed = method.split(",") + (["HEAD"] if "GET" in method.split(",") else [])

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
    csp = {"Content-Security-Policy": CONTENT_SECURITY_POLICY}  # sent past the middleware
    return error_response(500, "internal error; see the server log", **csp)


# -- the app ---------------------------------------------------------------------------------------
def create_app(
    settings: Settings,
    options: ServerOptions | None = None,
    *,
    embedder: Embedder | None = None,
) -> Starlette:
    """Build the ASGI app: loads the current build now and watches for new ones while running."""
    options = options or ServerOptions()
    site_settings = settings
    if options.internal:  # the agents' server: site-internal/ behind sign-in
        site_settings = dataclasses.replace(settings, site_dir=settings.internal_site_dir)
    later = options.with_model and options.model_in_background
    model = (
        ServedModel.load(settings, options, embedder) if options.with_model and not later else None
    )
    encoder = model.encoder if model is not None else None
    batching = model.batching if model is not None else None
    loader = Loader(
        site_settings, encoder, serve_site=options.serve_site, with_model=model is not None
    )
    loader.cleanup()
    holder = SnapshotHolder(loader.load())
    store = open_store(settings)
    api = Api(settings, options, holder, store, batching=batching is not None)
    api.model = model.label if model is not None else None
    api.model_loading = later
    events = EventsApi(api, EventStore(events_path(settings)))
    contact = ContactApi(api, settings)
    kcs = KcsApi(api, KcsStore(kcs_path(settings))) if options.internal else None
    drafts = DraftsApi(api, load_drafter(options.drafter), options.write_drafts)
    watcher = Watcher(holder, loader, interval=options.watch_interval or 1.0)
    background = ModelLoader(settings, options, embedder, loader, holder, api) if later else None

    signin = sign_in_for(settings, options, api) if options.internal else None
    routes = [
        *(_page_routes(signin) if signin is not None else []),
        _route("/api/health", api.health, "GET"),
        _route("/api/openapi.json", api.openapi, "GET"),
        _route("/api/search", api.search, "GET"),
        _route("/api/suggest", api.suggest, "POST"),
        _route("/api/webhooks/zendesk", api.webhook, "POST"),
        _route("/api/webhooks/freshdesk", api.webhook, "POST"),
        _route("/api/feedback", api.feedback, "POST"),
        _route("/api/events", events.post, "POST"),
        _route("/api/requests", contact.post, "POST"),
        *(
            [
                _route("/api/links", kcs.link, "POST"),
                _route("/api/flags", kcs.flags, "GET,POST"),
                _route("/api/drafts", drafts.post, "POST"),
            ]
            if kcs is not None
            else []
        ),
        Mount("/api", app=_api_not_found),
        Mount("/", app=SiteApp()),
    ]
    middleware = [
        Middleware(SecurityHeadersMiddleware),
        Middleware(SnapshotMiddleware, holder=holder),
    ]
    if options.cors_origins:
        middleware.insert(
            1,
            Middleware(
                CORSMiddleware,
                allow_origins=list(options.cors_origins),
                allow_methods=["GET", "POST"],
                allow_headers=["Content-Type", "Authorization"],
                max_age=600,
            ),
        )
    if signin is not None:  # inside the security headers: the sign-in page gets the CSP too
        middleware.insert(-1, Middleware(Gate, auth=signin.auth, page=signin.form))
    if options.proxy:  # outermost: the connecting address is kept before X-Forwarded-For
        middleware.insert(0, Middleware(ProxyMiddleware, proxies=options.proxy))

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> Any:
        if background is not None:
            background.start()
        if options.watch_interval:
            watcher.start()
        try:
            yield
        finally:
            watcher.stop()
            holder.close()
            store.close()
            events.store.close()
            if kcs is not None:
                kcs.store.close()
            contact.close()
            if batching is not None:
                batching.close()
            if background is not None:
                background.close()
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
    app.state.options = options  # kb.server.serving reads its timeouts from here
    return app


def sign_in_for(settings: Settings, options: ServerOptions, api: Api) -> SignIn:
    """The sign-in of an agents' server: its users file, secret, proxy and the API's token check."""
    users = Users(Path(options.users_file) if options.users_file else settings.layout.users)
    auth = Auth(
        users,
        session_secret(settings),
        bearer=api.bearer,
        session_seconds=options.session_hours * 3600,
        proxies=options.proxy,
        proxy_user=options.proxy_user,
        origins=default_origins(settings.site_url),
    )
    return SignIn(auth, api.limiter, settings.site_name)


def _page_routes(signin: SignIn) -> list[Route]:
    """The sign-in and sign-out pages (GET and POST; a wrong bearer token is still a 401)."""

    def route(path: str, handler: Callable[[Request], Awaitable[Response]]) -> Route:
        async def endpoint(request: Request) -> Response:
            try:
                return await handler(request)
            except ApiError as exc:
                return error_response(exc.status, exc.message, **_headers(exc.headers))

        return Route(path, _AnyMethod(request_response(endpoint)))

    return [route("/auth/sign-in", signin.sign_in), route("/auth/sign-out", signin.sign_out)]


async def _api_not_found(scope: Scope, receive: Receive, send: Send) -> None:
    response = error_response(404, "no such endpoint; see /api/openapi.json")
    await response(scope, receive, send)


def worker_app() -> Starlette:
    """The app factory each worker process of `kb serve --workers N` calls (uvicorn factory=True)."""
    from kb.core.settings import Settings

    spec = json.loads(os.environ[WORKER_ENV])
    settings = Settings.load(spec["config"])
    return create_app(settings, ServerOptions.from_json(spec["options"]))
