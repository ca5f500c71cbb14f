"""kb.search.whoosh_fast: the same hits and scores as Whoosh's own classes, only faster.

Also the index itself: built in parallel or in one process, it gives the same scores.
"""

from __future__ import annotations

import csv
import shutil
from pathlib import Path
from typing import Any

import pytest

from kb.core.collection import KnowledgeBase
from kb.core.settings import Settings
from kb.search.index import build_index
from kb.search.searcher import Searcher, open_searcher
from tests.conftest import REPO
from tests.test_search import ARTICLES, searcher, write_kb

__all__ = ["searcher"]  # the small KB's searcher, a fixture of test_search.py


# -- the array OR (speed only: the same hits and scores as Whoosh's own) ------------------------
@pytest.mark.parametrize(
    "words",
    [
        ["password", "reset", "login", "link"],
        ["invoice", "download", "factuur", "nothing-matches"],
        ["password"],
    ],
)
def test_array_or_scores_like_whoosh(searcher: Searcher, words: list[str]) -> None:
    from whoosh import query as Q

    from kb.search.whoosh_fast import array_or

    part = searcher._part("en")
    assert part is not None
    terms = [part.analyzer.norm(w) for w in words]

    def run(q: Any) -> list[tuple[int, float]]:
        return [(h.docnum, round(h.score, 9)) for h in part.searcher.search(q, limit=None)]

    leaves = [Q.Term("content", t) for t in terms]
    whoosh_array = Q.Or(list(leaves))
    whoosh_array.matcher_type = Q.Or.ARRAY_MATCHER
    want = run(whoosh_array)
    assert want == run(Q.Or(list(leaves)))  # Whoosh's tree of unions agrees with its array
    assert run(array_or(list(leaves))) == want
    assert run(array_or(list(leaves), auto=True)) == want
    nested = array_or([array_or(leaves[:2], auto=True), *leaves[2:]])  # concept groups
    assert run(nested) == want
    if len(words) > 1:
        assert want  # the cases match something


# -- the long-query path (speed only: the same hits and scores as Whoosh's search) --------------
@pytest.mark.skipif(not (REPO / "articles").is_dir(), reason="sample KB not present")
def test_long_queries_rank_exactly_as_whoosh_does(tmp_path: Path) -> None:
    """`_long_or` (cached postings) against Whoosh's search with the array OR it replaced.

    The sample KB and its tickets, public and internal, on an index with several segments (an
    incremental build after an edit), with typo, compound-split and synonym alternatives.
    """
    import csv
    import shutil

    from kb.search.index import AUDIENCES
    from kb.search.query import _filters, _leaves, concepts
    from kb.search.whoosh_fast import _long_or, array_or

    shutil.copytree(REPO / "articles", tmp_path / "articles")
    shutil.copytree(REPO / "search", tmp_path / "search")
    shutil.copy(REPO / "mkdocs.yml", tmp_path / "mkdocs.yml")
    settings = Settings.load(tmp_path / "mkdocs.yml")
    build_index(KnowledgeBase.load(settings))
    for lang in ("en", "nl", "sv"):  # one edited article per language: a second segment each
        path = next((tmp_path / "articles" / lang).rglob("*.md"))
        path.write_text(path.read_text(encoding="utf-8") + "\nEdited.\n", encoding="utf-8")
    build_index(KnowledgeBase.load(settings))
    with (REPO / "examples" / "tickets.csv").open(encoding="utf-8", newline="") as fh:
        texts = [f"{r['subject']}\n{r['body']}" for r in list(csv.DictReader(fh))[:60]]
    texts.append("pasword resett wachtwoordherstel inloggen leveranstid fakturaadress order")
    kinds: set[str] = set()
    with open_searcher(settings) as s:
        s.search("help")
        segmented = 0
        for lang in s.languages():
            part = s._part(lang)
            assert part is not None
            segmented += not part.searcher.is_atomic()
            for audience in AUDIENCES:
                allowed = part.allowed(_filters(audience, None, None, None))
                for text in texts:
                    cs, _ = concepts(part, text, audience=audience)
                    if len(cs) < 2:
                        continue
                    kinds |= {kind for c in cs for _, _, kind in c.alternatives}
                    groups = [_leaves(c) for c in cs]
                    q = array_or([g[0] if len(g) == 1 else array_or(g) for g in groups])
                    want = [
                        (h.docnum, h.score)
                        for h in part.searcher.search(q, limit=20, filter=allowed, optimize=False)
                    ]
                    got = [(h.docnum, h.score) for h in _long_or(part, cs, 20, allowed)]
                    assert got == want, (lang, audience, text)
        assert segmented  # the edits left parts with more than one segment
    assert {"word", "typo", "split"} <= kinds


def _sample(tmp_path: Path) -> Settings:
    """A copy of the sample KB with its search files and mkdocs.yml."""
    shutil.copytree(REPO / "articles", tmp_path / "articles")
    shutil.copytree(REPO / "search", tmp_path / "search")
    shutil.copy(REPO / "mkdocs.yml", tmp_path / "mkdocs.yml")
    return Settings.load(tmp_path / "mkdocs.yml")


def _queries() -> list[str]:
    """Short queries (with typos and compounds) and real tickets of the sample ticket history."""
    with (REPO / "examples" / "tickets.csv").open(encoding="utf-8", newline="") as fh:
        tickets = [f"{r['subject']}\n{r['body']}" for r in list(csv.DictReader(fh))[:80]]
    short = [
        "reset password",
        "pasword resett",
        "wachtwoordherstel",
        "leveranstid",
        "factuur downloaden",
        "refund",
        "where is my order",
        "gift card balance nothing-matches",
    ]
    return short + tickets


def _results(s: Searcher, queries: list[str]) -> list[tuple[str, bool, list[tuple[str, float]]]]:
    out = []
    for q in queries:
        for internal in (False, True):
            hits = s.search(q, limit=20, internal=internal).hits
            out.append((q, internal, [(h.id, h.score) for h in hits]))
    return out


@pytest.mark.skipif(not (REPO / "articles").is_dir(), reason="sample KB not present")
def test_fast_and_plain_whoosh_find_the_same_hits_with_the_same_scores(tmp_path: Path) -> None:
    """Searcher(fast=False) uses Whoosh's own BM25F, unions and search for every query."""
    settings = _sample(tmp_path)
    build_index(KnowledgeBase.load(settings))
    queries = _queries()
    with open_searcher(settings) as fast, open_searcher(settings, fast=False) as plain:
        got, want = _results(fast, queries), _results(plain, queries)
        part = plain._part("en")
        assert part is not None and not part.fast
    assert [(q, i, [h[0] for h in hits]) for q, i, hits in got] == [
        (q, i, [h[0] for h in hits]) for q, i, hits in want
    ]
    for (q, _, hits), (_, _, plain_hits) in zip(got, want, strict=True):
        assert [s for _, s in hits] == pytest.approx([s for _, s in plain_hits], abs=1e-4), q
    assert sum(len(hits) for _, _, hits in got) > len(queries)  # the queries find things


@pytest.mark.parametrize("parallel", [True, False])
def test_an_index_built_in_parallel_or_in_one_process_scores_alike(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, parallel: bool
) -> None:
    import kb.search.index as search_index

    monkeypatch.setattr(search_index, "PARALLEL_MIN", 1)  # the small KB counts as large
    serial = write_kb(tmp_path / "serial", ARTICLES)
    serial.parallel = False
    other = write_kb(tmp_path / "other", ARTICLES)
    other.parallel = parallel
    for settings in (serial, other):
        assert build_index(KnowledgeBase.load(settings)).full
    queries = ["password reset", "factuur", "wachtwoordherstel", "leverans", "refund money back"]
    with open_searcher(serial) as one, open_searcher(other) as two:
        assert _results(two, queries) == _results(one, queries)
        assert any(hits for _, _, hits in _results(one, queries))
