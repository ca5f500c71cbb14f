"""The sign-in and sign-out pages of `kb serve --internal`: a bounded form, rate limits, CSRF check.

`GET /auth/sign-in` shows the form (the gate shows it too, with 401, at any page URL without a
session); `POST /auth/sign-in` checks the name and password against the users file and answers
303 to the page asked for, with the session cookie. Failed sign-ins count against the client's
"auth" bucket (AUTH_RATE, shared with failed bearer tokens); a client over it gets 429 without its
password being checked. `POST /auth/sign-out` forgets the cookie. The pages are self-contained:
no script, their styles inline, under the server's Content-Security-Policy.
"""

from __future__ import annotations

import asyncio
import html
import logging
import re
from typing import TYPE_CHECKING
from urllib.parse import parse_qs

from starlette.concurrency import run_in_threadpool
from starlette.requests import ClientDisconnect, Request
from starlette.responses import HTMLResponse, RedirectResponse, Response

from kb.server.auth import Auth, same_origin
from kb.server.credentials import verify_password

if TYPE_CHECKING:
    from kb.server.ratelimit import RateLimiter

log = logging.getLogger(__name__)
MAX_FORM = 4096  # bytes of a sign-in form
SAFE_NEXT = re.compile(r"/(?![/\\])[\x21-\x7e]{0,2000}")  # a path on this server, nothing else
CHECKS_AT_ONCE = 2  # scrypt takes 16 MiB and ~50 ms: a burst of sign-ins waits instead

STYLE = """
body{font:16px/1.5 system-ui,sans-serif;background:#f4f5f7;color:#1d2330;margin:0}
main{max-width:22rem;margin:12vh auto;background:#fff;padding:2rem;border-radius:8px;
box-shadow:0 1px 4px #0002}
h1{font-size:1.4rem;margin:0 0 .25rem}p{margin:.25rem 0 1rem;color:#4a5263}
label{display:block;font-weight:600;margin-top:1rem}
input{box-sizing:border-box;width:100%;font:inherit;padding:.5rem;margin-top:.25rem;
border:1px solid #8a93a6;border-radius:4px}
button{margin-top:1.5rem;width:100%;font:inherit;font-weight:600;padding:.6rem;border:0;
border-radius:4px;background:#2b4acb;color:#fff;cursor:pointer}
.kb-error{color:#a40e26;font-weight:600}
"""


def safe_next(value: str | None) -> str:
    """Where to go after signing in: a path on this server (never another site), else `/`."""
    if value and SAFE_NEXT.fullmatch(value) and not value.startswith("/auth/"):
        return value
    return "/"


def page(
    title: str,
    body: str,
    *,
    site_name: str,
    status: int = 200,
) -> HTMLResponse:
    """A small self-contained page (no script) with `body` as its HTML."""
    text = (
        '<!doctype html><html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width,initial-scale=1">'
        '<meta name="robots" content="noindex,nofollow">'
        f"<title>{html.escape(title)} · {html.escape(site_name)}</title>"
        f"<style>{STYLE}</style></head><body><main>{body}</main></body></html>"
    )
    return HTMLResponse(text, status, headers={"cache-control": "no-store"})


class SignIn:
    """The sign-in and sign-out endpoints of one agents' server."""

    def __init__(self, auth: Auth, limiter: RateLimiter, site_name: str) -> None:
        self.auth = auth
        self.limiter = limiter
        self.site_name = site_name
        self.running = asyncio.Semaphore(CHECKS_AT_ONCE)

    def form(
        self,
        request: Request,
        *,
        status: int = 200,
        message: str = "",
        next_url: str | None = None,
        name: str = "",
    ) -> HTMLResponse:
        """The sign-in page; it posts to /auth/sign-in and then goes to `next_url`."""
        target = safe_next(next_url)
        error = f'<p class="kb-error" role="alert">{html.escape(message)}</p>' if message else ""
        body = (
            f"<h1>{html.escape(self.site_name)}</h1><p>Agents only: sign in to continue.</p>"
            f"{error}"
            '<form method="post" action="/auth/sign-in">'
            f'<input type="hidden" name="next" value="{html.escape(target)}">'
            '<label for="kb-user">User name</label>'
            f'<input id="kb-user" name="user" autocomplete="username" required '
            f'maxlength="64" value="{html.escape(name)}" autofocus>'
            '<label for="kb-password">Password</label>'
            '<input id="kb-password" name="password" type="password" '
            'autocomplete="current-password" required maxlength="1024">'
            '<button type="submit">Sign in</button></form>'
        )
        return page("Sign in", body, site_name=self.site_name, status=status)

    async def sign_in(self, request: Request) -> Response:
        """GET: the form (or straight on when signed in); POST: check and start a session."""
        if request.method in ("GET", "HEAD"):
            next_url = request.query_params.get("next")
            if self.auth.identify(request) is not None:
                return RedirectResponse(safe_next(next_url), 303)
            return self.form(request, next_url=next_url)
        if request.method != "POST":
            return self._message(405, "Use the form to sign in.", Allow="GET, HEAD, POST")
        if not same_origin(request, self.auth.origins):
            return self._message(403, "This form was sent from another site; sign in here.")
        form = await read_form(request)
        if isinstance(form, Response):
            return form
        name = form.get("user", "").strip()
        password = form.get("password", "")
        next_url = form.get("next")
        client = request.client.host if request.client else "unknown"
        wait = self.limiter.check("auth", client, peek=True)
        if wait:
            retry = str(self.limiter.retry_after(wait))
            message = f"Too many failed sign-ins; try again in {retry} seconds."
            limited = self.form(request, status=429, message=message, next_url=next_url)
            limited.headers["retry-after"] = retry
            return limited
        stored = self.auth.users.get(name)
        async with self.running:
            ok = await run_in_threadpool(verify_password, stored, password)
        if not ok or stored is None:
            self.limiter.check("auth", client)  # one failure more
            log.info("failed sign-in from %s", client)  # never the name or password typed
            message = "Wrong user name or password."
            return self.form(request, status=401, message=message, next_url=next_url, name=name)
        log.info("%s signed in", name)
        response = RedirectResponse(safe_next(next_url), 303)
        response.set_cookie(**self.auth.session_cookie(name, stored, request))
        response.headers["cache-control"] = "no-store"
        return response

    async def sign_out(self, request: Request) -> Response:
        """GET: a page with the sign-out button; POST: forget the session, back to sign-in."""
        if request.method in ("GET", "HEAD"):
            who = self.auth.identify(request)
            if who is None:
                return RedirectResponse("/auth/sign-in", 303)
            shown = html.escape(who.name or "the API token")
            body = (
                f"<h1>{html.escape(self.site_name)}</h1><p>Signed in as {shown}.</p>"
                '<form method="post" action="/auth/sign-out">'
                '<button type="submit">Sign out</button></form>'
            )
            return page("Sign out", body, site_name=self.site_name)
        if request.method != "POST":
            return self._message(405, "Use the button to sign out.", Allow="GET, HEAD, POST")
        if not same_origin(request, self.auth.origins):
            return self._message(403, "This form was sent from another site.")
        response = RedirectResponse("/auth/sign-in", 303)
        Auth.end_session(response, request)
        response.headers["cache-control"] = "no-store"
        return response

    def _message(self, status: int, text: str, **headers: str) -> HTMLResponse:
        response = page("Sign in", f"<p>{html.escape(text)}</p>", site_name=self.site_name)
        response.status_code = status
        for key, value in headers.items():
            response.headers[key] = value
        return response


async def read_form(request: Request, limit: int = MAX_FORM) -> dict[str, str] | Response:
    """A small urlencoded form's fields (the first value of each), or the 4xx answer."""
    ctype = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if ctype != "application/x-www-form-urlencoded":
        return Response("expected a form (application/x-www-form-urlencoded)\n", 415)
    length = request.headers.get("content-length", "")
    if length.isdigit() and int(length) > limit:
        return Response(f"the form is larger than {limit} bytes\n", 413)
    raw = bytearray()
    try:
        async with asyncio.timeout(10):
            async for chunk in request.stream():
                raw += chunk
                if len(raw) > limit:
                    return Response(f"the form is larger than {limit} bytes\n", 413)
    except TimeoutError:
        return Response("the form did not arrive in time\n", 408)
    except ClientDisconnect:
        return Response("the client went away\n", 400)
    try:
        text = bytes(raw).decode("ascii")  # urlencoded: ASCII, UTF-8 only inside %-escapes
        fields = parse_qs(text, max_num_fields=8, strict_parsing=bool(text), errors="strict")
    except (UnicodeDecodeError, ValueError):
        return Response("the form is not valid urlencoded UTF-8\n", 400)
    return {key: values[0] for key, values in fields.items() if values}
