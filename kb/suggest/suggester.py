"""Ticket text to ranked articles with reasons: keyword and embedding scores fused, or abstain."""

from __future__ import annotations

import logging
import threading
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal, Protocol

from kb.core.lang import guess_lang

if TYPE_CHECKING:
    import numpy as np

    from kb.core.article import Article
    from kb.core.collection import KnowledgeBase
    from kb.core.settings import Settings
    from kb.suggest.chunks import ChunkIndex
    from kb.suggest.embedders import Embedder

log = logging.getLogger(__name__)
Mode = Literal["keyword", "embedding", "hybrid"]
MODES: tuple[Mode, ...] = ("keyword", "embedding", "hybrid")


# -- the keyword side ------------------------------------------------------------------------------
@dataclass(frozen=True)
class KeywordHit:
    """One keyword match: article id, raw score (BM25) and the query terms it matched."""

    id: str
    score: float
    matched_terms: tuple[str, ...] = ()


class KeywordRanker(Protocol):
    """Anything that ranks articles for a text by keywords (the Whoosh searcher, or a fake)."""

    def rank(self, text: str, *, limit: int) -> list[KeywordHit]:
        """Return up to `limit` hits, best first."""
        ...


class SearcherRanker:
    """Adapts kb.search.Searcher to KeywordRanker for one audience."""

    def __init__(self, searcher: Any, internal: bool) -> None:
        self.searcher = searcher
        self.internal = internal

    def rank(self, text: str, *, limit: int) -> list[KeywordHit]:
        """Search all languages and return the raw hits."""
        results = self.searcher.search(text, limit=limit, internal=self.internal, snippets=False)
        return [
            KeywordHit(h.id, float(h.score), tuple(h.matched_terms or ())) for h in results.hits
        ]


class LockedRanker:
    """A keyword ranker whose calls take a lock (a Whoosh searcher is not thread-safe)."""

    def __init__(self, inner: KeywordRanker, lock: threading.Lock) -> None:
        self.inner = inner
        self.lock = lock

    def rank(self, text: str, *, limit: int) -> list[KeywordHit]:
        """Rank under the lock."""
        with self.lock:
            return self.inner.rank(text, limit=limit)


# -- fusion ----------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Fusion:
    """How keyword and embedding scores are combined, and when to abstain (see docs/suggest.md)."""

    depth: int = 50  # keyword hits fetched per ticket
    # weight of the embedding side where the model knows the language (of ticket and article)
    trusted_weight: float = 0.75
    untrusted_weight: float = 0.0  # ... and where it does not (0.2 cost Recall@5 on swefaq)
    # confidence below which the suggester abstains; confidence = the fused absolute evidence
    abstain_below: float = 0.5
    kw_saturation: float = 8.0  # raw BM25 at which keyword evidence counts half
    method: str = "blend"  # "blend" (max-normalised scores) or "rrf" (weighted rank fusion)


@dataclass
class Candidate:
    """An article scored for one ticket."""

    index: int  # into Suggester.articles
    score: float = 0.0  # the ranking score of the mode
    keyword: float = 0.0  # raw keyword score (0 when not a keyword hit)
    keyword_rank: int | None = None
    semantic: float = 0.0  # best section cosine
    semantic_rank: int = 1_000_000
    chunk: int = -1
    matched_terms: tuple[str, ...] = ()
    confidence: float = 0.0


@dataclass
class Suggestion:
    """A suggested article with the reasons it was suggested."""

    id: str
    title: str
    url: str
    score: float
    reasons: dict[str, Any]

    def to_dict(self) -> dict[str, Any]:
        """The JSON shape: id, title, url, score, reasons."""
        return {
            "id": self.id,
            "title": self.title,
            "url": self.url,
            "score": self.score,
            "reasons": self.reasons,
        }


@dataclass
class Suggestions:
    """The answer for one ticket: ranked suggestions, or an abstention with the weak candidates."""

    abstained: bool
    suggestions: list[Suggestion] = field(default_factory=list)
    lang: str = ""

    def to_dict(self, ticket: str | None = None) -> dict[str, Any]:
        """The JSON Lines record of `kb suggest --tickets`."""
        out: dict[str, Any] = {} if ticket is None else {"ticket": ticket}
        out["abstained"] = self.abstained
        out["suggestions"] = [s.to_dict() for s in self.suggestions]
        return out


class Suggester:
    """Ranks a KB's articles for ticket text by keywords, by embeddings, or by both."""

    def __init__(
        self,
        articles: Sequence[Article],
        *,
        keyword: KeywordRanker | None = None,
        embedder: Embedder | None = None,
        chunks: ChunkIndex | None = None,
        model_languages: Sequence[str] = ("en",),
        languages: Sequence[str] = ("en",),
        default_lang: str = "en",
        fusion: Fusion | None = None,
    ) -> None:
        self.articles = list(articles)
        self.position = {a.id: i for i, a in enumerate(self.articles)}
        self.keyword = keyword
        self.embedder = embedder
        self.chunks = chunks
        self.model_languages = set(model_languages)
        self.languages = tuple(languages) or (default_lang,)
        self.default_lang = default_lang
        self.fusion = fusion or Fusion()
        self.groups: dict[str, dict[str, int]] = {}
        for i, a in enumerate(self.articles):
            self.groups.setdefault(a.source_id, {}).setdefault(a.lang, i)
        self._chunk_pos: Any = None
        self._kw_memo: dict[str, list[KeywordHit]] = {}
        if chunks is not None:
            import numpy as np

            order = [self.position.get(aid, -1) for aid in chunks.article_ids]
            self._chunk_pos = np.array(order, dtype=np.int64)

    # -- building ------------------------------------------------------------------------------
    @classmethod
    def from_settings(
        cls,
        settings: Settings,
        *,
        kb: KnowledgeBase | None = None,
        internal: bool = True,
        searcher: Any = None,
        lock: threading.Lock | None = None,
        embedder: Embedder | None = None,
        with_model: bool = True,
        chunks: ChunkIndex | None = None,
        namespace: str = "kb",
        fusion: Fusion | None = None,
    ) -> Suggester:
        """The one way a suggester is made: by kb suggest, kb stale, kb eval and the server.

        Loads the KB unless given one. Without a `searcher` (the server passes its own, with the
        `lock` it searches under; kb eval an in-memory one) the keyword index is brought up to
        date and opened. Every live article is embedded once, cached vectors reused, so agents
        and customers share one cache file; `chunks` made for another audience can be passed.
        `with_model=False` ranks by keywords alone.
        """
        from kb.core.collection import KnowledgeBase
        from kb.search.index import build_index
        from kb.search.searcher import open_searcher
        from kb.suggest.chunks import embed_articles
        from kb.suggest.embedders import settings_embedder

        kb = kb or KnowledgeBase.load(settings)
        if searcher is None:
            build_index(kb, settings)
            searcher = open_searcher(settings)
        keyword: KeywordRanker = SearcherRanker(searcher, internal)
        if lock is not None:
            keyword = LockedRanker(keyword, lock)
        if not with_model:
            embedder, chunks = None, None
        else:
            embedder = embedder or settings_embedder(settings)
            if chunks is None:
                live = kb.visible(internal=True)
                chunks = embed_articles(live, embedder, settings.cache_dir, namespace=namespace)
        return cls(
            kb.visible(internal=internal),
            keyword=keyword,
            embedder=embedder,
            chunks=chunks,
            model_languages=settings.model_languages,
            languages=settings.languages,
            default_lang=settings.default_lang,
            fusion=fusion,
        )

    # -- ranking -------------------------------------------------------------------------------
    def encode(self, texts: Sequence[str]) -> np.ndarray | None:
        """Embed ticket texts (None without an embedder)."""
        from kb.suggest.embedders import encode_queries

        if self.embedder is None or self.chunks is None:
            return None
        return encode_queries(self.embedder, list(texts))

    def trusted(self, article_lang: str, ticket_lang: str) -> bool:
        """True when the model knows both languages, so its similarity can be believed."""
        return article_lang in self.model_languages and ticket_lang in self.model_languages

    def rank(
        self,
        text: str,
        *,
        mode: Mode = "hybrid",
        lang: str | None = None,
        qvec: np.ndarray | None = None,
    ) -> list[Candidate]:
        """Score candidate articles for `text` and return them best first (all scored ones)."""
        lang = lang or guess_lang(text, self.languages, self.default_lang)
        cands: dict[int, Candidate] = {}
        if mode != "embedding" and self.keyword is not None:
            for r, hit in enumerate(self._keyword_hits(text)):
                i = self.position.get(hit.id)
                if i is None or i in cands:
                    continue
                cands[i] = Candidate(
                    i, keyword=hit.score, keyword_rank=r, matched_terms=hit.matched_terms
                )
        if mode != "keyword" and self.chunks is not None and self._chunk_pos is not None:
            if qvec is None:
                encoded = self.encode([text])
                qvec = None if encoded is None else encoded[0]
            if qvec is not None:
                self._add_semantic(cands, qvec)
        top_kw = max((c.keyword for c in cands.values()), default=0.0) or 1.0
        top_sem = max((c.semantic for c in cands.values()), default=0.0)
        for c in cands.values():
            c.confidence = self._confidence(c, lang)
            if mode == "keyword":  # the searcher's own order (AND matches before OR matches)
                c.score = -float(c.keyword_rank if c.keyword_rank is not None else 1e9)
            elif mode == "embedding":
                c.score = c.semantic
            else:
                c.score = self._fuse(c, lang, top_kw, top_sem)
        ranked = [c for c in cands.values() if mode != "keyword" or c.keyword_rank is not None]
        ranked.sort(key=lambda c: (-c.score, -c.semantic, c.index))
        return ranked

    def _keyword_hits(self, text: str) -> list[KeywordHit]:
        """Keyword hits, remembered for the last few texts (eval ranks each text in two modes)."""
        hits = self._kw_memo.get(text)
        if hits is None:
            assert self.keyword is not None
            hits = self.keyword.rank(text, limit=self.fusion.depth)
            if len(self._kw_memo) >= 64:
                self._kw_memo.pop(next(iter(self._kw_memo)))
            self._kw_memo[text] = hits
        return hits

    def _add_semantic(self, cands: dict[int, Candidate], qvec: np.ndarray) -> None:
        assert self.chunks is not None and self._chunk_pos is not None
        import numpy as np

        best, best_chunk = self.chunks.best_per_article(qvec)
        rank = np.empty(len(best), dtype=np.int64)
        rank[np.argsort(-best, kind="stable")] = np.arange(len(best))
        for j, i in enumerate(self._chunk_pos.tolist()):
            if i < 0:
                continue  # embedded but not visible to this audience
            c = cands.get(i)
            if c is None:
                c = cands[i] = Candidate(i)
            c.semantic = float(best[j])
            c.semantic_rank = int(rank[j])
            c.chunk = int(best_chunk[j])

    def _weight(self, c: Candidate, lang: str) -> float:
        f = self.fusion
        trusted = self.trusted(self.articles[c.index].lang, lang)
        return f.trusted_weight if trusted else f.untrusted_weight

    def _fuse(self, c: Candidate, lang: str, top_kw: float, top_sem: float) -> float:
        w = self._weight(c, lang)
        if self.fusion.method == "rrf":
            k = 60
            kw = 1 / (k + c.keyword_rank) if c.keyword_rank is not None else 0.0
            return (1 - w) * kw + w * 1 / (k + c.semantic_rank)
        kw = c.keyword / top_kw
        sem = max(c.semantic, 0.0) / top_sem if top_sem > 0 else 0.0
        return (1 - w) * kw + w * sem

    def _confidence(self, c: Candidate, lang: str) -> float:
        """Absolute evidence in [0, 1]: saturated keyword score blended with the cosine."""
        w = self._weight(c, lang)
        kw = c.keyword / (c.keyword + self.fusion.kw_saturation) if c.keyword > 0 else 0.0
        return (1 - w) * kw + w * max(c.semantic, 0.0)

    # -- suggesting ----------------------------------------------------------------------------
    def suggest(self, text: str, *, lang: str | None = None, k: int = 5) -> Suggestions:
        """Return the best `k` articles for a ticket with reasons, or abstain with weak candidates."""
        return self.suggest_many([text], [lang], k=k)[0]

    def suggest_many(
        self, texts: Sequence[str], langs: Sequence[str | None] | None = None, *, k: int = 5
    ) -> list[Suggestions]:
        """Suggest for many tickets, embedding them in one batch."""
        langs = list(langs) if langs is not None else [None] * len(texts)
        vecs = self.encode(texts) if texts else None
        out = []
        for n, text in enumerate(texts):
            lang = langs[n] or guess_lang(text, self.languages, self.default_lang)
            qvec = None if vecs is None else vecs[n]
            ranked = self.rank(text, mode="hybrid", lang=lang, qvec=qvec)
            out.append(self._present(ranked, lang, k))
        return out

    def _present(self, ranked: list[Candidate], lang: str, k: int) -> Suggestions:
        """Collapse translations (prefer the ticket's language) and attach reasons."""
        picked: list[Suggestion] = []
        seen: set[str] = set()
        for c in ranked:
            a = self.articles[c.index]
            if a.source_id in seen:
                continue
            seen.add(a.source_id)
            shown = self.articles[self.groups[a.source_id].get(lang, c.index)]
            picked.append(self._suggestion(shown, a, c))
            if len(picked) >= k:
                break
        abstained = not picked or picked[0].score < self.fusion.abstain_below
        return Suggestions(abstained=abstained, suggestions=picked, lang=lang)

    def _suggestion(self, shown: Article, matched: Article, c: Candidate) -> Suggestion:
        chunk = self.chunks.chunks[c.chunk] if self.chunks is not None and c.chunk >= 0 else None
        reasons: dict[str, Any] = {
            "matched_terms": list(c.matched_terms),
            "section": chunk.heading if chunk else "",
            "semantic_score": round(c.semantic, 3),
            "keyword_score": round(c.keyword, 3),
            "lang": shown.lang,
        }
        url = shown.url
        if chunk and chunk.anchor and shown is matched:
            reasons["section_url"] = f"{url}#{chunk.anchor}"
        if shown is not matched:
            reasons["matched_translation"] = matched.id
        return Suggestion(shown.id, shown.title, url, round(c.confidence, 3), reasons)
