"""Agents' KCS events (kb.server.kcs): links and flags stored durably, and the figures kb stale makes."""

from __future__ import annotations

import datetime as dt
import os
import subprocess
from types import SimpleNamespace

from kb.authoring.pasted import ticket_draft
from kb.core.collection import KnowledgeBase
from kb.core.settings import Settings
from kb.server.kcs import KcsStore, load_kcs_events
from kb.stale.history import GitHistory
from kb.stale.kcs import recorded_figures
from kb.suggest.tickets import Ticket


def git(root, *args: str, day: str = "2026-01-01") -> None:
    env = {
        **os.environ,
        **{
            f"GIT_{who}_{what}": value
            for who in ("AUTHOR", "COMMITTER")
            for what, value in (
                ("NAME", "t"),
                ("EMAIL", "t@example.com"),
                ("DATE", f"{day}T12:00:00+00:00"),
            )
        },
    }
    subprocess.run(["git", *args], cwd=root, env=env, check=True, capture_output=True)


def test_links_and_flags_are_stored_once_and_survive_a_reopen(tmp_path):
    path = tmp_path / ".kb" / "agents.db"
    with KcsStore(path) as store:
        assert store.link("T-1", "reset-password", "en", "ana") is True
        assert store.link("T-1", "reset-password", "en", "bob") is False  # linked already
        store.link("T-2", "reset-password", "nl", None)
        first = store.flag("refunds", "outdated", "the 14 days are 30 now", "T-2", "ana")
        store.flag("refunds", "unclear", "", None, "bob")
    settings = SimpleNamespace(layout=SimpleNamespace(agents=path))
    events = load_kcs_events(settings)  # type: ignore[arg-type]
    assert events is not None
    assert [(row["ticket"], row["agent"]) for row in events["links"]] == [
        ("T-1", "ana"),
        ("T-2", None),
    ]
    assert [f["reason"] for f in events["flags"]] == ["unclear", "outdated"]  # newest first
    with KcsStore(path, create=False) as store:
        mine = store.flags(agent="ana")
        assert [(f.id, f.comment, f.ticket) for f in mine] == [
            (first, "the 14 days are 30 now", "T-2")
        ]
    empty = SimpleNamespace(layout=SimpleNamespace(agents=tmp_path / "none.db"))
    assert load_kcs_events(empty) is None  # type: ignore[arg-type]


def test_recorded_figures_give_link_rate_reuse_flags_and_time_to_fix(make_kb):
    config = make_kb(
        {
            "en/billing/refunds.md": {"id": "refunds", "title": "Refunds", "category": "billing"},
            "nl/billing/refunds.md": {
                "id": "refunds-nl",
                "title": "Terugbetalingen",
                "category": "billing",
                "lang": "nl",
                "translation_of": "refunds",
            },
            "en/billing/cards.md": {"id": "cards", "title": "Cards", "category": "billing"},
        },
        kb_options={"languages": ["en", "nl"], "categories": ["billing"]},
    )
    root = config.parent
    git(root, "init", "-q")
    git(root, "add", "articles")
    git(root, "commit", "-q", "-m", "first", day="2026-01-01")
    nl = root / "articles/nl/billing/refunds.md"
    nl.write_text(nl.read_text(encoding="utf-8") + "\nBijgewerkt.\n", encoding="utf-8")
    git(root, "commit", "-q", "-am", "fix", day="2026-01-11")
    kb = KnowledgeBase.load(Settings.load(config))
    events = {
        "links": [
            {"ticket": "T-1", "article": "refunds", "at": "2026-01-02T10:00:00+00:00"},
            {"ticket": "T-1", "article": "refunds-nl", "at": "2026-01-02T10:01:00+00:00"},
            {"ticket": "T-2", "article": "refunds", "at": "2026-01-03T10:00:00+00:00"},
            {"ticket": "T-9", "article": "cards", "at": "2026-01-03T10:00:00+00:00"},
        ],
        "flags": [
            {
                "article": "refunds-nl",
                "reason": "outdated",
                "comment": "",
                "at": "2026-01-05T09:00:00+00:00",
            },
            {
                "article": "cards",
                "reason": "wrong",
                "comment": "fee is 2%",
                "at": "2026-01-06T09:00:00+00:00",
            },
        ],
    }
    matches = [SimpleNamespace(ticket=SimpleNamespace(id=t)) for t in ("T-1", "T-2", "T-3", "T-4")]
    out = recorded_figures(events, kb, matches, GitHistory(kb.settings.docs_dir))  # type: ignore[arg-type]
    assert out is not None
    assert out["link_rate"] == 0.5  # T-1 and T-2 of four tickets; T-9 is outside the window
    assert out["reuse"] == [
        {"article": "refunds", "tickets": 2},
        {"article": "cards", "tickets": 1},
    ]
    assert (out["flags"], out["open_flags"], out["fixed_flags"]) == (2, 1, 1)
    assert out["median_days_to_fix"] == 6  # flagged on the 5th, the Dutch version fixed on the 11th
    assert out["flagged"][0] == {
        "article": "cards",
        "flags": 1,
        "open": 1,
        "reasons": {"wrong": 1},
        "comments": ["fee is 2%"],
    }
    assert recorded_figures(None, kb, matches, None) is None


def test_a_draft_from_a_pasted_ticket_is_inert_valid_and_never_takes_a_used_id(make_kb):
    config = make_kb(
        {
            "en/billing/gift-wrap.md": {
                "id": "gift-wrap",
                "title": "Gift wrap",
                "category": "billing",
            }
        },
        kb_options={"languages": ["en", "nl"], "categories": ["billing"]},
    )
    settings = Settings.load(config)
    kb = KnowledgeBase.load(settings)
    hostile = "Please [click](javascript:alert(1)) <script>alert(2)</script> {: onclick=x}"
    ticket = Ticket("T-7", "Gift wrap", hostile, lang="en")
    article_id, rel, text = ticket_draft(ticket, settings, kb, dt.date(2026, 1, 2))
    assert (article_id, rel) == ("gift-wrap-2", "en/gift-wrap-2.md")
    assert "<script>" not in text and "&lt;script&gt;" in text  # no raw HTML
    assert "\\[click\\](javascript:" in text and "\\{: onclick" in text  # no link, no attributes
    assert "tickets:" in text and "T-7" in text
    (settings.docs_dir / rel).write_text(text, encoding="utf-8")
    again = KnowledgeBase.scan(Settings.load(config))
    assert [e for e in again.errors if "gift-wrap-2" in str(e)] == []
    draft = again.get("gift-wrap-2")
    assert draft is not None and draft.status == "draft" and draft.tickets == ("T-7",)
