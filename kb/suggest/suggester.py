"""Ticket text to ranked articles with reasons: keyword and embedding scores fused, or abstain."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any, Literal

from kb.core.lang import guess_lang
from kb.suggest.evidence import Fusion, StopWords, calibrated, hub_pages, prefer_dedicated
from kb.suggest.keywords import KeywordHit, KeywordRanker, LockedRanker, SearcherRanker
from kb.suggest.results import Candidate, Suggestion, Suggestions

__all__ = ["Fusion", "KeywordHit", "KeywordRanker", "Suggester", "Suggestion", "Suggestions"]

if TYPE_CHECKING:
    from pathlib import Path

    import numpy as np

    from kb.core.article import Article
    from kb.core.collection import KnowledgeBase
    from kb.core.settings import Settings
    from kb.suggest.chunks import ChunkIndex
    from kb.suggest.embedders import Embedder

log = logging.getLogger(__name__)
Mode = Literal["keyword", "embedding", "hybrid"]
MIN_FLOOR_ARTICLES = 5  # a language with fewer articles is measured against the mean of all
MODES: tuple[Mode, ...] = ("keyword", "embedding", "hybrid")


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
        cache_dir: Path | None = None,
    ) -> None:
        self.articles = list(articles)
        self.position = {a.id: i for i, a in enumerate(self.articles)}
        self.keyword = keyword
        self.embedder = embedder
        self.chunks = chunks
        self.model_languages = set(model_languages)
        self.stop = StopWords(((a.lang, a.title) for a in self.articles), cache_dir)
        self.languages = tuple(languages) or (default_lang,)
        self.default_lang = default_lang
        self.fusion = fusion or Fusion()
        self.groups: dict[str, dict[str, int]] = {}
        for i, a in enumerate(self.articles):
            self.groups.setdefault(a.source_id, {}).setdefault(a.lang, i)
        self._chunk_pos: Any = None
        self._lang_rows: dict[str, Any] = {}
        self.hubs: set[int] = set()  # roll-up pages: many sections on unrelated subjects
        self._kw_memo: dict[str, list[KeywordHit]] = {}
        if chunks is not None:
            import numpy as np

            order = [self.position.get(aid, -1) for aid in chunks.article_ids]
            self._chunk_pos = np.array(order, dtype=np.int64)
            by_lang: dict[str, list[int]] = {}
            for j, i in enumerate(order):
                if i >= 0:
                    by_lang.setdefault(self.articles[i].lang, []).append(j)
            self._lang_rows = {k: np.array(v, dtype=np.int64) for k, v in by_lang.items()}
            self.hubs = {order[j] for j in hub_pages(chunks) if order[j] >= 0}

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
        from kb.suggest.embedders import model_languages, settings_embedder

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
            model_languages=model_languages(settings, embedder),
            languages=settings.languages,
            default_lang=settings.default_lang,
            fusion=fusion,
            cache_dir=settings.cache_dir,
        )

    # -- ranking -------------------------------------------------------------------------------
    def encode(
        self, texts: Sequence[str], langs: Sequence[str | None] | None = None
    ) -> np.ndarray | None:
        """Embed ticket texts in their languages (guessed where not given); None without a model."""
        from kb.suggest.embedders import encode_queries

        if self.embedder is None or self.chunks is None:
            return None
        langs = list(langs) if langs is not None else [None] * len(texts)
        sure = [
            lang or guess_lang(t, self.languages, self.default_lang)
            for t, lang in zip(texts, langs, strict=True)
        ]
        return encode_queries(self.embedder, list(texts), sure)

    def trusted(self, article_lang: str, ticket_lang: str) -> bool:
        """True when the model knows both languages, so its similarity can be believed."""
        own = getattr(self.embedder, "trusts", None)
        if own is not None:
            return bool(own(article_lang, ticket_lang))
        return article_lang in self.model_languages and ticket_lang in self.model_languages

    def rank(
        self,
        text: str,
        *,
        mode: Mode = "hybrid",
        lang: str | None = None,
        qvec: np.ndarray | None = None,
        ahead: Callable[[], np.ndarray | None] | None = None,
    ) -> list[Candidate]:
        """Score candidate articles for `text` and return them best first (all scored ones).

        `qvec`: the ticket's vector; `ahead`: where to collect it once the keyword hits are in
        (kb.suggest.ahead, which embeds it meanwhile); without either it is embedded here.
        """
        lang = lang or guess_lang(text, self.languages, self.default_lang)
        cands: dict[int, Candidate] = {}
        if mode != "embedding" and self.keyword is not None:
            for r, hit in enumerate(self._keyword_hits(text)):
                i = self.position.get(hit.id)
                if i is None or i in cands:
                    continue
                langs = (lang, self.articles[i].lang)
                terms = self.stop.content_terms(hit.matched_terms, langs)
                if hit.matched_terms and not terms:
                    continue  # stop words alone make no keyword candidate, and add nothing
                cands[i] = Candidate(i, keyword=hit.score, keyword_rank=r, matched_terms=terms)
        if mode != "keyword" and self.chunks is not None and self._chunk_pos is not None:
            if qvec is None and ahead is not None:
                qvec = ahead()
                width = self.chunks.vectors.shape[1]
                qvec = qvec if qvec is not None and qvec.shape == (width,) else None
            if qvec is None:
                encoded = self.encode([text], [lang])
                qvec = None if encoded is None else encoded[0]
            if qvec is not None:
                self._add_semantic(cands, qvec)
        for c in cands.values():
            c.confidence = self._confidence(c, lang)
        if self.hubs and mode != "keyword":
            prefer_dedicated(cands, self.hubs)
        for c in cands.values():
            if mode == "keyword":  # the searcher's own order (AND matches before OR matches)
                c.score = -float(c.keyword_rank if c.keyword_rank is not None else 1e9)
            elif mode == "embedding":
                c.score = c.semantic
            else:  # the confidence itself: the order and the scores shown agree
                c.score = c.confidence
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
        floors = self._floors(best)
        rank = np.empty(len(best), dtype=np.int64)
        rank[np.argsort(-best, kind="stable")] = np.arange(len(best))
        for j, i in enumerate(self._chunk_pos.tolist()):
            if i < 0:
                continue  # embedded but not visible to this audience
            c = cands.get(i)
            if c is None:
                c = cands[i] = Candidate(i)
            c.semantic = float(best[j])
            c.similarity = calibrated(c.semantic, floors.get(self.articles[i].lang, floors[""]))
            c.semantic_rank = int(rank[j])
            c.chunk = int(best_chunk[j])

    def _floors(self, best: np.ndarray) -> dict[str, float]:
        """The ticket's mean cosine with all articles ("") and with those of each language.

        A multilingual model finds texts in the ticket's own language a little closer whatever
        they say; measured against its own language's mean, an English article that answers a
        Swedish ticket is not outranked by Swedish ones that do not.
        """
        assert self._chunk_pos is not None
        seen = self._chunk_pos >= 0
        floors = {"": float(best[seen].mean()) if seen.any() else 0.0}
        for lang, rows in self._lang_rows.items():
            if len(rows) >= MIN_FLOOR_ARTICLES:
                floors[lang] = float(best[rows].mean())
        return floors

    def _weight(self, c: Candidate, lang: str) -> float:
        f = self.fusion
        article_lang = self.articles[c.index].lang
        if not self.trusted(article_lang, lang):
            return f.untrusted_weight
        if article_lang != lang:
            return f.cross_language_weight
        if self._multilingual(lang):
            return f.multilingual_weight
        return f.trusted_weight

    def _multilingual(self, lang: str) -> bool:
        """True when tickets in `lang` are compared by a multilingual model (e5)."""
        model = self.embedder
        uses_first = getattr(model, "uses_first", None)
        if uses_first is not None:
            return not uses_first(lang)
        return bool(getattr(model, "multilingual", False))

    def _confidence(self, c: Candidate, lang: str) -> float:
        """Absolute evidence in [0, 1]: saturated keyword score blended with the similarity."""
        w = self._weight(c, lang)
        kw = c.keyword / (c.keyword + self.fusion.kw_saturation) if c.keyword > 0 else 0.0
        return (1 - w) * kw + w * c.similarity

    # -- suggesting ----------------------------------------------------------------------------
    def suggest(
        self,
        text: str,
        *,
        lang: str | None = None,
        k: int = 5,
        ahead: Callable[[], np.ndarray | None] | None = None,
    ) -> Suggestions:
        """Return the best `k` articles for a ticket with reasons, or abstain with weak candidates.

        `ahead`: gives the ticket's vector where another process embedded it (see `rank`).
        """
        if ahead is None:
            return self.suggest_many([text], [lang], k=k)[0]
        lang = lang or guess_lang(text, self.languages, self.default_lang)
        return self._present(self.rank(text, mode="hybrid", lang=lang, ahead=ahead), lang, k)

    def suggest_many(
        self, texts: Sequence[str], langs: Sequence[str | None] | None = None, *, k: int = 5
    ) -> list[Suggestions]:
        """Suggest for many tickets, embedding them in one batch."""
        given = list(langs) if langs is not None else [None] * len(texts)
        sure = [
            lang or guess_lang(t, self.languages, self.default_lang)
            for t, lang in zip(texts, given, strict=True)
        ]
        vecs = self.encode(texts, sure) if texts else None
        out = []
        for n, text in enumerate(texts):
            lang = sure[n]
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
        top = next(iter(ranked), None)
        return Suggestions(abstained=self.abstains(top, lang), suggestions=picked, lang=lang)

    def abstains(self, best: Candidate | None, lang: str) -> bool:
        """True when the best candidate is too weak to suggest for a ticket in `lang`."""
        if best is None:
            return True
        cross = self.articles[best.index].lang != lang
        return best.confidence < self.fusion.threshold(lang, cross)

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
        if c.index in self.hubs:
            reasons["hub_page"] = True  # a roll-up page: section_url points to the question
        return Suggestion(shown.id, shown.title, url, round(c.confidence, 3), reasons)
