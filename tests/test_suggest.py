"""The suggester: fusion, abstention, audiences, languages and reasons (fake rankers, small KBs)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import pytest

from kb.core.article import Article
from kb.suggest.chunks import ChunkIndex, embed_articles
from kb.suggest.embedders import Embedder
from kb.suggest.suggester import Fusion, KeywordHit, Suggester


def art(aid: str, title: str, body: str = "", lang: str = "en", **meta: Any) -> Article:
    m = {"id": aid, "title": title, "lang": lang, "status": "published", "audience": "public"}
    m.update(meta)
    return Article(rel_path=f"{lang}/{aid}.md", meta=m, body=body, content_hash=aid)


class FakeKeyword:
    """Returns fixed hits, whatever the text."""

    def __init__(self, hits: Sequence[tuple[str, float, Sequence[str]]]) -> None:
        self.hits = [KeywordHit(i, s, tuple(t)) for i, s, t in hits]

    def rank(self, text: str, *, limit: int) -> list[KeywordHit]:
        return self.hits[:limit]


class TableEmbedder:
    """Vectors looked up by the first word of a text: a fully controlled embedding space."""

    model_id = "table"

    def __init__(self, table: dict[str, Sequence[float]]) -> None:
        self.table = {k: np.asarray(v, dtype=np.float32) for k, v in table.items()}

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        out = []
        for t in texts:
            v = self.table[t.split(".")[0].split()[0]]
            out.append(v / np.linalg.norm(v))
        return np.array(out, dtype=np.float32)


def make(
    articles: list[Article],
    kw: FakeKeyword | None,
    emb: Embedder | None,
    **fusion: Any,
) -> Suggester:
    chunks: ChunkIndex | None = embed_articles(articles, emb) if emb is not None else None
    return Suggester(
        articles,
        keyword=kw,
        embedder=emb,
        chunks=chunks,
        model_languages=("en",),
        languages=("en", "nl", "sv"),
        fusion=Fusion(**fusion),
    )


SPACE = {
    "query": [1, 0, 0],
    "alpha": [0.9, 0.3, 0],  # close in meaning
    "beta": [0, 1, 0],  # unrelated
    "gamma": [0.6, 0.8, 0],  # in between
}


def ids(s: Suggester, text: str = "query", **kw: Any) -> list[str]:
    return [s.articles[c.index].id for c in s.rank(text, **kw)]


def test_each_mode_ranks_by_its_own_evidence() -> None:
    arts = [art("a", "alpha"), art("b", "beta"), art("g", "gamma")]
    kw = FakeKeyword([("b", 10.0, ["refund"]), ("g", 9.0, ["refund"])])
    s = make(arts, kw, TableEmbedder(SPACE), trusted_weight=0.5, kw_saturation=1.0)
    assert ids(s, mode="keyword") == ["b", "g"]  # keyword mode lists keyword hits only
    assert ids(s, mode="embedding") == ["a", "g", "b"]
    # agreement wins: g is second on both sides, so first when both count equally
    assert ids(s, mode="hybrid")[0] == "g"
    # hybrid ranks by the confidence it reports
    confidences = [c.confidence for c in s.rank("query", mode="hybrid")]
    assert confidences == sorted(confidences, reverse=True)


def test_weight_decides_which_side_wins() -> None:
    arts = [art("a", "alpha"), art("b", "beta")]
    kw = FakeKeyword([("b", 10.0, ["refund"])])
    trusting = make(arts, kw, TableEmbedder(SPACE), trusted_weight=0.8)
    doubting = make(arts, kw, TableEmbedder(SPACE), trusted_weight=0.2)
    assert ids(trusting)[0] == "a"
    assert ids(doubting)[0] == "b"


def test_languages_the_model_does_not_know_use_keywords_only() -> None:
    arts = [art("a", "alpha", lang="sv"), art("b", "beta", lang="sv"), art("g", "gamma", lang="sv")]
    kw = FakeKeyword([("b", 10.0, ["refund"]), ("g", 4.0, ["card"])])
    s = make(arts, kw, TableEmbedder(SPACE))
    hybrid = ids(s, lang="sv", mode="hybrid")
    assert hybrid[:2] == ids(s, lang="sv", mode="keyword")
    assert hybrid == ["b", "g", "a"]  # articles without keywords follow, ordered by meaning
    # the same KB in English trusts the model
    en = make([art(a.id, a.title) for a in arts], kw, TableEmbedder(SPACE))
    assert ids(en, lang="en")[0] == "a"


def test_abstains_below_the_threshold_but_lists_the_weak_candidates() -> None:
    arts = [art("b", "beta"), art("g", "gamma")]
    s = make(arts, FakeKeyword([]), TableEmbedder(SPACE), abstain_below=0.9)
    out = s.suggest("query", lang="en", k=5)
    assert out.abstained is True
    assert [x.id for x in out.suggestions] == ["g", "b"]
    assert out.suggestions[0].score < 0.9
    confident = make(arts, FakeKeyword([]), TableEmbedder(SPACE), abstain_below=0.2)
    assert confident.suggest("query", lang="en").abstained is False


def test_abstains_on_an_empty_kb() -> None:
    s = make([], FakeKeyword([]), None)
    out = s.suggest("anything")
    assert out.abstained is True and out.suggestions == []


def test_keyword_evidence_alone_can_be_confident() -> None:
    arts = [art("b", "beta", lang="sv")]
    s = make(arts, FakeKeyword([("b", 30.0, ["retur"])]), TableEmbedder(SPACE))
    out = s.suggest("query", lang="sv")
    assert out.abstained is False
    assert out.suggestions[0].score == pytest.approx(30 / (30 + Fusion().kw_saturation), abs=1e-3)


def test_reasons_name_terms_section_and_semantic_score() -> None:
    body = "## Cause\n\nbeta words\n\n## Resolution\n\nalpha words\n"
    arts = [art("a", "query", body)]
    emb = TableEmbedder({"query": [1, 0, 0]})
    s = make(arts, FakeKeyword([("a", 5.0, ["refund", "card"])]), emb)
    (sug,) = s.suggest("query", lang="en").suggestions
    assert sug.reasons["matched_terms"] == ["refund", "card"]
    assert sug.reasons["section"] in ("Cause", "Resolution")
    assert sug.reasons["semantic_score"] == pytest.approx(1.0, abs=1e-3)
    assert sug.reasons["keyword_score"] == 5.0
    assert sug.reasons["section_url"] == f"en/a/#{sug.reasons['section'].lower()}"
    assert sug.to_dict().keys() == {"id", "title", "url", "score", "reasons"}


def test_the_tickets_language_is_preferred_and_translations_collapse() -> None:
    en = art("lost", "alpha")
    nl = art("lost-nl", "alpha", lang="nl", translation_of="lost")
    sv_only = art("other-sv", "gamma", lang="sv")
    s = make([en, nl, sv_only], FakeKeyword([("lost", 9.0, ["refund"])]), TableEmbedder(SPACE))
    nl_out = s.suggest("query", lang="nl").suggestions
    assert [x.id for x in nl_out] == ["lost-nl", "other-sv"]  # one entry per translation group
    assert nl_out[0].reasons["matched_translation"] == "lost"
    assert nl_out[0].url == "nl/lost-nl/"
    en_out = s.suggest("query", lang="en").suggestions
    assert en_out[0].id == "lost" and "matched_translation" not in en_out[0].reasons
    # a language without its own version falls back to the best-matching translation
    assert s.suggest("query", lang="sv").suggestions[0].id == "lost"


def test_suggest_many_embeds_the_batch_once() -> None:
    class Counting(TableEmbedder):
        calls = 0

        def encode(self, texts: Sequence[str]) -> np.ndarray:
            type(self).calls += 1
            return super().encode(texts)

    emb = Counting(SPACE)
    s = make([art("a", "alpha")], FakeKeyword([]), emb)
    before = Counting.calls
    results = s.suggest_many(["query", "beta", "gamma"], ["en", "en", "en"], k=1)
    assert len(results) == 3 and Counting.calls == before + 1


def test_a_best_article_in_another_language_meets_the_cross_language_threshold() -> None:
    arts = [art("g", "gamma"), art("b-nl", "beta", lang="nl")]
    emb = TableEmbedder(SPACE)
    # the model is multilingual here: it reads the Dutch ticket and the English article
    emb.multilingual = True  # type: ignore[attr-defined]
    s = make(arts, FakeKeyword([]), emb, abstain_by_lang={"nl": 0.95}, abstain_cross={"nl": 0.1})
    s.model_languages = ("en", "nl")
    out = s.suggest("query", lang="nl")
    assert out.suggestions[0].id == "g"  # English, the better meaning
    assert out.abstained is False  # judged by the cross-language bar, not the Dutch one
    strict = make(arts, FakeKeyword([]), emb, abstain_cross={"nl": 0.95})
    strict.model_languages = ("en", "nl")
    assert strict.suggest("query", lang="nl").abstained is True
    # a ticket whose best article is in its own language meets its language's bar
    assert Fusion(abstain_cross={"nl": 0.1}).threshold("nl") == Fusion().threshold("nl")
    assert Fusion().threshold("nl", cross=True) < Fusion().threshold("nl")
