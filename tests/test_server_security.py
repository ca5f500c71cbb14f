"""Security of `kb serve`: strict JSON, failed-token limits, 401 everywhere, timeouts, health, CSP."""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import re
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from conftest import CHROMIUM, CHROMIUM_ARGS, need_chromium
from starlette.requests import Request
from starlette.testclient import TestClient
from test_server_helpers import TOKEN, build, free_port, server_app, write_kb
from uvicorn.middleware.proxy_headers import ProxyHeadersMiddleware

from kb.core.collection import KnowledgeBase
from kb.core.csp import CONTENT_SECURITY_POLICY, INLINE_SCRIPT_HASHES, script_hash
from kb.core.settings import Settings
from kb.server import input as server_input
from kb.server.input import ApiError, read_json
from kb.server.options import ServerOptions
from kb.server.ratelimit import Rate, SharedBuckets
from kb.server.serving import TimedHttpProtocol, uvicorn_options

AUTH = {"Authorization": f"Bearer {TOKEN}"}
WRONG = {"Authorization": "Bearer not-the-token"}
UNLIMITED = {"api": Rate(0, 0), "feedback": Rate(0, 0), "auth": Rate(0, 0)}
JSON = {"Content-Type": "application/json"}
BODIES = {  # one valid body per JSON endpoint
    "/api/suggest": {"text": "reset password"},
    "/api/webhooks/zendesk": {"ticket": {"id": 7, "subject": "reset password"}},
    "/api/feedback": {"article": "reset-password", "helpful": True},
}


@pytest.fixture(scope="module")
def settings(tmp_path_factory: pytest.TempPathFactory) -> Settings:
    s = write_kb(tmp_path_factory.mktemp("kb"))
    build(s)
    return s


def make_app(settings: Settings, **options: Any) -> Any:
    return server_app(settings, **{"rates": UNLIMITED, **options})


@pytest.fixture(scope="module")
def client(settings: Settings) -> Iterator[TestClient]:
    with TestClient(make_app(settings), raise_server_exceptions=False) as c:
        yield c


def no_tracebacks(caplog: pytest.LogCaptureFixture) -> list[str]:
    """The log records that carry a traceback or are errors (there must be none)."""
    return [r.getMessage() for r in caplog.records if r.exc_info or r.levelno >= logging.ERROR]


# -- 1. strict JSON bodies -------------------------------------------------------------------------
BAD_JSON = {
    "lone high surrogate": (b'{"text": "\\ud800"}', "lone surrogate"),
    "lone low surrogate in a key": (b'{"\\udfff": 1, "text": "a"}', "lone surrogate"),
    "30,000 nested arrays": (b"[" * 30_000 + b"]" * 30_000, "nested deeper than 64"),
    "10,000 nested objects": (b'{"a":' * 10_000 + b"1" + b"}" * 10_000, "nested deeper than 64"),
    "deep inside a valid field": (b'{"text": ' + b"[" * 5000 + b"]" * 5000 + b"}", "nested"),
    "unclosed deep arrays": (b"[" * 30_000, "nested deeper than 64"),
    "NaN": (b'{"text": "a", "limit": NaN}', "NaN is not JSON"),
    "not UTF-8 inside a string": (b'{"text": "caf\xe9"}', "not UTF-8"),
}


@pytest.mark.parametrize("path", list(BODIES))
@pytest.mark.parametrize("body", list(BAD_JSON.values()), ids=list(BAD_JSON))
def test_bad_json_is_a_400_with_a_reason_and_no_traceback(client, caplog, path, body):
    raw, reason = body
    with caplog.at_level(logging.INFO):
        r = client.post(path, content=raw, headers=JSON)
    assert r.status_code == 400
    assert reason in r.json()["error"]
    assert no_tracebacks(caplog) == []


def test_depth_64_is_accepted_and_65_is_refused_without_parsing(client, monkeypatch):
    ok = b'{"text": "reset password", "x": ' + b"[" * 63 + b"]" * 63 + b"}"  # 64 with the object
    assert client.post("/api/suggest", content=ok, headers=JSON).status_code == 200
    parsed: list[Any] = []
    real = json.loads
    monkeypatch.setattr(server_input.json, "loads", lambda s, **kw: parsed.append(s) or real(s))
    deep = b'{"text": "a", "x": ' + b"[" * 64 + b"]" * 64 + b"}"
    r = client.post("/api/suggest", content=deep, headers=JSON)
    assert r.status_code == 400 and "nested deeper than 64" in r.json()["error"]
    # the parser never saw it: deep input costs one scan, no recursion
    assert not [s for s in parsed if "[" * 64 in str(s)]


def test_brackets_in_strings_and_surrogate_pairs_are_fine(client):
    body = {"text": "reset password " + "[{" * 500 + " \U0001f600", "lang": "en"}
    raw = json.dumps(body).encode()  # ensure_ascii: the emoji as the pair \ud83d\ude00
    assert b"\\ud83d\\ude00" in raw
    assert client.post("/api/suggest", content=raw, headers=JSON).status_code == 200


def _request(chunks: list[dict[str, Any]]) -> Request:
    async def receive() -> dict[str, Any]:
        if chunks:
            return chunks.pop(0)
        await asyncio.sleep(3600)  # a client that stopped sending
        return {"type": "http.disconnect"}

    scope = {"type": "http", "method": "POST", "headers": [(b"content-type", b"application/json")]}
    return Request(scope, receive)


def test_a_stalled_body_is_a_408_and_a_vanished_client_no_traceback():
    start = [{"type": "http.request", "body": b'{"te', "more_body": True}]
    with pytest.raises(ApiError) as stalled:
        asyncio.run(read_json(_request(list(start)), 1000, timeout=0.2))
    assert stalled.value.status == 408
    gone = [*start, {"type": "http.disconnect"}]
    with pytest.raises(ApiError) as vanished:
        asyncio.run(read_json(_request(gone), 1000, timeout=5))
    assert vanished.value.status == 400


# -- 2. failed tokens are rate limited per client ------------------------------------------------
def test_failed_tokens_get_429_after_ten_and_other_clients_still_get_in(settings):
    rates = {"api": Rate(0, 0), "feedback": Rate(0, 0)}  # no "auth": the default applies
    app = make_app(settings, rates=rates)
    now = [1000.0]
    app.state.api.limiter.clock = lambda: now[0]
    with TestClient(app, client=("198.51.100.7", 4000)) as attacker:
        codes = []
        for _ in range(900):
            r = attacker.post("/api/suggest", json={"text": "refund"}, headers=WRONG)
            codes.append(r.status_code)
        assert codes[:10] == [401] * 10 and set(codes[10:]) == {429}
        assert int(r.headers["retry-after"]) >= 1 and "failed tokens" in r.json()["error"]
        # search and health count too, and a right guess is no way round the limit
        assert attacker.get("/api/search", params={"q": "a"}, headers=WRONG).status_code == 429
        assert attacker.post("/api/suggest", json={"text": "a"}, headers=AUTH).status_code == 429
        assert attacker.get("/api/search", params={"q": "parcel"}).status_code == 200  # no token
        other = TestClient(app, client=("203.0.113.9", 4000))
        assert other.post("/api/suggest", json={"text": "refund"}, headers=AUTH).status_code == 200
        now[0] += 7  # one failure flows back in every 6 s
        assert attacker.post("/api/suggest", json={"text": "a"}, headers=WRONG).status_code == 401
        assert attacker.post("/api/suggest", json={"text": "a"}, headers=WRONG).status_code == 429


def test_behind_a_proxy_failed_tokens_count_per_forwarded_client(settings):
    app = make_app(settings, rates={"api": Rate(0, 0), "feedback": Rate(0, 0)})
    app.state.api.limiter.clock = lambda: 0.0
    proxied = ProxyHeadersMiddleware(app, trusted_hosts="10.0.0.1")
    with TestClient(proxied, client=("10.0.0.1", 80)) as proxy:

        def call(forwarded: str, auth: dict[str, str]) -> int:
            headers = {**auth, "X-Forwarded-For": forwarded}
            return proxy.get("/api/health", headers=headers).status_code

        assert [call("192.0.2.1", WRONG) for _ in range(11)] == [401] * 10 + [429]
        assert call("192.0.2.2", AUTH) == 200  # another client behind the same proxy
        assert call("192.0.2.2", WRONG) == 401


def test_shared_buckets_peek_takes_nothing(tmp_path: Path):
    buckets = SharedBuckets.create(tmp_path / "rl.bin", slots=64)
    rate = Rate(1 / 60, 2)
    try:
        assert [buckets.take("k", rate, 1, 0.0, peek=True) for _ in range(5)] == [0.0] * 5
        assert buckets.take("k", rate, 1, 0.0) == 0.0 and buckets.take("k", rate, 1, 0.0) == 0.0
        assert buckets.take("k", rate, 1, 0.0, peek=True) > 0
    finally:
        buckets.close()


# -- 3. a wrong token is a 401 on every endpoint -------------------------------------------------
ENDPOINTS = [
    ("GET", "/api/search?q=reset", None),
    ("GET", "/api/health", None),
    ("GET", "/api/openapi.json", None),
    *(("POST", path, body) for path, body in BODIES.items()),
]


@pytest.mark.parametrize(("method", "path", "body"), ENDPOINTS)
def test_a_wrong_token_is_401_everywhere_and_none_is_public(client, method, path, body):
    for header in ("Bearer not-the-token", "Basic dXNlcjpwYXNz", "Bearer "):
        r = client.request(method, path, json=body, headers={"Authorization": header})
        assert r.status_code == 401, (header, r.text)
        assert r.headers["www-authenticate"] == "Bearer" and r.json()["error"]
    assert client.request(method, path, json=body).status_code in (200, 201)


# -- 4. header and body timeouts on a real server ------------------------------------------------
SERVER = """
import sys
from kb.core.settings import Settings
from kb.server import serving
from kb.server.app import create_app
from kb.server.options import ServerOptions

settings = Settings.load(sys.argv[1])
if sys.argv[3] == "internal":
    settings.site_dir = settings.internal_site_dir
options = ServerOptions(watch_interval=0, with_model=False, header_timeout=2, body_timeout=3)
serving.run(create_app(settings, options), host="127.0.0.1", port=int(sys.argv[2]))
"""


@contextlib.contextmanager
def real_server(config: Path, site: str = "public") -> Iterator[tuple[int, list[str]]]:
    """`create_app` on uvicorn through kb.server.serving, in a process; yields (port, its log)."""
    port = free_port()
    cmd = [sys.executable, "-c", SERVER, str(config), str(port), site]
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    log: list[str] = []
    try:
        deadline = time.monotonic() + 120
        while True:
            assert proc.poll() is None, proc.stdout.read() if proc.stdout else ""
            assert time.monotonic() < deadline, "the server did not start"
            with contextlib.suppress(httpx.HTTPError):
                if httpx.get(f"http://127.0.0.1:{port}/api/health", timeout=1).is_success:
                    break
            time.sleep(0.2)
        yield port, log
    finally:
        proc.terminate()
        log.append(proc.communicate(timeout=20)[0])


def until_closed(
    port: int, head: bytes = b"", drip: bytes = b"", limit: float = 12, from_head: bool = False
) -> tuple:
    """Send `head`, then `drip` a byte every 0.5 s, until the server closes the connection.

    Returns the seconds from the first dripped byte (with `from_head`, from sending `head`,
    where the server's clock starts for a body) to the close, and what the server sent; gives
    up after `limit` seconds.
    """
    sock = socket.create_connection(("127.0.0.1", port))
    sock.settimeout(0.5)
    got, pending = b"", iter(drip)
    try:
        sent = time.monotonic()
        if head:
            sock.sendall(head)
            with contextlib.suppress(TimeoutError):
                got += sock.recv(65536)  # the answer to a whole first request
        start = sent if from_head else time.monotonic()
        while time.monotonic() - start < limit:
            byte = next(pending, None)
            try:
                if byte is not None:
                    sock.sendall(bytes([byte]))
                chunk = sock.recv(65536)
            except TimeoutError:
                continue
            except OSError:  # reset or broken pipe: closed
                break
            if not chunk:
                break
            got += chunk
        return time.monotonic() - start, got
    finally:
        sock.close()


REQUEST = b"GET /api/health HTTP/1.1\r\nHost: 127.0.0.1\r\nUser-Agent: slow-client\r\n\r\n"
SLOW = REQUEST * 20  # far more bytes than the deadline lets through, one every 0.5 s
TIMED_OUT = b"HTTP/1.1 408 Request Timeout"


@pytest.fixture(scope="module")
def server(settings: Settings) -> Iterator[int]:
    assert settings.config_file is not None
    with real_server(settings.config_file) as (port, log):
        yield port
    assert "Traceback" not in log[0] and "ERROR" not in log[0], log[0]


def test_a_request_line_trickled_byte_by_byte_is_cut_off(server):
    took, got = until_closed(server, drip=SLOW)  # header_timeout is 2 s here (10 s by default)
    assert 1.5 <= took <= 5 and got.startswith(TIMED_OUT)


def test_an_idle_connection_is_closed_without_an_answer(server):
    took, got = until_closed(server)
    assert 1.5 <= took <= 5 and got == b""


def test_a_slow_next_request_on_a_kept_alive_connection_is_cut_off(server):
    took, got = until_closed(server, head=REQUEST, drip=SLOW)
    assert got.startswith(b"HTTP/1.1 200") and TIMED_OUT in got and took <= 5


def test_a_body_trickled_byte_by_byte_is_cut_off_with_408(server):
    head = b"POST /api/suggest HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
    head += b"Content-Length: 200\r\n\r\n"
    took, got = until_closed(server, head=head, drip=b'{"text": "' + b"a" * 190, from_head=True)
    assert 2.5 <= took <= 6 and got.startswith(TIMED_OUT)  # body_timeout is 3 s here
    assert httpx.get(f"http://127.0.0.1:{server}/api/health").status_code == 200


def test_a_slow_but_timely_request_is_answered(server):
    sock = socket.create_connection(("127.0.0.1", server))
    try:
        for part in (REQUEST[:10], REQUEST[10:30], REQUEST[30:]):
            sock.sendall(part)
            time.sleep(0.4)
        sock.settimeout(5)
        assert sock.recv(100).startswith(b"HTTP/1.1 200")
    finally:
        sock.close()


def test_the_timeouts_are_server_options_passed_to_uvicorn():
    defaults = ServerOptions()
    assert (defaults.header_timeout, defaults.body_timeout, defaults.keep_alive) == (10, 30, 5)
    made = uvicorn_options(ServerOptions(header_timeout=4, body_timeout=9))
    assert made["http"].func is TimedHttpProtocol
    assert made["http"].keywords == {"header_timeout": 4, "body_timeout": 9}
    assert made["timeout_keep_alive"] == 5
    assert ServerOptions.from_json(ServerOptions(header_timeout=4).to_json()).header_timeout == 4


# -- 5. health counts only what the caller may see -----------------------------------------------
def test_health_without_the_token_counts_public_published_articles_only(client, settings):
    every = KnowledgeBase.load(settings).articles
    public = [a for a in every if a.is_public]
    assert len(every) == 5 and len(public) == 3  # an internal article and a draft are left out
    assert client.get("/api/health").json()["articles"] == len(public)
    assert client.get("/api/health", headers=AUTH).json()["articles"] == len(every)


# -- 6. the Content-Security-Policy ----------------------------------------------------------------
def test_the_policy_allows_no_inline_or_eval_script_and_no_framing():
    directives = dict(d.split(" ", 1) for d in CONTENT_SECURITY_POLICY.split("; "))
    script = directives["script-src"].split()
    assert script[:2] == ["'self'", "'wasm-unsafe-eval'"]
    assert all(s.startswith("'sha256-") for s in script[2:])  # Material's own inline scripts
    assert "'unsafe-inline'" not in script and "'unsafe-eval'" not in script
    assert directives["object-src"] == "'none'" and directives["frame-ancestors"] == "'none'"
    assert directives["style-src"] == "'self' 'unsafe-inline'"  # Mermaid's inline styles


def test_every_response_carries_the_policy(settings, monkeypatch):
    preflight = {"Origin": "https://help.example.com", "Access-Control-Request-Method": "POST"}
    app = make_app(settings, cors_origins=["https://help.example.com"])
    with TestClient(app, raise_server_exceptions=False) as c:
        answers = [
            (200, c.get("/")),
            (200, c.get("/en/account/reset-password/")),
            (404, c.get("/no/such/page/")),
            (201, c.post("/api/feedback", json=BODIES["/api/feedback"])),
            (400, c.get("/api/search")),
            (405, c.get("/api/suggest")),
            (401, c.get("/api/health", headers=WRONG)),
            (413, c.post("/api/suggest", content=b"[" * 70_000, headers=JSON)),
            (415, c.post("/api/suggest", content=b"hi", headers={"Content-Type": "text/plain"})),
            (200, c.options("/api/feedback", headers=preflight)),
        ]

        def broken(request: Any) -> Any:
            raise RuntimeError("a bug")

        monkeypatch.setattr(app.state.api, "snapshot", broken)  # search now fails: a 500
        answers.append((500, c.get("/api/search", params={"q": "parcel"})))
    for status, r in answers:
        assert r.status_code == status, r.url
        assert r.headers.get("content-security-policy") == CONTENT_SECURITY_POLICY, r.url


@pytest.fixture(scope="module")
def built_site() -> tuple[Path, Path, Path]:
    from test_site_helpers import built_fixture  # a real build of the fixture KB (a few seconds)

    return built_fixture()


@pytest.mark.slow
def test_every_inline_script_of_a_built_site_is_allowed(built_site):
    _, public, internal = built_site
    pages = [*public.rglob("*.html"), *internal.rglob("*.html")]
    assert len(pages) > 20
    tag = re.compile(r"<script(?P<attrs>[^>]*)>(?P<text>.*?)</script>", re.S)
    for page in pages:
        html = page.read_text(encoding="utf-8")
        for m in tag.finditer(html):
            if "src=" in m["attrs"] or re.search(r'type="application/(ld\+)?json"', m["attrs"]):
                continue  # a file of the site's origin, or data that never runs
            assert script_hash(m["text"]) in INLINE_SCRIPT_HASHES, (page, m["text"][:80])
        assert not re.search(r"<[^>]+\son[a-z]+\s*=", html), page  # no inline event handlers


@pytest.mark.slow
@pytest.mark.browser
def test_chromium_sees_no_policy_violation_and_search_still_works(built_site):
    """The home page (with a search) and an SOP page (Mermaid), each served by create_app.

    kb serve serves the public site; the SOP is an agents' page, so a second server has
    site_dir pointed at site-internal.
    """
    sync_api = need_chromium()
    config, _, _ = built_site
    violations = (
        "window.__csp = []; document.addEventListener('securitypolicyviolation', "
        "e => window.__csp.push(e.violatedDirective + ' ' + e.blockedURI));"
    )
    with (
        real_server(config) as (port, _),
        real_server(config, "internal") as (internal_port, _),
        sync_api.sync_playwright() as p,
    ):
        browser = p.chromium.launch(
            executable_path=str(CHROMIUM),
            args=CHROMIUM_ARGS,
        )
        page = browser.new_page()
        page.add_init_script(violations)
        console: list[str] = []
        page.on("console", lambda m: console.append(f"{m.type}: {m.text}"))
        page.on("pageerror", lambda exc: console.append(f"pageerror: {exc}"))
        answer = page.goto(f"http://127.0.0.1:{port}/")
        assert answer.headers["content-security-policy"] == CONTENT_SECURITY_POLICY
        box = page.locator(".pagefind-ui__search-input").first
        box.fill("password")
        page.wait_for_selector(".pagefind-ui__result-link", timeout=15_000)
        assert page.locator(".pagefind-ui__result-link").count() >= 1
        found = page.evaluate("window.__csp")
        page.goto(f"http://127.0.0.1:{port}/en/account/reset-password/")
        page.wait_for_load_state("networkidle")
        found += page.evaluate("window.__csp")
        page.goto(f"http://127.0.0.1:{internal_port}/en/agents/sop-refund/")
        page.wait_for_selector(".kb-sop-flowchart svg", timeout=15_000)
        assert "Request approval" in page.locator(".kb-sop-flowchart svg").text_content()
        found += page.evaluate("window.__csp")
        errors = [m for m in console if m.startswith(("error", "pageerror"))]
        # the listener works: an injected inline script is refused and reported
        page.evaluate(
            "() => { const s = document.createElement('script');"
            " s.textContent = 'window.__ran = 1'; document.body.append(s); }"
        )
        page.wait_for_function("window.__csp.length > 0", timeout=5_000)
        assert page.evaluate("window.__ran") is None
        browser.close()
    assert found == []
    assert errors == []
