"""The index on disk: incremental by content hash, atomic swaps, readers during rebuilds."""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any

import pytest

import kb.search.index as search_index
from kb.core.collection import KnowledgeBase
from kb.core.settings import Settings
from kb.search.index import build_index
from kb.search.searcher import open_searcher
from tests.conftest import article
from tests.test_search import ARTICLES, write_kb


def load(settings: Settings) -> KnowledgeBase:
    return KnowledgeBase.load(settings)


def edit(settings: Settings, rel: str, meta: dict[str, Any], body: str) -> None:
    path = settings.docs_dir / rel
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(article(meta, body), encoding="utf-8")


@pytest.fixture
def kb_settings(tmp_path: Path) -> Settings:
    return write_kb(tmp_path, ARTICLES)


def test_first_build_is_full_then_nothing_changes(kb_settings: Settings) -> None:
    first = build_index(load(kb_settings))
    assert first.full and first.added == 8 and first.changed  # 9 files, 1 draft
    again = build_index(load(kb_settings))
    assert not again.changed
    assert (again.added, again.updated, again.removed, again.unchanged) == (0, 0, 0, 8)
    assert again.generation == first.generation


def test_only_changed_articles_are_reindexed(
    kb_settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    build_index(load(kb_settings))
    meta, _ = ARTICLES["en/orders/track-order.md"]
    edit(kb_settings, "en/orders/track-order.md", meta, "Follow the courier's live map.\n")
    (kb_settings.docs_dir / "nl/billing/download-invoice.md").unlink()
    indexed: list[str] = []
    original = search_index.document

    def spy(a: Any, *args: Any) -> dict[str, Any]:
        indexed.append(a.id)
        return original(a, *args)

    monkeypatch.setattr(search_index, "document", spy)
    report = build_index(load(kb_settings))
    assert indexed == ["track-order"]
    assert (report.added, report.updated, report.removed, report.unchanged) == (0, 1, 1, 6)
    with open_searcher(kb_settings) as s:
        assert s.search("courier live map", lang="en").ids() == ["track-order"]
        assert s.search("shipping", lang="en").ids() == []
        assert s.search("factuur", lang="nl").ids() == []
        assert s.search("refund", lang="en").ids() == ["refund-timeline"]


def test_publishing_an_internal_article_moves_it_across_the_barrier(
    kb_settings: Settings,
) -> None:
    build_index(load(kb_settings))
    meta, body = ARTICLES["en/agents/refund-override.md"]
    edit(kb_settings, "en/agents/refund-override.md", {**meta, "audience": "public"}, body)
    report = build_index(load(kb_settings))
    assert report.updated == 1
    with open_searcher(kb_settings) as s:
        assert s.search("refund override", lang="en").ids()[0] == "refund-override"


def test_full_rebuild_on_request(kb_settings: Settings) -> None:
    build_index(load(kb_settings))
    report = build_index(load(kb_settings), full=True)
    assert report.full and report.added == 8


def test_old_generations_are_removed(kb_settings: Settings) -> None:
    meta, _ = ARTICLES["en/orders/track-order.md"]
    for n in range(6):
        edit(kb_settings, "en/orders/track-order.md", meta, f"Version {n}.\n")
        build_index(load(kb_settings))
    gens = sorted(p.name for p in kb_settings.index_dir.glob("g*"))
    assert len(gens) == search_index.KEEP_GENERATIONS
    assert (kb_settings.index_dir / "CURRENT").read_text() == gens[-1]


def test_reader_keeps_working_while_the_index_is_rebuilt(kb_settings: Settings) -> None:
    """A searcher opened before many rebuilds (and generation clean-ups) never fails."""
    build_index(load(kb_settings))
    meta, _ = ARTICLES["en/orders/track-order.md"]
    errors: list[BaseException] = []
    seen: set[tuple[str, ...]] = set()
    stop = threading.Event()

    def read() -> None:
        try:
            with open_searcher(kb_settings) as s:
                n = 0
                while not stop.is_set() or n < 5:
                    seen.add(tuple(s.search("refund", lang="en").ids()))
                    s.search("parcel", lang="en")
                    n += 1
                    if n % 3 == 0:
                        s.refresh()
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=read) for _ in range(2)]
    for t in threads:
        t.start()
    for n in range(6):
        edit(kb_settings, "en/orders/track-order.md", meta, f"Parcel version {n}.\n")
        build_index(load(kb_settings))
    stop.set()
    for t in threads:
        t.join(timeout=60)
    assert not errors
    assert seen == {("refund-timeline",)}


def test_refresh_picks_up_a_rebuild(kb_settings: Settings) -> None:
    build_index(load(kb_settings))
    with open_searcher(kb_settings) as s:
        assert s.search("courier", lang="en").ids() == []
        meta, _ = ARTICLES["en/orders/track-order.md"]
        edit(kb_settings, "en/orders/track-order.md", meta, "Ask the courier.\n")
        build_index(load(kb_settings))
        assert s.search("courier", lang="en").ids() == []  # still the old generation
        s.refresh()
        assert s.search("courier", lang="en").ids() == ["track-order"]


def test_parallel_full_build_matches_serial(
    kb_settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(search_index, "PARALLEL_MIN", 1)
    report = build_index(load(kb_settings))
    assert report.full
    with open_searcher(kb_settings) as s:
        assert s.search("wachtwoordherstel", lang="nl").ids() == ["reset-password-nl"]
        assert s.search("password", lang="en").ids()[0] == "reset-password"


def test_compound_vocabulary_grows_incrementally(kb_settings: Settings) -> None:
    build_index(load(kb_settings))
    edit(
        kb_settings,
        "nl/orders/bezorging.md",
        {"id": "bezorging-nl", "title": "Bezorging", "lang": "nl"},
        "Wij bezorgen elke dag. De bezorgtijd staat in je bestelling.\n",
    )
    build_index(load(kb_settings))
    with open_searcher(kb_settings) as s:
        # "bestellingbezorging" splits with words from both the old and the new article
        assert s.search("bestellingsbezorging", lang="nl").ids()[0] == "bezorging-nl"
