"""POST /api/events and POST /api/requests on the real app; kb stale's search and self-service figures."""

from __future__ import annotations

import http.server
import json
import sqlite3
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any, ClassVar

import pytest
import yaml
from starlette.testclient import TestClient
from test_server_helpers import build, server_app, write_kb

from kb.cli import main
from kb.core.settings import Settings
from kb.server.events import EventStore, db_path, load_events, scrub_query
from kb.server.ratelimit import Rate

OPEN = {"api": Rate(0, 0), "feedback": Rate(0, 0), "events": Rate(0, 0), "requests": Rate(0, 0)}


def with_contact(settings: Settings, contact: dict[str, Any]) -> Settings:
    """The same KB with `contact` in its mkdocs.yml."""
    config = settings.root / "mkdocs.yml"
    data = yaml.safe_load(config.read_text(encoding="utf-8"))
    data["plugins"][0]["kb"]["contact"] = contact
    config.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
    return Settings.load(config)


@pytest.fixture
def kb(tmp_path: Path) -> Settings:
    s = write_kb(tmp_path / "kb")
    build(s)
    return s


@pytest.fixture
def client(kb: Settings) -> Iterator[TestClient]:
    with TestClient(server_app(kb, rates=OPEN)) as c:
        yield c


def post(client: TestClient, body: Any, **kw: Any) -> Any:
    return client.post("/api/events", json=body, **kw)


SEARCH = {"event": "search", "lang": "nl", "query": "wachtwoord vergeten", "results": 3}


@pytest.mark.parametrize(
    ("body", "status", "field"),
    [
        ({"event": "purchase", "lang": "en"}, 400, "event"),
        ({"lang": "en", "query": "x", "results": 1}, 400, "event"),
        ({**SEARCH, "ip": "10.0.0.1"}, 400, "ip"),
        ({**SEARCH, "user_agent": "x"}, 400, "user_agent"),
        ({"event": "search", "query": "x"}, 400, "results"),
        ({**SEARCH, "results": -1}, 400, "results"),
        ({**SEARCH, "results": "many"}, 400, "results"),
        ({**SEARCH, "query": "   "}, 400, "query"),
        ({**SEARCH, "query": "x" * 501}, 400, "query"),
        ({**SEARCH, "lang": "de"}, 400, "lang"),
        ({"event": "click", "query": "x", "url": "//evil.example/", "rank": 1}, 400, "url"),
        ({"event": "click", "query": "x", "url": "/en/a/", "rank": 0}, 400, "rank"),
        ({"event": "suggestions", "articles": ["a"] * 21}, 400, "articles"),
        ({"event": "suggestions", "articles": ["no spaces please"]}, 400, "articles"),
        ({"event": "suggestions", "articles": "reset-password"}, 400, "articles"),
        ({"event": "deflection"}, 400, "article"),
        ({"event": "submission", "source": "Contact Page!"}, 400, "source"),
    ],
)
def test_bad_events_are_refused_naming_the_field(client, body, status, field) -> None:
    r = post(client, body)
    assert r.status_code == status, r.text
    assert r.json()["field"] == field
    assert EventStore(db_path(client.app.state.api.settings)).count() == 0


def test_bad_bodies_are_refused(client) -> None:
    assert client.post("/api/events", content=b"{not json").status_code == 400
    assert client.post("/api/events", content=b"[1, 2]").status_code == 400
    assert client.post("/api/events", content=b"").status_code == 400
    r = client.post("/api/events", content=b"x", headers={"content-type": "text/plain"})
    assert r.status_code == 415
    huge = json.dumps({**SEARCH, "pad": "x" * 100_000})
    r = client.post("/api/events", content=huge, headers={"content-type": "application/json"})
    assert r.status_code == 413
    deep = "[" * 5000 + "]" * 5000
    r = client.post("/api/events", content=deep, headers={"content-type": "application/json"})
    assert r.status_code == 400
    assert client.get("/api/events").status_code == 405


def test_every_event_of_the_contract_is_stored(client, kb: Settings) -> None:
    bodies = [
        SEARCH,
        {"event": "search", "lang": "nl", "query": "wachtwoord vergeten", "results": 0},
        {"event": "click", "lang": "nl", "query": "wachtwoord", "url": "/nl/a/?q=x#b", "rank": 1},
        {"event": "suggestions", "lang": "en", "articles": ["reset-password", "/en/x/"]},
        {"event": "deflection", "lang": "en", "article": "reset-password", "source": "contact"},
        {"event": "submission", "lang": "en", "suggested": ["track-parcel"]},
        {"event": "submission", "rank": None, "lang": None} | {"source": "contact"},
    ]
    for body in bodies[:-1]:
        r = post(client, body)
        assert r.status_code == 204 and r.content == b"", r.text
    assert post(client, bodies[-1]).status_code == 400  # rank is not a field of a submission
    with sqlite3.connect(db_path(kb)) as db:
        rows = db.execute(
            "SELECT event, lang, query, url, items FROM events ORDER BY id"
        ).fetchall()
        columns = [c[1] for c in db.execute("PRAGMA table_info(events)")]
    kinds = ["search", "search", "click", "suggestions", "deflection", "submission"]
    assert [r[0] for r in rows] == kinds
    assert rows[2][3] == "/nl/a/"  # a click keeps the path, never its query string
    assert json.loads(rows[3][4]) == ["reset-password", "/en/x/"]
    assert not {"ip", "client", "user_agent", "cookie", "created"} & set(columns)


def test_personal_data_in_a_query_is_redacted(client, kb: Settings) -> None:
    query = (
        "Order BC-20931 for jan.jansen@example.nl, call +31 6 1234 5678, "
        "card 4111111111111111 #4521 in 2024 on my iPhone 15"
    )
    assert (
        post(client, {"event": "search", "lang": "en", "query": query, "results": 0}).status_code
        == 204
    )
    raw = b"".join(p.read_bytes() for p in db_path(kb).parent.glob("events.db*"))
    for secret in (b"jan.jansen", b"example.nl", b"20931", b"1234 5678", b"4111", b"4521"):
        assert secret not in raw
    stored = load_events(kb)["searches"]["top"][0]["query"]
    assert stored == (
        "order [number] for [email], call [phone], card [number] [number] in 2024 on my iphone 15"
    )
    assert len(scrub_query("x" * 500)) == 200
    assert scrub_query("  Refund\tPOLICY ") == "refund policy"


def test_events_survive_a_restart(kb: Settings) -> None:
    with TestClient(server_app(kb, rates=OPEN)) as c:
        assert post(c, SEARCH).status_code == 204
        assert post(c, {"event": "deflection", "article": "reset-password"}).status_code == 204
    with TestClient(server_app(kb, rates=OPEN)) as c:  # a new process would open the same file
        assert post(c, SEARCH).status_code == 204
    got = load_events(kb)
    assert got is not None
    assert got["searches"]["top"][0] == {
        "query": "wachtwoord vergeten",
        "lang": "nl",
        "searches": 2,
        "results": 3.0,
        "no_result": 0,
        "clicks": 0,
    }
    assert got["self_service"]["deflections"] == 1


def test_events_are_rate_limited(kb: Settings) -> None:
    with TestClient(server_app(kb, rates={**OPEN, "events": Rate(0.001, 2)})) as c:
        assert [post(c, SEARCH).status_code for _ in range(3)] == [204, 204, 429]


# -- contact requests --------------------------------------------------------------------------
class _Hook(http.server.BaseHTTPRequestHandler):
    got: ClassVar[list[tuple[dict[str, str], bytes]]] = []

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers["content-length"]))
        _Hook.got.append((dict(self.headers), body))
        self.send_response(204)
        self.end_headers()

    def log_message(self, format: str, *args: Any) -> None:
        pass


@pytest.fixture
def webhook() -> Iterator[str]:
    _Hook.got = []
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Hook)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}/hook"
    server.shutdown()
    server.server_close()


def test_requests_are_stored_and_posted_to_the_webhook(kb: Settings, webhook: str) -> None:
    s = with_contact(kb, {"to": "server", "webhook": webhook})
    request = {
        "subject": "Parcel lost",
        "description": "My parcel never arrived.",
        "email": "ann@example.com",
        "lang": "en",
        "suggested": ["track-parcel"],
    }
    with TestClient(server_app(s, rates=OPEN)) as c:
        r = c.post("/api/requests", json=request)
        assert r.status_code == 201 and r.json()["stored"] is True
        for bad, field in [
            ({**request, "subject": "x" * 201}, "subject"),
            ({**request, "description": "x" * 5001}, "description"),
            ({**request, "email": "not an address"}, "email"),
            ({**request, "phone": "123"}, "phone"),
            ({**request, "description": " "}, "description"),
        ]:
            r = c.post("/api/requests", json=bad)
            assert (r.status_code, r.json().get("field")) == (400, field)
    # the app's shutdown waits for the delivery
    assert len(_Hook.got) == 1
    headers, body = _Hook.got[0]
    assert headers["Content-Type"] == "application/json"
    sent = json.loads(body)
    assert sent["type"] == "kb.contact_request" and sent["subject"] == "Parcel lost"
    assert sent["email"] == "ann@example.com" and sent["suggested"] == ["track-parcel"]
    with sqlite3.connect(s.layout.requests) as db:
        assert db.execute("SELECT subject, delivered FROM requests").fetchall() == [
            ("Parcel lost", 1)
        ]
    # personal data stays out of the analytics store
    events = b"".join(p.read_bytes() for p in s.layout.events.parent.glob("events.db*"))
    assert b"ann@example.com" not in events and b"Parcel lost" not in events


def test_requests_are_refused_unless_the_contact_page_sends_them_here(client) -> None:
    r = client.post("/api/requests", json={"subject": "a", "description": "b"})
    assert r.status_code == 404
    assert "kb.contact.to" in r.json()["error"]


def test_a_failed_delivery_is_kept_with_its_error(kb: Settings) -> None:
    s = with_contact(kb, {"to": "server", "webhook": "http://127.0.0.1:9/nothing-listens"})
    with TestClient(server_app(s, rates=OPEN)) as c:
        assert c.post("/api/requests", json={"subject": "a", "description": "b"}).status_code == 201
    with sqlite3.connect(s.layout.requests) as db:
        delivered, error = db.execute("SELECT delivered, error FROM requests").fetchone()
    assert delivered == 0 and error


# -- kb stale ----------------------------------------------------------------------------------
def test_stale_shows_searches_gaps_and_the_self_service_rate(
    client, kb: Settings, capsys: pytest.CaptureFixture[str]
) -> None:
    def search(query: str, results: int, lang: str = "en") -> None:
        body = {"event": "search", "lang": lang, "query": query, "results": results}
        assert post(client, body).status_code == 204

    for q in ("gift card balance", "Gift cards balance", "balance of my gift card"):
        search(q, 0)
    search("loyalty points", 0)  # once only: no gap
    for _ in range(4):
        search("reset password", 2)
    search("track parcel", 1)
    click = {"event": "click", "lang": "en", "query": "reset password"}
    assert (
        post(client, {**click, "url": "/en/account/reset-password/", "rank": 1}).status_code == 204
    )
    for body in (
        {"event": "suggestions", "lang": "en", "articles": ["reset-password"], "source": "contact"},
        {"event": "deflection", "lang": "en", "article": "reset-password", "source": "contact"},
        {"event": "deflection", "lang": "en", "article": "reset-password", "source": "contact"},
        {"event": "deflection", "lang": "en", "article": "track-parcel", "source": "contact"},
        {"event": "submission", "lang": "en", "suggested": [], "source": "contact"},
    ):
        assert post(client, body).status_code == 204

    argv = ["stale", "-f", str(kb.root / "mkdocs.yml"), "--no-duplicates"]
    assert main([*argv, "--format", "json"]) == 0
    data = json.loads(capsys.readouterr().out)
    q = data["searches"]
    assert q["searches"] == 9 and q["no_result_searches"] == 4 and q["clicks"] == 1
    assert q["top"][0] == {
        "query": "reset password",
        "lang": "en",
        "searches": 4,
        "results": 2.0,
        "no_result": 0,
        "clicks": 1,
    }
    assert {r["query"] for r in q["no_results"]} == {
        "gift card balance",
        "gift cards balance",
        "balance of my gift card",
        "loyalty points",
    }
    assert [r["query"] for r in q["not_clicked"]] == ["track parcel"]
    [gap] = data["search_gaps"]
    assert gap["searches"] == 3 and set(gap["terms"]) >= {"gift", "balance"}
    ss = data["self_service"]
    assert (ss["deflections"], ss["submissions"], ss["suggestions"]) == (3, 1, 1)
    assert ss["self_service_rate"] == 0.75
    assert ss["deflected_by"][0] == {"article": "reset-password", "deflections": 2}

    assert main([*argv, "--format", "text"]) == 0
    text = capsys.readouterr().out
    assert "Self-service: success rate 75%" in text
    assert "Searches with no result:" in text and "gift card balance" in text
    assert main([*argv, "--format", "html"]) == 0
    html = capsys.readouterr().out
    assert 'id="search-gaps"' in html and "self-service rate" in html


def test_stale_without_events_omits_the_sections(
    kb: Settings, capsys: pytest.CaptureFixture[str]
) -> None:
    argv = ["stale", "-f", str(kb.root / "mkdocs.yml"), "--no-duplicates"]
    assert main([*argv, "--format", "json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert "searches" not in data and "self_service" not in data
    db_path(kb).parent.mkdir(parents=True, exist_ok=True)
    db_path(kb).write_bytes(b"this is not a database, but stale goes on")
    assert main([*argv, "--format", "text"]) == 0
    assert "Self-service" not in capsys.readouterr().out
    assert main([*argv, "--format", "html"]) == 0
    assert "No searches recorded" in capsys.readouterr().out
