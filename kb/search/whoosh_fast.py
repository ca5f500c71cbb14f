"""Whoosh, faster: BM25F from cached field lengths, an array OR, and long ORs from cached postings.

Speed only: each gives the same hits and scores as Whoosh's own (tests/test_whoosh_fast.py), and
`Searcher(fast=False)` searches with Whoosh's own classes instead.
"""

from __future__ import annotations

import heapq
from typing import Any, NamedTuple, Protocol

from kb.search.query import Concept
from kb.search.synonyms import Phrase

# K1 well above the usual 1.2: with the fields weighted into one (title x3), a word's frequency
# should keep counting; measured on the evaluation sets (docs/search.md)
BM25_K1 = 5.0
BM25_B = 0.75


def plain_bm25() -> Any:
    """Whoosh's own BM25F with kb's parameters."""
    from whoosh.scoring import BM25F

    return BM25F(B=BM25_B, K1=BM25_K1)


def fast_bm25() -> Any:
    """Whoosh's BM25F, scoring from field lengths read once per segment instead of per posting."""
    from whoosh.scoring import BM25F, BM25FScorer

    class Scorer(BM25FScorer):
        def __init__(self, searcher: Any, fieldname: str, text: bytes, B: float, K1: float) -> None:
            super().__init__(searcher, fieldname, text, B, K1)
            cache = searcher.__dict__.setdefault("_kb_lengths", {})
            if fieldname not in cache:
                reader = searcher.reader()
                cache[fieldname] = [
                    reader.doc_field_length(i, fieldname, 1) for i in range(reader.doc_count_all())
                ]
            self.lengths = cache[fieldname]
            self.a = K1 * (1 - B)
            self.b = K1 * B / self.avgfl
            self.top = self.idf * (K1 + 1)

        def score(self, matcher: Any) -> float:
            tf = matcher.weight()
            return self.top * tf / (tf + self.a + self.b * self.lengths[matcher.id()])

    class Model(BM25F):
        def scorer(self, searcher: Any, fieldname: str, text: bytes, qf: int = 1) -> Any:
            if not searcher.schema[fieldname].scorable:
                return super().scorer(searcher, fieldname, text, qf)
            return Scorer(searcher, fieldname, text, self.B, self.K1)

    return Model(B=BM25_B, K1=BM25_K1)


_ARRAY_OR: Any = None


def array_or(subqueries: list[Any], auto: bool = False) -> Any:
    """An OR that adds up its parts' scores in an array sized to the index (for long queries).

    Whoosh's own (PreloadedOr) allocates and clears 2,048 slots in a Python loop for every
    matcher, however small the index: on a ticket that was half of the keyword search's time.
    Same hits, same scores. With `auto`, the array is used only where Whoosh's automatic choice
    would preload (small indexes, no need for the current match).
    """
    global _ARRAY_OR
    if _ARRAY_OR is None:
        from array import array

        from whoosh import query as Q
        from whoosh.matching import ArrayUnionMatcher, CombinationMatcher
        from whoosh.query.compound import DefaultOr

        class Union(ArrayUnionMatcher):
            def __init__(self, subs: list[Any], doccount: int, boost: float, scored: bool) -> None:
                CombinationMatcher.__init__(self, subs, boost=boost)
                self._scored = scored
                self._doccount = doccount
                self._partsize = max(1, min(2048, doccount))
                self._zeros = array("d", bytes(8 * self._partsize))
                self._a = array("d", self._zeros)
                self._docnum = self._min_id()
                self._read_part()

            def _read_part(self) -> None:
                limit = min(self._docnum + self._partsize, self._doccount)
                offset = self._docnum
                a = self._a
                a[:] = self._zeros  # in C, not slot by slot
                scored, boost = self._scored, self._boost
                for m in self._submatchers:
                    while m.is_active() and m.id() < limit:
                        if scored:
                            a[m.id() - offset] += m.score() * boost
                        else:
                            a[m.id() - offset] = 1
                        m.next()
                self._offset = offset
                self._limit = limit

        class ArrayOr(Q.Or):
            auto = False  # decide as Whoosh's AUTO_MATCHER does, with this array when it would

            def _matcher(self, subs: list[Any], searcher: Any, context: Any) -> Any:
                if self.auto:
                    needs_current = context.needs_current if context else True
                    big = searcher.doc_count_all() > 5000
                    if len(subs) < self.TOO_MANY_CLAUSES and (
                        needs_current or self.scale or len(subs) == 2 or big
                    ):
                        tree = DefaultOr(
                            subs, boost=self.boost, minmatch=self.minmatch, scale=self.scale
                        )
                        return tree.matcher(searcher, context)
                scored = context.weighting is not None if context else True
                ms = [sub.matcher(searcher, context) for sub in subs]
                return Union(ms, searcher.doc_count_all(), self.boost, scored)

        class AutoArrayOr(ArrayOr):  # a class, not a flag: Whoosh rebuilds queries by class
            auto = True

        _ARRAY_OR = (ArrayOr, AutoArrayOr)
    return _ARRAY_OR[auto](subqueries)


class Postings(Protocol):
    """What `_long_or` needs of one language's index (kb.search.part.Part)."""

    def postings(self, terms: Phrase, weight: float) -> tuple[tuple[int, float], ...]:
        """(docnum, score) of each document with all of `terms`."""
        ...


class Scored(NamedTuple):
    """A matching document and its score (what `_hit` needs of a Whoosh hit)."""

    docnum: int
    score: float


def _long_or(
    part: Postings, cs: list[Concept], limit: int, allowed: set[int] | None
) -> list[Scored]:
    """The best `limit` documents for an OR of many concepts (a ticket), from cached postings.

    The same documents, scores and order as Whoosh's search with `array_or` (tested): each
    concept's alternatives add up, then the concepts do, in the same order; ties go to the lower
    document number. Whoosh made a matcher per word and stepped through it on every search.
    """
    total: dict[int, float] = {}
    for c in cs:
        if len(c.alternatives) == 1:
            terms, weight, _ = c.alternatives[0]
            for docnum, score in part.postings(terms, weight):
                total[docnum] = total.get(docnum, 0.0) + score
            continue
        inner: dict[int, float] = {}
        for terms, weight, _ in c.alternatives:
            for docnum, score in part.postings(terms, weight):
                inner[docnum] = inner.get(docnum, 0.0) + score
        for docnum, score in inner.items():
            if score > 0:  # Whoosh's array union skips documents at zero
                total[docnum] = total.get(docnum, 0.0) + score
    found = [Scored(d, v) for d, v in total.items() if v > 0 and (allowed is None or d in allowed)]
    return heapq.nsmallest(limit, found, key=lambda h: (-h.score, h.docnum))
