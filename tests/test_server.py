"""The HTTP API on a small real KB (real Whoosh index, hash embedder): each endpoint, bad input."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from starlette.testclient import TestClient
from test_server_helpers import (
    INTERNAL_ID,
    REPO,
    SECRET_WORD,
    TOKEN,
    build,
    server_app,
    write_kb,
)

from kb.core.settings import Settings
from kb.search.searcher import open_searcher
from kb.server.feedback import votes
from kb.server.ratelimit import Rate

AUTH = {"Authorization": f"Bearer {TOKEN}"}
UNLIMITED = {"api": Rate(0, 0), "feedback": Rate(0, 0)}


@pytest.fixture(scope="module")
def settings(tmp_path_factory: pytest.TempPathFactory) -> Settings:
    s = write_kb(tmp_path_factory.mktemp("kb"))
    build(s)
    return s


def make_client(settings: Settings, **options: object) -> TestClient:
    return TestClient(server_app(settings, **{"rates": UNLIMITED, **options}))


@pytest.fixture(scope="module")
def client(settings: Settings):
    with make_client(settings, cors_origins=["https://help.example.com"]) as c:
        yield c


# -- health, description, site ---------------------------------------------------------------------
def test_health_reports_the_build(client):
    body = client.get("/api/health", headers=AUTH).json()
    assert body["status"] == "ok" and body["site"] and body["suggest"]
    assert body["model"] == "hash-256"  # the fixture's fast embedder; real ones add (onnx)/(torch)
    assert body["index"].startswith("g") and body["articles"] == 5 and body["problems"] == []


def test_openapi_description_lists_every_endpoint(client):
    spec = client.get("/api/openapi.json").json()
    assert spec["openapi"].startswith("3.")
    assert set(spec["paths"]) == {
        "/api/health",
        "/api/search",
        "/api/suggest",
        "/api/webhooks/zendesk",
        "/api/webhooks/freshdesk",
        "/api/feedback",
        "/api/events",
        "/api/requests",
    }
    lang = spec["components"]["schemas"]["SuggestRequest"]["properties"]["lang"]
    assert lang["enum"] == ["en", "nl", "sv", None]


def test_the_built_site_is_served(client):
    assert client.get("/").text.startswith("<!doctype html><title>Help</title>")
    page = client.get("/en/account/reset-password/")
    assert page.status_code == 200 and "Reset your password" in page.text
    assert client.get("/no/such/page/").status_code == 404


def test_unknown_api_paths_and_methods_answer_json(client):
    r = client.get("/api/nothing")
    assert r.status_code == 404 and r.json() == {"error": "no such endpoint; see /api/openapi.json"}
    r = client.get("/api/suggest")
    assert r.status_code == 405 and r.json() == {"error": "method GET not allowed here"}


# -- search ----------------------------------------------------------------------------------------
def test_search_gives_the_same_results_as_the_searcher(client, settings):
    r = client.get("/api/search", params={"q": "reset password", "limit": 3})
    assert r.status_code == 200
    with open_searcher(settings) as searcher:
        expected = searcher.search("reset password", limit=3).to_dict()
    assert r.json() == json.loads(json.dumps(expected))
    assert r.json()["hits"][0]["id"] == "reset-password"
    snap = client.app.state.holder.current
    hits = snap.cache_hits
    assert client.get("/api/search", params={"q": "reset password", "limit": 3}).json() == r.json()
    assert snap.cache_hits == hits + 1  # the repeated query came from the cache


def test_search_in_one_language(client):
    hits = client.get("/api/search", params={"q": "wachtwoord", "lang": "nl"}).json()["hits"]
    assert [h["id"] for h in hits] == ["reset-password-nl"]


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({}, "q: required"),
        ({"q": "   "}, "q: must not be empty"),
        ({"q": "x" * 501}, "q: longer than 500 characters"),
        ({"q": "a", "lang": "de"}, "lang: unknown language 'de' (use en, nl, sv)"),
        ({"q": "a", "limit": "ten"}, "limit: expected a whole number, got 'ten'"),
        ({"q": "a", "limit": "0"}, "limit: must be between 1 and 50, got 0"),
        ({"q": "a", "limit": "51"}, "limit: must be between 1 and 50, got 51"),
    ],
)
def test_search_rejects_bad_parameters(client, params, message):
    r = client.get("/api/search", params=params)
    assert r.status_code == 400 and r.json()["error"] == message


# -- the token barrier -----------------------------------------------------------------------------
PUBLIC_CALLS = [
    ("get", "/api/search", {"params": {"q": f"{SECRET_WORD} refund override"}}),
    ("post", "/api/suggest", {"json": {"text": f"{SECRET_WORD} manual refund override"}}),
    (
        "post",
        "/api/webhooks/zendesk",
        {
            "json": {
                "ticket": {"id": 1, "subject": "Manual refund override", "description": SECRET_WORD}
            }
        },
    ),
    (
        "post",
        "/api/webhooks/freshdesk",
        {
            "json": {
                "freshdesk_webhook": {"ticket_id": 2, "ticket_subject": f"{SECRET_WORD} refund"}
            }
        },
    ),
]


@pytest.mark.parametrize(("method", "path", "kwargs"), PUBLIC_CALLS)
def test_no_internal_article_leaves_a_public_endpoint(client, method, path, kwargs):
    r = getattr(client, method)(path, **kwargs)
    assert r.status_code == 200
    assert INTERNAL_ID not in r.text and SECRET_WORD not in r.text.replace(
        kwargs.get("params", {}).get("q", ""), ""
    )


@pytest.mark.parametrize(("method", "path", "kwargs"), PUBLIC_CALLS[1:])
def test_a_valid_token_sees_internal_articles(client, method, path, kwargs):
    r = getattr(client, method)(path, headers=AUTH, **kwargs)
    assert r.status_code == 200
    assert r.json()["suggestions"][0]["id"] == INTERNAL_ID


def test_search_stays_public_even_with_a_token(client):
    r = client.get("/api/search", params={"q": SECRET_WORD}, headers=AUTH)
    assert r.status_code == 200 and r.json()["hits"] == []


@pytest.mark.parametrize(
    ("header", "message"),
    [
        ("Bearer wrong", "invalid bearer token"),
        ("Basic abc", "Authorization: expected 'Bearer <token>'"),
    ],
)
def test_a_wrong_token_is_refused(client, header, message):
    r = client.post("/api/suggest", json={"text": "refund"}, headers={"Authorization": header})
    assert r.status_code == 401 and r.json()["error"] == message
    assert r.headers["www-authenticate"] == "Bearer"


def test_without_a_configured_token_bearer_calls_are_refused(settings, monkeypatch):
    monkeypatch.delenv("KB_API_TOKEN", raising=False)
    with make_client(settings, token=None) as c:
        r = c.post("/api/suggest", json={"text": "refund"}, headers=AUTH)
    assert r.status_code == 401 and "KB_API_TOKEN" in r.json()["error"]


def test_the_token_is_read_from_the_environment(settings, monkeypatch):
    monkeypatch.setenv("KB_API_TOKEN", "from-env")
    with make_client(settings, token=None) as c:
        r = c.post(
            "/api/suggest", json={"text": SECRET_WORD}, headers={"Authorization": "Bearer from-env"}
        )
    assert r.status_code == 200 and r.json()["suggestions"][0]["id"] == INTERNAL_ID


# -- suggest and webhooks --------------------------------------------------------------------------
def test_suggest_answers_in_the_cli_shape(client):
    r = client.post("/api/suggest", json={"text": "I forgot my password", "limit": 2})
    body = r.json()
    assert r.status_code == 200 and set(body) == {"abstained", "suggestions"}
    top = body["suggestions"][0]
    assert top["id"] == "reset-password" and top["url"] == "en/account/reset-password/"
    assert set(top) == {"id", "title", "url", "score", "reasons"} and len(body["suggestions"]) <= 2


def test_suggest_prefers_the_ticket_language(client):
    r = client.post("/api/suggest", json={"text": "wachtwoord vergeten", "lang": "nl"})
    assert r.json()["suggestions"][0]["id"] == "reset-password-nl"


@pytest.mark.parametrize(
    ("body", "status", "message"),
    [
        (b"{not json", 400, "malformed JSON"),
        (b"", 400, "the body is empty; expected a JSON object"),
        (b"[1, 2]", 400, "expected a JSON object, got an array"),
        (b'{"text": 42}', 400, "text: expected a string, got a number"),
        (b'{"text": "  \\n "}', 400, "text: must not be empty"),
        (b"{}", 400, "text: required"),
        (b'{"text": "a", "lang": "xx"}', 400, "lang: unknown language 'xx' (use en, nl, sv)"),
        (b'{"text": "a", "limit": true}', 400, "limit: expected a whole number, got a boolean"),
        (b'{"text": "a", "limit": 99}', 400, "limit: must be between 1 and 20, got 99"),
        (b"\xff\xfe", 400, "the body is not UTF-8"),
    ],
)
def test_suggest_rejects_bad_bodies(client, body, status, message):
    r = client.post("/api/suggest", content=body, headers={"Content-Type": "application/json"})
    assert r.status_code == status and r.json()["error"].startswith(message)


def test_bodies_over_the_limit_get_413(client):
    big = json.dumps({"text": "refund " * 20_000}).encode()
    r = client.post("/api/suggest", content=big, headers={"Content-Type": "application/json"})
    assert r.status_code == 413 and "the limit is 65536" in r.json()["error"]

    def chunks():  # no Content-Length: the limit is enforced while reading
        for _ in range(20):
            yield b" " * 4096

    r = client.post("/api/suggest", content=chunks(), headers={"Content-Type": "application/json"})
    assert r.status_code == 413 and "larger than the limit of 65536" in r.json()["error"]


def test_a_body_that_is_not_json_gets_415(client):
    r = client.post("/api/suggest", content=b"text=hi", headers={"Content-Type": "text/plain"})
    assert r.status_code == 415 and "application/json" in r.json()["error"]


ZENDESK = {
    "ticket": {
        "id": 4711,
        "subject": "Where is my parcel?",
        "description": "Hi, my parcel has not arrived. Tracking shows nothing.\n\nRegards,\nJan 0612345678",
        "requester": {"locale": "en-US"},
    }
}
ZENDESK_EVENT = {
    "type": "zen:event-type:ticket.created",
    "detail": {"id": "4712", "subject": "Reset password", "description": "I forgot my password"},
}
FRESHDESK = {
    "freshdesk_webhook": {
        "ticket_id": 88,
        "ticket_subject": "Wachtwoord vergeten",
        "ticket_description": "<div>Ik ben mijn wachtwoord vergeten</div>",
    }
}
FRESHDESK_API = {"id": 89, "subject": "Parcel", "description_text": "Track my parcel please"}


@pytest.mark.parametrize(
    ("desk", "payload", "ticket", "top"),
    [
        ("zendesk", ZENDESK, "4711", "track-parcel"),
        ("zendesk", ZENDESK_EVENT, "4712", "reset-password"),
        ("freshdesk", FRESHDESK, "88", "reset-password-nl"),
        ("freshdesk", FRESHDESK_API, "89", "track-parcel"),
    ],
)
def test_webhooks_read_their_helpdesk_shapes(client, desk, payload, ticket, top):
    r = client.post(f"/api/webhooks/{desk}", json=payload)
    assert r.status_code == 200
    body = r.json()
    assert body["ticket"] == ticket and body["suggestions"][0]["id"] == top


def test_a_webhook_without_a_ticket_gets_a_clear_400(client):
    r = client.post("/api/webhooks/zendesk", json={"ticket": {"subject": "no id"}})
    assert r.status_code == 400
    assert r.json()["error"].startswith("id: required (the ticket's id); expected {")
    r = client.post("/api/webhooks/freshdesk", json={"freshdesk_webhook": {"ticket_id": 3}})
    assert r.status_code == 400 and r.json()["error"].startswith(
        "no text: expected a non-empty subject or description; expected {"
    )


# -- feedback --------------------------------------------------------------------------------------
def test_feedback_from_the_site_widget_is_stored(client, settings):
    before = votes(settings).get("track-parcel", {"helpful": 0, "not_helpful": 0})
    # exactly what theme/assets/kb.js posts
    yes = {
        "helpful": True,
        "article": "track-parcel",
        "lang": "en",
        "url": "/en/orders/track-parcel/",
    }
    no = {
        "helpful": False,
        "reason": "outdated",
        "comment": "Call me on 0612345678",
        "article": "track-parcel",
        "lang": "en",
        "url": "/en/orders/track-parcel/",
    }
    for payload in (yes, no):
        r = client.post(
            "/api/feedback", json=payload, headers={"Origin": "https://help.example.com"}
        )
        assert r.status_code == 201 and r.json()["stored"] is True
        assert r.headers["access-control-allow-origin"] == "https://help.example.com"
    after = votes(settings)["track-parcel"]
    assert after["helpful"] == before["helpful"] + 1
    assert after["not_helpful"] == before["not_helpful"] + 1
    assert after["reasons"]["outdated"] >= 1


@pytest.mark.parametrize(
    ("payload", "status", "message"),
    [
        ({"article": "nope", "helpful": True}, 404, "article: no article with id 'nope'"),
        ({"article": "gift-wrap", "helpful": True}, 404, "article: no article with id 'gift-wrap'"),
        (
            {"article": INTERNAL_ID, "helpful": True},
            404,
            f"article: no article with id '{INTERNAL_ID}'",
        ),
        ({"article": "track-parcel"}, 400, "helpful: expected true or false, got nothing"),
        (
            {"article": "track-parcel", "helpful": "no"},
            400,
            "helpful: expected true or false, got a string",
        ),
        ({"helpful": False}, 400, "article: required"),
        (
            {"article": "track-parcel", "helpful": False, "reason": "ugly"},
            400,
            "reason: 'ugly' is not one of outdated, unclear, missing, other",
        ),
        (
            {"article": "track-parcel", "helpful": False, "lang": "fr"},
            400,
            "lang: unknown language 'fr' (use en, nl, sv)",
        ),
        (
            {"article": "track-parcel", "helpful": False, "comment": 5},
            400,
            "comment: expected a string, got a number",
        ),
    ],
)
def test_feedback_rejects_bad_votes(client, payload, status, message):
    r = client.post("/api/feedback", json=payload)
    assert r.status_code == status and r.json()["error"] == message


def test_feedback_on_an_internal_article_needs_the_token(client, settings):
    r = client.post("/api/feedback", json={"article": INTERNAL_ID, "helpful": True}, headers=AUTH)
    assert r.status_code == 201
    assert votes(settings)[INTERNAL_ID]["helpful"] >= 1


# -- rate limits and CORS --------------------------------------------------------------------------
def test_public_endpoints_are_rate_limited_per_client(settings):
    rates = {"api": Rate(0.5, 3), "feedback": Rate(0.5, 2)}
    with make_client(settings, rates=rates) as c:
        codes = [c.get("/api/search", params={"q": "parcel"}).status_code for _ in range(4)]
        assert codes == [200, 200, 200, 429]
        r = c.get("/api/search", params={"q": "parcel"})
        assert r.status_code == 429 and r.headers["retry-after"] == "2"
        assert r.json()["error"] == "too many requests; retry in 2 s"
        # agents with the token are not limited; health is never limited
        assert c.post("/api/suggest", json={"text": "parcel"}, headers=AUTH).status_code == 200
        assert c.get("/api/health").status_code == 200
        vote = {"article": "track-parcel", "helpful": True}
        assert [c.post("/api/feedback", json=vote).status_code for _ in range(3)] == [201, 201, 429]


def test_cors_preflight_allows_the_configured_origin_only(client):
    ask = {
        "Access-Control-Request-Method": "POST",
        "Access-Control-Request-Headers": "content-type",
    }
    ok = client.options("/api/feedback", headers={"Origin": "https://help.example.com", **ask})
    assert ok.status_code == 200
    assert ok.headers["access-control-allow-origin"] == "https://help.example.com"
    bad = client.options("/api/feedback", headers={"Origin": "https://evil.example", **ask})
    assert bad.status_code == 400 and "access-control-allow-origin" not in bad.headers


# -- before the first build, and the import boundary -----------------------------------------------
def test_before_a_build_the_server_explains_what_is_missing(tmp_path):
    settings = write_kb(tmp_path)
    with make_client(settings) as c:
        health = c.get("/api/health").json()
        assert health["status"] == "degraded" and health["index"] is None
        assert health["problems"] == [] and health["problem_count"] >= 1  # they may name files
        health = c.get("/api/health", headers=AUTH).json()
        assert any("run kb" in p for p in health["problems"])
        r = c.get("/api/search", params={"q": "parcel"})
        assert r.status_code == 503 and "run kb build" in r.json()["error"]
        assert c.post("/api/suggest", json={"text": "parcel"}).status_code == 503
        site = c.get("/")
        assert site.status_code == 404 and "run kb build" in site.text


def test_the_server_never_imports_mkdocs():
    code = (
        "import sys, kb.server.app, kb.commands.serve, kb.cli; kb.cli.build_parser();"
        "print(sorted(m for m in sys.modules if m.split('.')[0] in ('mkdocs', 'torch')))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=REPO)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "[]"


def test_serve_help_documents_the_options():
    from kb.cli import main

    with pytest.raises(SystemExit):
        main(["serve", "--help"])


def test_bad_serve_options_are_usage_errors(capsys):
    from kb.cli import main

    config = str(Path(REPO, "mkdocs.yml"))
    assert main(["serve", "--config", config, "--rate-limit", "fast"]) == 2
    assert "expected a rate such as 10/s" in capsys.readouterr().err
    # kb serve --internal serves the agents' site behind sign-in (tests/test_internal_site.py)
    assert main(["serve", "--config", config, "--proxy-user", "X-Forwarded-User"]) == 2
    assert "--proxy-user: needs --internal and --proxy" in capsys.readouterr().err


# -- snapshots -------------------------------------------------------------------------------------
def test_no_build_is_taken_up_while_kb_build_still_holds_its_lock(tmp_path):
    """A build writes its index before its site: a server waits for the whole build."""
    from test_server_helpers import fake_site

    from kb.core import fs
    from kb.server.snapshot import Loader, SnapshotHolder, Watcher

    settings = write_kb(tmp_path)
    build(settings, site_title="Old")
    loader = Loader(settings, None, with_model=False)
    holder = SnapshotHolder(loader.load())
    fd = fs.lock(settings.layout.build_lock)  # what kb build holds from start to end
    try:
        assert fs.held(settings.layout.build_lock)
        (settings.docs_dir / "en/orders/track-parcel.md").unlink()
        build(settings, site_title=None)  # the new index is live, the site not yet swapped
        assert not Watcher(holder, loader, interval=0.05).check()
        assert holder.swaps == 0
        fake_site(settings, "New")
    finally:
        fs.unlock(fd)
    assert not fs.held(settings.layout.build_lock)
    assert Watcher(holder, loader, interval=0.05).check()  # the whole build, at once
    with holder.using() as new:
        assert (new.site / "index.html").read_text().endswith("<title>New</title>")
        assert "track-parcel" not in new.search("parcel").ids()
    holder.close()
    loader.cleanup()


def test_a_request_keeps_its_snapshot_across_a_rebuild(tmp_path):
    from test_server_helpers import fake_site

    from kb.server.snapshot import Loader, SnapshotHolder, Watcher

    settings = write_kb(tmp_path)
    build(settings, site_title="Old")
    loader = Loader(settings, None, with_model=False)
    holder = SnapshotHolder(loader.load())
    in_flight = holder.acquire()
    fake_site(settings, "New")  # the site is swapped and the old folder deleted...
    (settings.docs_dir / "en/orders/track-parcel.md").unlink()
    build(settings, site_title=None)  # ...and the index rebuilt without track-parcel
    assert Watcher(holder, loader, interval=0.05).check()
    assert holder.current is not in_flight and holder.swaps == 1
    # the request that started before the rebuild still sees the old build, whole
    assert in_flight.site is not None
    assert (in_flight.site / "index.html").read_text().endswith("<title>Old</title>")
    assert in_flight.search("parcel").ids() == ["track-parcel"]
    with holder.using() as new:
        assert (new.site / "index.html").read_text().endswith("<title>New</title>")
        assert "track-parcel" not in new.search("parcel").ids()
    old_site = in_flight.site
    holder.release(in_flight)  # its last user is done: closed and its site copy removed
    assert not old_site.exists()
    assert not Watcher(holder, loader).check()  # nothing new: no swap
    holder.close()
    loader.cleanup()


def test_suggest_cleans_the_text_like_the_cli(client):
    quoted = "> I forgot my password\n> reset it please\n\n-- \nJan"
    r = client.post("/api/suggest", json={"text": quoted})
    assert r.status_code == 200 and r.json() == {"abstained": True, "suggestions": []}


def test_every_serve_option_and_endpoint_is_documented():
    import argparse

    from kb.commands import serve

    parser = argparse.ArgumentParser()
    serve.add_arguments(parser)
    doc = (REPO / "docs" / "api.md").read_text(encoding="utf-8")
    options = [o for a in parser._actions for o in a.option_strings if o.startswith("--")]
    options.remove("--help")
    assert [o for o in options if f"`{o}" not in doc and f" {o}" not in doc] == []
    for path in ("/api/search", "/api/suggest", "/api/webhooks/zendesk", "/api/feedback"):
        assert path in doc


def test_a_build_that_cannot_be_loaded_leaves_the_old_one_serving(tmp_path):
    from kb.server.snapshot import Loader, SnapshotHolder, Watcher

    settings = write_kb(tmp_path)
    build(settings)
    loader = Loader(settings, None, with_model=False, serve_site=False)
    holder = SnapshotHolder(loader.load())
    good = holder.current
    (settings.docs_dir / "en/orders/track-parcel.md").write_text(
        "---\nid: track-parcel\ntitle: Track it\n---\nTrack your parcel.\n", encoding="utf-8"
    )
    build(settings, site_title=None)  # a new index generation...
    broken = settings.docs_dir / "en/orders/broken.md"
    broken.write_text(
        "---\ntitle: [unclosed\n---\n", encoding="utf-8"
    )  # ...then an edit breaks the KB
    assert not Watcher(holder, loader, interval=0.05).check()
    assert holder.current is good and holder.swaps == 0 and good.kb is not None
    assert not Watcher(holder, loader, interval=0.05).check()  # not retried in a loop
    holder.close()


def test_suggest_sheds_load_beyond_the_pending_limit(settings):
    with make_client(settings, max_pending=1) as c:
        api = c.app.state.api
        api.pending = 1  # one call already in progress
        r = c.post("/api/suggest", json={"text": "parcel"})
        assert r.status_code == 503 and r.headers["retry-after"] == "1"
        assert r.json()["error"] == "the server is busy; retry shortly"
        api.pending = 0
        assert c.post("/api/suggest", json={"text": "parcel"}).status_code == 200
        assert api.pending == 0


# -- the model in the background ------------------------------------------------------------------
def test_server_answers_by_keywords_while_the_model_loads(settings: Settings) -> None:
    """`kb serve` answers before its model is in; those answers say they are keyword-only."""
    import threading
    import time

    from kb.server.app import create_app
    from kb.server.options import ServerOptions
    from kb.suggest.embedders import HashEmbedder

    gate = threading.Event()

    class SlowToLoad(HashEmbedder):
        def encode(self, texts):  # the warm-up call blocks until the test lets it through
            gate.wait(60)
            return super().encode(texts)

    opts = ServerOptions(token=TOKEN, watch_interval=0, rates=UNLIMITED, model_in_background=True)
    ticket = {"text": "I forgot my password and cannot log in"}
    with TestClient(create_app(settings, opts, embedder=SlowToLoad())) as c:
        health = c.get("/api/health").json()
        assert health["model_loading"] is True and health["model"] is None
        early = c.post("/api/suggest", json=ticket, headers=AUTH).json()
        assert early["keywords_only"] is True
        assert early["suggestions"][0]["reasons"]["semantic_score"] == 0.0
        gate.set()
        deadline = time.monotonic() + 60
        while c.get("/api/health").json()["model_loading"] and time.monotonic() < deadline:
            time.sleep(0.05)
        assert c.get("/api/health").json()["model"] == "hash-256"
        late = c.post("/api/suggest", json=ticket, headers=AUTH).json()
        assert "keywords_only" not in late
        assert late["suggestions"][0]["reasons"]["semantic_score"] > 0
