"""The keyword side of the suggester: Whoosh hits (score, matched words) for a ticket's text."""

from __future__ import annotations

import threading
from dataclasses import dataclass
from typing import Any, Protocol


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
