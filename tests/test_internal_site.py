"""`kb serve --internal`: the agents' site and API behind sign-in, on a real server and in Chromium.

Every file of the built site-internal/ is walked: without credentials it is a 401 (or the sign-in
page), never its bytes; with a session cookie it is exactly its bytes.
"""

from __future__ import annotations

import base64
import json
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from conftest import CHROMIUM, CHROMIUM_ARGS, copy_cache, need_chromium
from starlette.testclient import TestClient
from test_server_helpers import REPO, free_port, start_serve

from kb.core.settings import Settings
from kb.server.auth import COOKIE, make_session
from kb.server.credentials import read_users, version_of
from kb.server.feedback import votes

pytestmark = [pytest.mark.slow]
TOKEN = "internal-test-token"
USER, PASSWORD = "ana", "correct horse battery"
INTERNAL_ARTICLE = "sop-approve-refund"
PAGE = "/en/agents/sop-approve-refund/"
SIGN_IN_MARK = 'action="/auth/sign-in"'


def kb(*args: str, root: Path, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    """Run `kb ...` in `root`."""
    return subprocess.run(
        [sys.executable, "-m", "kb", *args],
        cwd=root,
        input=stdin,
        capture_output=True,
        text=True,
        timeout=300,
    )


class Served:
    """One KB built with --internal, and the `kb serve --internal` processes started on it."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.config = root / "mkdocs.yml"
        self.procs: list[Any] = []
        self.base = self.start()

    def start(self, *args: str) -> str:
        """Start a server on a new port; return its URL."""
        port = free_port()
        proc = start_serve(
            self.config, port, "--internal", "--no-model", *args, env={"KB_API_TOKEN": TOKEN}
        )
        self.procs.append(proc)
        return f"http://127.0.0.1:{port}"

    def stop(self, proc: Any) -> str:
        """Stop one server; return what it logged."""
        proc.terminate()
        _, err = proc.communicate(timeout=20)
        self.procs.remove(proc)
        return str(err)

    def restart(self) -> str:
        """Stop the main server and start it again; return what the stopped one logged."""
        logged = self.stop(self.procs[0])
        self.base = self.start()
        self.procs.insert(0, self.procs.pop())
        return logged

    @property
    def settings(self) -> Settings:
        """The KB's settings."""
        return Settings.load(self.config)


def serve_sample(root: Path, cache: Path | None = None) -> Iterator[Served]:
    """The sample KB copied to `root`, built with --internal, agent USER added, served; stopped after.

    `cache`: a `.kb/cache` to start from (conftest's sample_cache).
    """
    root.mkdir()
    for name in ("articles", "search"):
        shutil.copytree(REPO / name, root / name)
    shutil.copy(REPO / "mkdocs.yml", root / "mkdocs.yml")
    if cache is not None:
        copy_cache(cache, root)
    built = kb("build", "--internal", root=root)
    assert built.returncode == 0, built.stderr
    added = kb("serve", "--internal", "--add-user", USER, root=root, stdin=PASSWORD + "\n")
    assert added.returncode == 0 and f"added {USER}" in added.stderr, added.stderr
    s = Served(root)
    try:
        yield s
    finally:
        for proc in list(s.procs):
            s.stop(proc)


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory, sample_cache: Path) -> Iterator[Served]:
    yield from serve_sample(tmp_path_factory.mktemp("internal") / "kb", sample_cache)


def origin(base: str) -> dict[str, str]:
    """The Origin header a browser sends with a form or fetch from the server's own pages."""
    return {"Origin": base}


def sign_in(base: str, user: str = USER, password: str = PASSWORD) -> str:
    """Sign in through the form; return the session cookie's value."""
    form = {"user": user, "password": password, "next": PAGE}
    r = httpx.post(f"{base}/auth/sign-in", data=form, headers=origin(base))
    assert r.status_code == 303 and r.headers["location"] == PAGE, r.text
    return str(r.cookies[COOKIE])


def site_files(root: Path) -> list[tuple[str, Path]]:
    """(URL, file) of every file of the built agents' site, folder URLs of index pages too."""
    site = root / "site-internal"
    out = []
    for path in sorted(site.rglob("*")):
        if path.is_file():
            rel = path.relative_to(site).as_posix()
            out.append(("/" + rel, path))
            if path.name == "index.html":
                out.append(("/" + rel[: -len("index.html")], path))
    return out


# -- every file ----------------------------------------------------------------------------------
def test_every_file_of_the_agents_site_needs_sign_in(served: Served) -> None:
    files = site_files(served.root)
    assert len(files) > 150 and any(u.startswith("/pagefind/") for u, _ in files)
    cookie = sign_in(served.base)
    leaked, refused, wrong = [], [], []
    with (
        httpx.Client(base_url=served.base) as anonymous,
        httpx.Client(base_url=served.base, cookies={COOKIE: cookie}) as agent,
    ):
        for url, path in files:
            data = path.read_bytes()
            for accept in ("*/*", "text/html"):
                r = anonymous.get(url, headers={"Accept": accept})
                if r.status_code != 401 or (data and data in r.content):
                    leaked.append(f"{url} ({accept}): {r.status_code}")
                elif accept == "text/html" and SIGN_IN_MARK not in r.text:
                    refused.append(f"{url}: 401 without the sign-in page")
            r = agent.get(url)
            if r.status_code != 200 or r.content != data:
                wrong.append(f"{url}: {r.status_code}")
            elif r.headers.get("cache-control") != "private":  # never in a shared cache
                wrong.append(f"{url}: Cache-Control {r.headers.get('cache-control')}")
    assert leaked == [] and refused == [] and wrong == []


def test_internal_api_answers_need_sign_in(served: Served) -> None:
    base = served.base
    cookie = {COOKIE: sign_in(base)}
    bearer = {"Authorization": f"Bearer {TOKEN}"}
    vote = {"article": INTERNAL_ARTICLE, "helpful": True, "lang": "en"}
    calls: list[tuple[str, str, Any, int]] = [
        ("GET", "/api/openapi.json", None, 200),
        ("GET", "/api/search?q=refund", None, 200),
        ("POST", "/api/suggest", {"text": "how do I approve a refund for a customer"}, 200),
        ("POST", "/api/webhooks/zendesk", {"ticket": {"id": 7, "subject": "refund please"}}, 200),
        ("POST", "/api/feedback", vote, 201),
        ("POST", "/api/events", {"event": "search", "query": "refund", "results": 3}, 204),
        ("GET", "/api/no-such-endpoint", None, 404),
    ]
    for method, url, body, status in calls:
        r = httpx.request(method, base + url, json=body, headers=origin(base))
        assert r.status_code == 401, (url, r.status_code)
        assert r.headers["www-authenticate"] == "Bearer"
        assert r.json() == {"error": "sign in, or send Authorization: Bearer <token>"}
        signed = httpx.request(method, base + url, json=body, headers=origin(base), cookies=cookie)
        token = httpx.request(method, base + url, json=body, headers=bearer)
        assert (signed.status_code, token.status_code) == (status, status), url
    # health answers anyone (for load balancers), counting public articles only without sign-in
    public = httpx.get(f"{base}/api/health").json()
    agents = httpx.get(f"{base}/api/health", cookies=cookie).json()
    assert agents["articles"] > public["articles"] > 0
    hits = httpx.post(
        f"{base}/api/suggest",
        json={"text": "approve a refund above the limit as an agent", "lang": "en"},
        headers=origin(base),
        cookies=cookie,
    ).json()
    assert any(s["id"] == INTERNAL_ARTICLE for s in hits["suggestions"])


def forged_cookies(served: Served) -> dict[str, str]:
    """Session values that must all be refused."""
    secret = (served.root / ".kb" / "session.key").read_bytes().strip()
    version = version_of(read_users(served.root / ".kb" / "users")[USER])
    good = make_session(secret, USER, version, time.time() + 3600)
    tag, body, mac = good.split(".")
    payload = json.loads(base64.urlsafe_b64decode(body + "=="))
    other = base64.urlsafe_b64encode(json.dumps({**payload, "u": "root"}).encode()).decode()
    return {
        "expired": make_session(secret, USER, version, time.time() - 1),
        "another secret": make_session(b"x" * 64, USER, version, time.time() + 3600),
        "another user, same signature": f"{tag}.{other.rstrip('=')}.{mac}",
        "signature changed": f"{tag}.{body}.{mac[:-2]}AA",
        "an old password": make_session(secret, USER, "0" * 16, time.time() + 3600),
        "unknown user": make_session(secret, "nobody", version, time.time() + 3600),
        "garbage": "v1.%%%.%%%",
        "huge": "v1." + "a" * 5000 + ".b",
    }


def test_wrong_expired_and_tampered_cookies_are_refused(served: Served) -> None:
    base = served.base
    secret = (served.root / ".kb" / "session.key").read_bytes().strip()
    version = version_of(read_users(served.root / ".kb" / "users")[USER])
    fine = make_session(secret, USER, version, time.time() + 3600)
    assert httpx.get(base + PAGE, cookies={COOKIE: fine}).status_code == 200
    for what, value in forged_cookies(served).items():
        r = httpx.get(base + PAGE, cookies={COOKIE: value}, headers={"Accept": "text/html"})
        assert r.status_code == 401 and SIGN_IN_MARK in r.text, what
        assert f"{COOKIE}=" in r.headers.get("set-cookie", ""), what  # the browser forgets it
        api = httpx.post(f"{base}/api/suggest", json={"text": "refund"}, cookies={COOKIE: value})
        assert api.status_code == 401, what


def test_a_changed_password_or_a_removed_user_ends_their_sessions(served: Served) -> None:
    root, base = served.root, served.base
    assert kb("serve", "--add-user", "bo", root=root, stdin="first password\n").returncode == 0
    cookie = {COOKIE: sign_in(base, "bo", "first password")}
    assert httpx.get(base + PAGE, cookies=cookie).status_code == 200
    time.sleep(0.01)  # a new modification time for the users file
    assert kb("serve", "--add-user", "bo", root=root, stdin="second password\n").returncode == 0
    assert httpx.get(base + PAGE, cookies=cookie).status_code == 401
    cookie = {COOKIE: sign_in(base, "bo", "second password")}
    assert kb("serve", "--remove-user", "bo", root=root).returncode == 0
    assert httpx.get(base + PAGE, cookies=cookie).status_code == 401
    gone = kb("serve", "--remove-user", "bo", root=root)
    assert gone.returncode == 2 and "no user 'bo'" in gone.stderr
    short = kb("serve", "--add-user", "cy", root=root, stdin="short\n")
    assert short.returncode == 2 and "at least 8 characters" in short.stderr


def test_a_wrong_password_shows_the_form_again(served: Served) -> None:
    base = served.base
    form = {"user": USER, "password": "not the password", "next": PAGE}
    r = httpx.post(f"{base}/auth/sign-in", data=form, headers=origin(base))
    assert r.status_code == 401 and "Wrong user name or password." in r.text
    assert COOKIE not in r.cookies and SIGN_IN_MARK in r.text


def test_cross_site_posts_with_a_session_are_refused(served: Served) -> None:
    base = served.base
    cookie = {COOKIE: sign_in(base)}
    vote = {"article": INTERNAL_ARTICLE, "helpful": False, "reason": "unclear", "lang": "en"}
    evil = httpx.post(
        f"{base}/api/feedback", json=vote, cookies=cookie, headers={"Origin": "https://evil.test"}
    )
    assert evil.status_code == 403
    bare = httpx.post(f"{base}/api/feedback", json=vote, cookies=cookie)
    assert bare.status_code == 403  # neither Origin nor Referer: not from the agents' pages
    referer = {"Referer": f"{base}{PAGE}"}
    assert httpx.post(f"{base}/api/feedback", json=vote, cookies=cookie, headers=referer).is_success
    # the bearer token cannot be sent by another site's page: no origin needed
    token = {"Authorization": f"Bearer {TOKEN}"}
    assert httpx.post(f"{base}/api/feedback", json=vote, headers=token).status_code == 201
    form = {"user": USER, "password": PASSWORD}
    login = httpx.post(f"{base}/auth/sign-in", data=form, headers={"Origin": "https://evil.test"})
    assert login.status_code == 403 and COOKIE not in login.cookies


def test_sign_out_forgets_the_session(served: Served) -> None:
    base = served.base
    cookie = {COOKIE: sign_in(base)}
    page = httpx.get(f"{base}/auth/sign-out", cookies=cookie)
    assert page.status_code == 200 and "Signed in as ana" in page.text
    out = httpx.post(f"{base}/auth/sign-out", cookies=cookie, headers=origin(base))
    assert out.status_code == 303 and out.headers["location"] == "/auth/sign-in"
    assert (
        out.headers["set-cookie"].startswith(f'{COOKIE}=""')
        or "Max-Age=0" in out.headers["set-cookie"]
    )


def test_agents_feedback_is_stored_and_survives_a_restart(served: Served) -> None:
    before = votes(served.settings).get(INTERNAL_ARTICLE, {}).get("helpful", 0)
    cookie = {COOKIE: sign_in(served.base)}
    vote = {"article": INTERNAL_ARTICLE, "helpful": True, "lang": "en", "url": PAGE}
    r = httpx.post(
        f"{served.base}/api/feedback", json=vote, cookies=cookie, headers=origin(served.base)
    )
    assert r.status_code == 201 and r.json()["stored"] is True
    assert votes(served.settings)[INTERNAL_ARTICLE]["helpful"] == before + 1
    logged = served.restart()
    for secret in (PASSWORD, cookie[COOKIE], (served.root / ".kb" / "session.key").read_text()):
        assert secret.strip() not in logged  # nothing secret in the server's log
    assert votes(served.settings)[INTERNAL_ARTICLE]["helpful"] == before + 1
    # the session secret is kept in .kb/ (0600): a sign-in lasts across restarts
    assert (served.root / ".kb" / "session.key").stat().st_mode & 0o777 == 0o600
    assert (served.root / ".kb" / "users").stat().st_mode & 0o777 == 0o600
    r = httpx.post(
        f"{served.base}/api/feedback", json=vote, cookies=cookie, headers=origin(served.base)
    )
    assert r.status_code == 201
    assert votes(served.settings)[INTERNAL_ARTICLE]["helpful"] == before + 2


# -- a proxy's user ------------------------------------------------------------------------------
def test_the_proxy_user_header_counts_only_with_proxy(served: Served) -> None:
    header = {"X-Forwarded-User": "agent.smith@example.com"}
    assert httpx.get(served.base + PAGE, headers=header).status_code == 401
    trusted = served.start("--proxy", "127.0.0.1", "--proxy-user", "X-Forwarded-User")
    other = served.start("--proxy", "10.255.0.1", "--proxy-user", "X-Forwarded-User")
    page = httpx.get(trusted + PAGE, headers=header)
    assert page.status_code == 200 and b"Approving a refund" in page.content
    assert httpx.get(trusted + PAGE).status_code == 401
    assert httpx.get(trusted + PAGE, headers={"X-Auth-Request-User": "x"}).status_code == 401
    assert httpx.get(other + PAGE, headers=header).status_code == 401  # not from a --proxy address
    vote = {"article": INTERNAL_ARTICLE, "helpful": True, "lang": "en"}
    both = {**header, **origin(trusted)}
    assert httpx.post(f"{trusted}/api/feedback", json=vote, headers=both).status_code == 201
    evil = {**header, "Origin": "https://evil.test"}
    assert httpx.post(f"{trusted}/api/feedback", json=vote, headers=evil).status_code == 403
    who = httpx.get(f"{trusted}/auth/sign-out", headers=header)
    assert "Signed in as agent.smith@example.com" in who.text
    for proc in served.procs[-2:]:
        served.stop(proc)


def test_proxy_user_needs_internal_and_proxy(served: Served) -> None:
    r = kb("serve", "--internal", "--proxy-user", "X-Forwarded-User", root=served.root)
    assert r.returncode == 2 and "--proxy-user: needs --internal and --proxy" in r.stderr
    r = kb("serve", "--internal", "--proxy", "not-an-ip", root=served.root)
    assert r.returncode == 2 and "'not-an-ip' is not an IP address" in r.stderr


# -- in process: limits and form details ---------------------------------------------------------
@pytest.fixture
def client(served: Served) -> Iterator[TestClient]:
    from kb.server.app import create_app
    from kb.server.options import ServerOptions

    options = ServerOptions(internal=True, with_model=False, watch_interval=0, token=TOKEN)
    app = create_app(served.settings, options)
    with TestClient(
        app, base_url="https://kb.test", client=("192.0.2.7", 5000), follow_redirects=False
    ) as c:
        yield c


def test_failed_sign_ins_are_rate_limited(client: TestClient) -> None:
    head = {"Origin": "https://kb.test"}
    wrong = {"user": USER, "password": "guess guess"}
    codes = [client.post("/auth/sign-in", data=wrong, headers=head).status_code for _ in range(10)]
    assert codes == [401] * 10
    right = client.post("/auth/sign-in", data={"user": USER, "password": PASSWORD}, headers=head)
    assert right.status_code == 429 and int(right.headers["retry-after"]) >= 1
    assert COOKIE not in right.cookies  # a guess cannot tell it was right


def test_the_session_cookie_is_httponly_lax_and_secure_over_https(client: TestClient) -> None:
    form = {"user": USER, "password": PASSWORD, "next": "//evil.test/x"}
    r = client.post("/auth/sign-in", data=form, headers={"Origin": "https://kb.test"})
    assert r.status_code == 303 and r.headers["location"] == "/"  # never to another site
    cookie = r.headers["set-cookie"]
    assert "HttpOnly" in cookie and "Secure" in cookie and "samesite=lax" in cookie.lower()
    assert "Max-Age=43200" in cookie


def test_the_sign_in_form_is_bounded(client: TestClient) -> None:
    head = {"Origin": "https://kb.test"}
    big = client.post("/auth/sign-in", data={"user": "a" * 5000, "password": "x"}, headers=head)
    assert big.status_code == 413
    as_json = client.post("/auth/sign-in", json={"user": USER}, headers=head)
    assert as_json.status_code == 415
    bad = client.post(
        "/auth/sign-in",
        content=b"user=%ff%fe&password=x",
        headers={**head, "Content-Type": "application/x-www-form-urlencoded"},
    )
    assert bad.status_code == 400
    many = "&".join(f"f{i}=1" for i in range(20))
    r = client.post(
        "/auth/sign-in",
        content=many.encode(),
        headers={**head, "Content-Type": "application/x-www-form-urlencoded"},
    )
    assert r.status_code == 400
    assert client.put("/auth/sign-in").status_code == 405


# -- in Chromium ---------------------------------------------------------------------------------
@pytest.mark.browser
def test_an_agent_signs_in_reads_an_sop_and_gives_feedback(served: Served) -> None:
    sync_api = need_chromium()
    before = votes(served.settings).get(INTERNAL_ARTICLE, {}).get("helpful", 0)
    errors: list[str] = []
    with sync_api.sync_playwright() as p:
        browser = p.chromium.launch(
            executable_path=str(CHROMIUM),
            args=CHROMIUM_ARGS,
        )
        try:
            context = browser.new_context()
            page = context.new_page()
            page.on("pageerror", lambda exc: errors.append(str(exc)))
            page.goto(served.base + PAGE)
            assert page.locator("h1").inner_text() == "Brightcart Help Centre"
            assert "Approving a refund" not in page.content()
            page.fill("#kb-user", USER)
            page.fill("#kb-password", PASSWORD)
            page.click("button[type=submit]")
            page.wait_for_url(served.base + PAGE)
            assert page.locator("article h1, .md-content h1").first.inner_text() == (
                "Approving a refund"
            )
            (cookie,) = [c for c in context.cookies() if c["name"] == COOKIE]
            assert cookie["httpOnly"] and cookie["sameSite"] == "Lax"
            with page.expect_response(lambda r: r.url.endswith("/api/feedback")) as answer:
                page.click(".kb-feedback__yes")
            assert answer.value.status == 201
        finally:
            browser.close()
    assert errors == []
    assert votes(served.settings)[INTERNAL_ARTICLE]["helpful"] == before + 1


def test_the_sign_in_page_is_self_contained_under_the_csp(client: TestClient) -> None:
    r = client.get("/en/agents/", headers={"Accept": "text/html"})
    assert r.status_code == 401 and SIGN_IN_MARK in r.text
    assert "<script" not in r.text and "script-src 'self'" in r.headers["content-security-policy"]
    assert r.headers["cache-control"] == "no-store"
    assert client.get("/auth/sign-in?next=/en/").status_code == 200


def test_websockets_are_refused(client: TestClient) -> None:
    from starlette.websockets import WebSocketDisconnect

    with pytest.raises(WebSocketDisconnect), client.websocket_connect("/en/"):
        pass


def test_odd_credentials_are_4xx_never_5xx(client: TestClient) -> None:
    odd_headers: list[dict[str, Any]] = [
        {"Cookie": f"{COOKIE}=v1.\xe9\xe9.\xff".encode("latin-1")},
        {"Cookie": f"{COOKIE}=" + "." * 3000},
        {"Cookie": f'{COOKIE}="v1.a.b"; {COOKIE}=x'},
        {"Authorization": "Basic YTpi"},
        {"Authorization": "Bearer " + "x" * 3000},
        {"X-Forwarded-User": b"\x01admin\xff"},
        {"Origin": "http://[::1", "Referer": "http://[::1/x"},
        {"Origin": "null"},
    ]
    for headers in odd_headers:
        for method, url in (("GET", "/en/"), ("POST", "/api/feedback"), ("POST", "/auth/sign-in")):
            r = client.request(method, url, headers=headers, content=b"user=a&password=b")
            assert 400 <= r.status_code < 500, (headers, url, r.status_code)


def test_a_trusted_proxy_user_wins_over_its_basic_auth_and_odd_names_are_refused(
    served: Served,
) -> None:
    from kb.server.app import create_app
    from kb.server.options import ServerOptions

    options = ServerOptions(
        internal=True,
        with_model=False,
        watch_interval=0,
        proxy="192.0.2.0/24",
        proxy_user="X-Forwarded-Email",
    )
    app = create_app(served.settings, options)
    with TestClient(app, client=("192.0.2.7", 5000)) as c:
        basic = {"X-Forwarded-Email": "ana@example.com", "Authorization": "Basic YTpi"}
        assert c.get(PAGE, headers=basic).status_code == 200  # oauth2-proxy's pass_basic_auth
        for odd in (b"", b"\x01ana", b"a" * 300):
            assert c.get(PAGE, headers={"X-Forwarded-Email": odd}).status_code == 401
        # behind the proxy, the client is the one X-Forwarded-For names
        forwarded = {"X-Forwarded-Email": "ana@example.com", "X-Forwarded-For": "203.0.113.9"}
        assert c.get(PAGE, headers=forwarded).status_code == 200
