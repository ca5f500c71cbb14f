"""Single staleness rules, `kb translation sync` and the gap draft, on small throwaway KBs."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from kb.authoring.drafts import gap_draft
from kb.cli import main
from kb.core.collection import KnowledgeBase
from kb.core.settings import Settings
from kb.core.translations import set_source_hash, text_hash_of
from kb.stale.findings import Context
from kb.stale.gaps import Gap
from kb.stale.rules import review_batches, run_rules
from tests.conftest import MakeKB, article

TODAY = dt.date(2026, 11, 20)
SOURCE = {"id": "guide", "title": "Guide", "lang": "en", "owner": "a", "reviewed": "2026-10-01"}


def _ctx(config: Path, **kw: object) -> Context:
    return Context(kb=KnowledgeBase.load(Settings.load(config)), today=TODAY, **kw)  # type: ignore[arg-type]


def test_mentioned_versions() -> None:
    from kb.stale.drift import mentioned_versions

    assert mentioned_versions("Where did it go in app version 5.0?", ["app"]) == ["5.0"]
    assert mentioned_versions("I ordered in the app (5.0.2) today", ["app"]) == ["5.0.2"]
    assert mentioned_versions("nya appen (5.0) saknar knappen", ["app"]) == ["5.0"]
    assert mentioned_versions("the app costs 14.99 now", ["app"]) == []
    assert mentioned_versions("version 5.0 of the website", ["app"]) == []


def test_translation_without_git_says_old_text_unknown(make_kb: MakeKB) -> None:
    source = article(SOURCE, "## Steps\n\nNew text.\n")
    config = make_kb(
        {
            "en/guide.md": source,
            "nl/guide.md": article(
                {
                    "id": "guide-nl",
                    "title": "Gids",
                    "lang": "nl",
                    "owner": "a",
                    "reviewed": "2026-10-01",
                    "translation_of": "guide",
                    "source_hash": "0123456789abcdef",
                },
                "## Stappen\n\nTekst.\n",
            ),
        }
    )
    from kb.stale.history import GitHistory

    ctx = _ctx(config, history=GitHistory(config.parent / "articles"))
    found = [f for f in run_rules(ctx) if f.rule == "outdated-translation"]
    assert [f.article for f in found] == ["guide-nl"]
    assert found[0].evidence["changed_sections"] is None
    assert found[0].message.endswith("changed (old text unknown)")


def test_either_language_may_be_the_source(make_kb: MakeKB) -> None:
    nl_source = article({**SOURCE, "id": "gids", "lang": "nl"}, "Tekst.\n")
    config = make_kb(
        {
            "nl/gids.md": nl_source,
            "en/gids.md": article(
                {**SOURCE, "id": "gids-en", "translation_of": "gids", "source_hash": "ab" * 8},
                "Text.\n",
            ),
        }
    )
    found = [f for f in run_rules(_ctx(config)) if f.rule == "outdated-translation"]
    assert [(f.article, f.evidence["source"]) for f in found] == [("gids-en", "gids")]


def test_translation_sync_rewrites_only_the_hash_line(make_kb: MakeKB) -> None:
    config = make_kb(
        {
            "en/guide.md": article(SOURCE, "## Steps\n\nNew text.\n"),
            "nl/guide.md": (
                "---\r\nid: guide-nl\r\ntitle: Gids   # keep this comment\r\nlang: nl\r\n"
                "translation_of: guide\r\nsource_hash: 0123456789abcdef\r\nowner: a\r\n"
                "reviewed: 2026-10-01\r\n---\r\n## Stappen\r\n\r\nTekst.\r\n"
            ),
            "sv/guide.md": article(
                {
                    "id": "guide-sv",
                    "title": "Guide",
                    "lang": "sv",
                    "translation_of": "guide",
                    "owner": "a",
                    "reviewed": "2026-10-01",
                },
                "Text.\n",
            ),
        }
    )
    docs = config.parent / "articles"
    before = (docs / "nl/guide.md").read_bytes()
    assert main(["translation", "sync", "guide-nl", "guide-sv", "-f", str(config)]) == 0
    after = (docs / "nl/guide.md").read_bytes()
    want = text_hash_of((docs / "en/guide.md").read_text(encoding="utf-8"))
    assert after == before.replace(b"0123456789abcdef", want.encode())
    sv = (docs / "sv/guide.md").read_text(encoding="utf-8")
    assert f"translation_of: guide\nsource_hash: {want}\n" in sv
    kb = KnowledgeBase.load(Settings.load(config))
    assert [f for f in run_rules(Context(kb=kb, today=TODAY)) if "translation" in f.rule] == []


def test_translation_sync_errors(make_kb: MakeKB, capsys: pytest.CaptureFixture[str]) -> None:
    config = make_kb({"en/guide.md": article(SOURCE, "Text.\n")})
    assert main(["translation", "sync", "guide", "-f", str(config)]) == 2
    assert "'guide' is not a translation" in capsys.readouterr().err
    assert main(["translation", "sync", "nope", "-f", str(config)]) == 1
    assert capsys.readouterr().err.strip() == "kb translation: no article with id 'nope'"
    with pytest.raises(ValueError, match="no translation_of line"):
        set_source_hash("---\ntitle: x\n---\nbody\n", "abc")


def test_feedback_votes_join_the_report(make_kb: MakeKB) -> None:
    config = make_kb(
        {
            "en/guide.md": article(SOURCE, "Text.\n"),
            "en/other.md": article({**SOURCE, "id": "other"}, "Text.\n"),
        }
    )
    from kb.server.feedback import open_store
    from kb.stale.run import load_feedback

    settings = Settings.load(config)
    with open_store(settings) as store:
        for i in range(6):
            store.record("guide", i == 0, reason=None if i == 0 else "outdated")
        for _ in range(6):
            store.record("other", True)
    votes = load_feedback(settings, None)
    found = [f for f in run_rules(_ctx(config, feedback=votes)) if f.rule == "not-helpful"]
    assert [(f.article, f.severity) for f in found] == [("guide", "warning")]
    assert found[0].evidence == {"helpful": 1, "not_helpful": 5, "reasons": {"outdated": 5}}


def test_review_batch_and_silence_below_the_limit(make_kb: MakeKB) -> None:
    files = {f"en/a{i}.md": article({**SOURCE, "id": f"a{i}"}, "Text.\n") for i in range(5)}
    files["en/b.md"] = article({**SOURCE, "id": "b", "reviewed": "2026-09-01"}, "Text.\n")
    for i in range(5):  # a batch that fell due years ago: overdue, not a batch to plan
        files[f"en/old{i}.md"] = article({**SOURCE, "id": f"old{i}", "reviewed": "2020-10-27"})
    config = make_kb(files, kb_options={"defaults": {"review_every": "1y"}})
    found = review_batches(_ctx(config))
    assert [f.evidence for f in found] == [
        {"due": "2027-10-01", "articles": ["a0", "a1", "a2", "a3", "a4"]}
    ]


def test_gap_draft_is_in_the_customers_words(make_kb: MakeKB) -> None:
    gap = Gap(
        id="gap-gift-wrapping",
        lang="nl",
        size=3,
        terms=["cadeauverpakking", "lint"],
        tickets=["T-1", "T-2", "T-3"],
        representatives=[
            {"id": "T-1", "subject": "Cadeauverpakking", "text": "Kunnen jullie het inpakken?"},
            {"id": "T-2", "subject": "Cadeauverpakking", "text": "Met een lint graag."},
        ],
        first_seen="2026-01-02",
        last_seen="2026-03-04",
    )
    draft = gap_draft(gap)
    assert draft["title"] == "Cadeauverpakking" and draft["lang"] == "nl"
    assert draft["tickets"] == ["T-1", "T-2", "T-3"]
    assert "> Kunnen jullie het inpakken?" in draft["body"] and "## Oplossing" in draft["body"]
    config = make_kb({"nl/x.md": article({**SOURCE, "id": "x", "lang": "nl"}, "Tekst.\n")})
    from kb.authoring.new import write_article

    class Args:
        lang = None
        category = None
        translation_of = None
        article_id = None
        department = None

    kb = KnowledgeBase.load(Settings.load(config))
    path = write_article(kb, "solution", draft["title"], Args(), draft)  # type: ignore[arg-type]
    kb = KnowledgeBase.scan(Settings.load(config))
    assert kb.errors == []
    new = kb.by_path[path.relative_to(config.parent / "articles").as_posix()]
    assert new.tickets == ("T-1", "T-2", "T-3") and new.status == "draft"


def test_no_gap_still_counts_the_tickets_without_a_good_article() -> None:
    from kb.stale.report_html import gaps_chart

    assert "5 tickets had no good article" in gaps_chart([], kcs={"new": 5})
    assert "every ticket found a good article" in gaps_chart([], kcs={"new": 0})
    assert "every cluster" not in gaps_chart([], kcs=None)
