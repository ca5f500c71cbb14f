"""Who is signed in to `kb serve --internal`: session cookies, a trusted proxy's user, the token.

`Auth.identify(request)` is the one answer to "is this request signed in, and as whom" for any
route; `signed_in(request)` asks it from anywhere. `Gate` stands in front of every URL of the
agents' server: without credentials a page navigation gets the sign-in page (401) and everything
else a 401, never the content. Requests signed in by cookie or proxy that change state (POST and
the like) must come from the server's own origin (CSRF).

A session cookie is `v1.<payload>.<hmac>`: the payload (base64url JSON) names the user, its
expiry and a digest of the user's stored password hash, so a new password or a removed user ends
the user's sessions; the HMAC-SHA256 is keyed with the server's secret (kb.server.credentials).
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import ipaddress
import json
import logging
import re
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from starlette.datastructures import MutableHeaders
from starlette.requests import Request
from starlette.responses import Response
from starlette.types import ASGIApp, Receive, Scope, Send
from uvicorn.middleware.proxy_headers import ProxyHeadersMiddleware

from kb.server.credentials import Users, version_of
from kb.server.input import ApiError, error_response

log = logging.getLogger(__name__)
COOKIE = "kb_session"
AUTH_KEY = "kb.auth"  # the Auth of this server, in each request's ASGI scope
IDENTITY_KEY = "kb.identity"  # who the request is, once asked
PEER_KEY = "kb.peer"  # the address that connected, before X-Forwarded-For
MAX_COOKIE = 4096
UNSAFE = frozenset({"POST", "PUT", "PATCH", "DELETE"})
# what works without signing in: signing in and out, and health (which then counts public only)
OPEN_PATHS = frozenset({"/auth/sign-in", "/auth/sign-out", "/api/health"})
_PROXY_USER = re.compile(r"[^\x00-\x1f\x7f]{1,256}")
_MISSING = object()


@dataclass(frozen=True)
class Identity:
    """A signed-in request: the agent's name (None for the bearer token) and how it signed in."""

    name: str | None
    via: str  # "session", "proxy" or "token"


def signed_in(request: Request) -> Identity | None:
    """Who signed `request` in, on a server with sign-in; None without credentials or sign-in."""
    auth = request.scope.get(AUTH_KEY)
    return auth.identify(request) if isinstance(auth, Auth) else None


# -- session cookies -------------------------------------------------------------------------------
def make_session(secret: bytes, name: str, version: str, expires: float) -> str:
    """A signed session value for `name` until `expires` (Unix time)."""
    payload = json.dumps({"u": name, "e": int(expires), "k": version}, separators=(",", ":"))
    body = base64.urlsafe_b64encode(payload.encode("utf-8")).decode("ascii").rstrip("=")
    return f"v1.{body}.{_sign(secret, body)}"


def read_session(secret: bytes, value: str, now: float | None = None) -> tuple[str, str] | None:
    """(name, password version) of a valid, unexpired session value; None for anything else."""
    if len(value) > MAX_COOKIE or value.count(".") != 2:
        return None
    tag, body, mac = value.split(".")
    if tag != "v1" or not hmac.compare_digest(mac.encode(), _sign(secret, body).encode()):
        return None
    try:
        data = json.loads(base64.urlsafe_b64decode(body + "=" * (-len(body) % 4)))
    except (binascii.Error, ValueError):
        return None
    if not isinstance(data, dict):
        return None
    name, expires, version = data.get("u"), data.get("e"), data.get("k")
    if not (isinstance(name, str) and isinstance(version, str) and type(expires) is int):
        return None
    if expires <= (time.time() if now is None else now):
        return None
    return name, version


def _sign(secret: bytes, body: str) -> str:
    mac = hmac.new(secret, b"kb-session-v1." + body.encode("ascii", "replace"), hashlib.sha256)
    return base64.urlsafe_b64encode(mac.digest()).decode("ascii").rstrip("=")


# -- origins ---------------------------------------------------------------------------------------
def same_origin(request: Request, allowed: Sequence[str] = ()) -> bool:
    """True when the browser says the request comes from this server's own pages.

    Its Origin (or, without one, its Referer) must name the Host the request was sent to, or one
    of `allowed` (the origin of site_url). A request that names neither is refused.
    """
    origin = request.headers.get("origin") or request.headers.get("referer")
    if not origin or origin == "null" or len(origin) > 4000:
        return False
    try:
        parts = urlsplit(origin)
    except ValueError:  # e.g. "http://[::1": not a URL
        return False
    if parts.scheme not in ("http", "https") or not parts.netloc:
        return False
    host = request.headers.get("host", "")
    if host and hmac.compare_digest(parts.netloc.lower().encode(), host.lower().encode()):
        return True
    return f"{parts.scheme}://{parts.netloc}".lower() in {a.lower().rstrip("/") for a in allowed}


# -- proxies ---------------------------------------------------------------------------------------
class TrustedProxies:
    """The addresses of `--proxy`: IPs or networks, comma-separated; `*` for any."""

    def __init__(self, spec: str) -> None:
        self.any = False
        self.networks: list[ipaddress.IPv4Network | ipaddress.IPv6Network] = []
        for item in (s.strip() for s in spec.split(",")):
            if item == "*":
                self.any = True
            elif item:
                try:
                    self.networks.append(ipaddress.ip_network(item, strict=False))
                except ValueError:
                    raise ValueError(f"--proxy: {item!r} is not an IP address or network") from None

    def __contains__(self, host: object) -> bool:
        if self.any:
            return True
        try:
            address = ipaddress.ip_address(str(host))
        except ValueError:
            return False
        return any(address in net for net in self.networks)


class ProxyMiddleware:
    """Keeps the connecting address (PEER_KEY), then applies X-Forwarded-For/-Proto from proxies."""

    def __init__(self, app: ASGIApp, proxies: str) -> None:
        self.app = app
        proxied: Any = ProxyHeadersMiddleware  # typed for uvicorn's own scope types
        self.inner: ASGIApp = proxied(app, trusted_hosts=proxies) if proxies else app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] in ("http", "websocket"):
            client = scope.get("client")
            scope[PEER_KEY] = client[0] if client else None
        await self.inner(scope, receive, send)


# -- who is it -------------------------------------------------------------------------------------
class Auth:
    """The sign-in of one agents' server: its users, secret, session length and trusted proxy."""

    def __init__(
        self,
        users: Users,
        secret: bytes,
        *,
        bearer: Callable[[Request], bool],
        session_seconds: float = 12 * 3600,
        proxies: str = "",
        proxy_user: str = "",
        origins: Sequence[str] = (),
    ) -> None:
        self.users = users
        self.secret = secret
        self.bearer = bearer  # the API's token check: True, or ApiError 401/429
        self.session_seconds = session_seconds
        self.proxies = TrustedProxies(proxies)
        self.proxy_user = proxy_user.strip().lower()
        self.origins = list(origins)

    def identify(self, request: Request) -> Identity | None:
        """Who this request is signed in as; None without credentials (ApiError: a wrong token)."""
        found = request.scope.get(IDENTITY_KEY, _MISSING)
        if found is _MISSING:
            found = self._identify(request)
            request.scope[IDENTITY_KEY] = found
        return found if isinstance(found, Identity) else None

    def _identify(self, request: Request) -> Identity | None:
        who = self.from_proxy(request)  # first: a proxy may pass its own Authorization on
        if who is not None:
            return who
        if request.headers.get("authorization"):
            return Identity(None, "token") if self.bearer(request) else None
        value = request.cookies.get(COOKIE)
        if not value:
            return None
        read = read_session(self.secret, value)
        if read is None:
            return None
        name, version = read
        stored = self.users.get(name)
        if stored is None or not hmac.compare_digest(version_of(stored), version):
            return None  # removed, or the password changed since
        return Identity(name, "session")

    def from_proxy(self, request: Request) -> Identity | None:
        """The proxy's user header, only with --proxy-user and only from a --proxy address."""
        if not self.proxy_user or request.scope.get(PEER_KEY) not in self.proxies:
            return None
        value = request.headers.get(self.proxy_user, "").strip()
        return Identity(value, "proxy") if _PROXY_USER.fullmatch(value) else None

    def session_cookie(self, name: str, stored: str, request: Request) -> dict[str, Any]:
        """Response.set_cookie arguments for a new session of `name`."""
        expires = time.time() + self.session_seconds
        return {
            "key": COOKIE,
            "value": make_session(self.secret, name, version_of(stored), expires),
            "max_age": int(self.session_seconds),
            "path": "/",
            "httponly": True,
            "secure": request.url.scheme == "https",
            "samesite": "lax",  # sent when an agent follows a link from the helpdesk; not on POSTs
        }

    @staticmethod
    def end_session(response: Response, request: Request) -> None:
        """Tell the browser to forget its session cookie."""
        secure = request.url.scheme == "https"
        response.delete_cookie(COOKIE, path="/", httponly=True, secure=secure, samesite="lax")


# -- the gate --------------------------------------------------------------------------------------
def _is_navigation(request: Request) -> bool:
    """A browser loading a page (not a script, image or API call)."""
    if request.method not in ("GET", "HEAD") or request.url.path.startswith("/api/"):
        return False
    dest = request.headers.get("sec-fetch-dest")
    if dest is not None:
        return dest in ("document", "iframe")
    return "text/html" in request.headers.get("accept", "")


class Gate:
    """Every request of the agents' server passes here: signed in, or no content."""

    def __init__(self, app: ASGIApp, auth: Auth, page: Callable[..., Response]) -> None:
        self.app = app
        self.auth = auth
        self.page = page  # the sign-in page: page(request, status=..., message=..., next_url=...)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "websocket":  # the server has none: refused before any routing
            await send({"type": "websocket.close", "code": 1008})
            return
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        scope[AUTH_KEY] = self.auth
        request = Request(scope)
        response = self.check(request)
        if response is not None:
            await response(scope, receive, send)
            return

        async def private(message: Any) -> None:
            # what a signed-in agent gets is theirs: no shared cache (a proxy's, a CDN's) keeps it
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                if "no-store" not in headers.get("cache-control", ""):
                    headers["cache-control"] = "private"
            await send(message)

        await self.app(scope, receive, private)

    def check(self, request: Request) -> Response | None:
        """None when the request may go on; else the answer instead of the content."""
        if request.url.path in OPEN_PATHS:
            return None
        try:
            who = self.auth.identify(request)
        except ApiError as exc:  # a wrong bearer token: 401, or 429 after too many
            return error_response(exc.status, exc.message, **_headers(exc.headers))
        if who is None:
            return self.refuse(request)
        if (
            request.method in UNSAFE
            and who.via != "token"
            and not same_origin(request, self.auth.origins)
        ):
            return error_response(403, "cross-site request refused: send it from the agents' site")
        return None

    def refuse(self, request: Request) -> Response:
        """The sign-in page for a page navigation; 401 for everything else."""
        if _is_navigation(request):
            query = f"?{request.url.query}" if request.url.query else ""
            response = self.page(request, status=401, next_url=request.url.path + query)
        elif request.url.path.startswith("/api/"):
            response = error_response(
                401,
                "sign in, or send Authorization: Bearer <token>",
                **{"WWW-Authenticate": "Bearer"},
            )
        else:
            response = Response("sign in first: /auth/sign-in\n", 401, media_type="text/plain")
        response.headers["cache-control"] = "no-store"
        if request.cookies.get(COOKIE):
            Auth.end_session(response, request)  # expired, tampered or from another secret
        return response


def _headers(headers: dict[str, str]) -> dict[str, str]:
    return {k.replace("_", "-"): v for k, v in headers.items()}
