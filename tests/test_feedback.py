"""The feedback store: durable SQLite (WAL), aggregates for kb stale, no raw client addresses."""

from __future__ import annotations

import datetime as dt
import signal
import sqlite3

import httpx
import pytest
from test_server_helpers import build, free_port, start_serve, write_kb

from kb.core.errors import KBError
from kb.core.settings import Settings
from kb.server.feedback import FeedbackStore, db_path, open_store, votes


@pytest.fixture
def settings(tmp_path) -> Settings:
    return Settings(root=tmp_path, kb_dir=tmp_path / ".kb")


def test_votes_are_aggregated_per_article(settings):
    with open_store(settings) as store:
        store.record("a", True)
        store.record("a", False, reason="outdated", lang="nl")
        store.record("a", False, reason="outdated")
        store.record("a", False)
        store.record("b", False, reason="unclear")
    assert votes(settings) == {
        "a": {"helpful": 1, "not_helpful": 3, "reasons": {"outdated": 2}},
        "b": {"helpful": 0, "not_helpful": 1, "reasons": {"unclear": 1}},
    }


def test_votes_since_a_date(settings):
    old = dt.datetime(2024, 1, 1, 12, tzinfo=dt.UTC)
    new = dt.datetime(2025, 6, 1, 12, tzinfo=dt.UTC)
    with open_store(settings) as store:
        store.record("a", True, when=old)
        store.record("a", False, reason="missing", when=new)
    assert votes(settings, since=dt.date(2025, 1, 1)) == {
        "a": {"helpful": 0, "not_helpful": 1, "reasons": {"missing": 1}}
    }
    assert votes(settings, since=dt.datetime(2030, 1, 1)) == {}


def test_no_database_means_no_votes(settings):
    assert votes(settings) == {}
    assert not db_path(settings).exists()  # reading never creates the file
    with pytest.raises(KBError, match="no feedback database"):
        FeedbackStore(db_path(settings), create=False)


def test_the_database_is_wal_with_the_documented_columns(settings):
    with open_store(settings) as store:
        store.record("a", True, lang="en")
    conn = sqlite3.connect(db_path(settings))
    assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    columns = [r[1] for r in conn.execute("PRAGMA table_info(feedback)")]
    assert columns == ["id", "created", "article", "lang", "helpful", "reason", "comment", "client"]
    created = conn.execute("SELECT created FROM feedback").fetchone()[0]
    assert dt.datetime.strptime(created, "%Y-%m-%dT%H:%M:%SZ")


def test_clients_are_hashed_per_day_and_comments_redacted(settings):
    day1 = dt.datetime(2025, 3, 1, 9, tzinfo=dt.UTC)
    day2 = dt.datetime(2025, 3, 2, 9, tzinfo=dt.UTC)
    with open_store(settings) as store:
        store.record("a", False, client="203.0.113.7", when=day1, comment="mail jan@example.com")
        store.record("a", False, client="203.0.113.7", when=day1)
        store.record("a", False, client="203.0.113.7", when=day2)
        rows = list(store.rows())
        raw = b"".join(p.read_bytes() for p in db_path(settings).parent.glob("feedback.db*"))
    assert b"203.0.113.7" not in raw and b"jan@example.com" not in raw
    assert rows[0].client == rows[1].client != rows[2].client
    assert len(rows[0].client) == 16
    assert rows[0].comment == "mail [email]"


def test_an_unknown_reason_is_refused(settings):
    with open_store(settings) as store, pytest.raises(ValueError, match="reason must be one of"):
        store.record("a", False, reason="boring")


def test_an_unreadable_database_is_a_clear_error(settings):
    db_path(settings).parent.mkdir(parents=True)
    db_path(settings).write_bytes(b"this is not sqlite" * 100)
    with pytest.raises(KBError, match="cannot open the feedback database"):
        open_store(settings)


@pytest.mark.slow
def test_feedback_survives_a_killed_server(tmp_path):
    """A vote answered with 201 is on disk even if the server dies right after (SIGKILL)."""
    settings = write_kb(tmp_path)
    build(settings)
    config = tmp_path / "mkdocs.yml"
    port = free_port()
    proc = start_serve(config, port, "--no-model")
    try:
        r = httpx.post(
            f"http://127.0.0.1:{port}/api/feedback",
            json={"article": "track-parcel", "helpful": False, "reason": "outdated", "lang": "en"},
        )
        assert r.status_code == 201
    finally:
        proc.send_signal(signal.SIGKILL)
        proc.wait(10)
    assert votes(settings) == {
        "track-parcel": {"helpful": 0, "not_helpful": 1, "reasons": {"outdated": 1}}
    }
    # and a new server keeps adding to the same database
    proc = start_serve(config, port, "--no-model")
    try:
        r = httpx.post(
            f"http://127.0.0.1:{port}/api/feedback",
            json={"article": "track-parcel", "helpful": True},
        )
        assert r.status_code == 201
    finally:
        proc.terminate()
        proc.wait(10)
    assert votes(settings)["track-parcel"]["helpful"] == 1
