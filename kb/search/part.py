"""One language's open index: its Whoosh searcher, analyzer, vocabularies and per-index caches."""

from __future__ import annotations

import bisect
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

from kb.search.analysis import WORD, Analyzer
from kb.search.index import AUDIENCES
from kb.search.query import _leaf
from kb.search.snippets import Sentences, sentences_of
from kb.search.synonyms import Phrase, Synonyms
from kb.search.whoosh_fast import fast_bm25, plain_bm25

DOC_TEXT_CACHE = 4096  # documents whose words and sentences are kept per open index, for snippets
DocWords = tuple[tuple[str, tuple[str, ...]], ...]  # each distinct word with its terms
K = TypeVar("K")
V = TypeVar("V")


def _memo(cache: dict[K, V], key: K, limit: int, make: Callable[[], V]) -> V:
    """`cache[key]`, made by `make` when missing; the cache is emptied when it reaches `limit`."""
    found = cache.get(key)
    if found is None:
        if len(cache) >= limit:
            cache.clear()
        found = cache[key] = make()
    return found


class Part:
    """The open index of one language with its analyzer and vocabularies."""

    def __init__(
        self,
        path: Path,
        vocab_file: Path,
        lang: str,
        synonyms: Synonyms | None,
        fast: bool = True,
    ) -> None:
        from whoosh import index

        self.lang = lang
        self.fast = fast
        weighting = fast_bm25() if fast else plain_bm25()
        self.searcher = index.open_dir(path).searcher(weighting=weighting)
        saved = json.loads(vocab_file.read_text(encoding="utf-8")) if vocab_file.is_file() else {}
        self.analyzer = Analyzer(lang, set(saved.get("stems", ())))
        words = saved.get("words", {})
        # customers only get suggestions from public articles: internal words never leak
        self.vocab = {aud: sorted(words.get(aud, [])) for aud in AUDIENCES}
        self._by_initial: dict[str, dict[str, tuple[list[str], list[str]]]] = {}
        self.synonyms = synonyms or Synonyms()
        self._df: dict[str, int] = {}
        self._doc_terms: dict[int, frozenset[str]] = {}
        self._doc_text: dict[int, tuple[DocWords, Sentences]] = {}
        self._stored: dict[int, dict[str, Any]] = {}
        self._corrections: dict[tuple[str, str], tuple[str, ...]] = {}
        self._allowed: dict[Any, set[int]] = {}
        self._postings: dict[tuple[Phrase, float], tuple[tuple[int, float], ...]] = {}

    def allowed(self, filters: Any) -> set[int] | None:
        """The document numbers a filter query lets through, computed once per open index."""
        if filters is None:
            return None
        # bounded: category/tag/product combinations
        return _memo(
            self._allowed, filters, 256, lambda: set(self.searcher.docs_for_query(filters))
        )

    def postings(self, terms: Phrase, weight: float) -> tuple[tuple[int, float], ...]:
        """(docnum, score) of each document with all of `terms`, scored as Whoosh scores them."""

        def make() -> tuple[tuple[int, float], ...]:
            leaf, context, out = _leaf(terms, weight), self.searcher.context(), []
            for sub, offset in self.searcher.leaf_searchers():  # as Whoosh's collector does
                m = leaf.matcher(sub, context)
                while m.is_active():
                    out.append((offset + m.id(), m.score()))
                    m.next()
            return tuple(out)

        # bounded: the words of a flood of odd tickets
        return _memo(self._postings, (terms, weight), 50_000, make)

    def doc_terms(self, docnum: int, data: dict[str, Any]) -> frozenset[str]:
        """Every analysed term of a document's displayed text, computed once per open index."""

        def make() -> frozenset[str]:
            words, _ = self.doc_text(docnum, data)
            return frozenset(t for _, terms in words for t in terms)

        return _memo(self._doc_terms, docnum, DOC_TEXT_CACHE, make)

    def stored(self, docnum: int) -> dict[str, Any]:
        """A document's stored fields, read (decompressed, unpickled) once per open index."""
        return _memo(
            self._stored, docnum, DOC_TEXT_CACHE, lambda: self.searcher.stored_fields(docnum)
        )

    def doc_text(self, docnum: int, data: dict[str, Any]) -> tuple[DocWords, Sentences]:
        """A document's distinct words with their terms, and its snippet sentences (cached)."""

        def make() -> tuple[DocWords, Sentences]:
            text = data["text"] or data["summary"]
            full = f"{data['title']}\n{data['summary']}\n{text}"
            cache, an = self.analyzer.term_cache, self.analyzer
            words = []
            for w in set(WORD.findall(full.lower())):
                terms = cache.get(w)
                words.append((w, tuple(terms if terms is not None else an.word_terms(w))))
            return tuple(words), sentences_of(text)

        return _memo(self._doc_text, docnum, DOC_TEXT_CACHE, make)  # bounded: pages people find

    def df(self, term: str) -> int:
        """Number of documents with `term` in any text field."""
        n = self._df.get(term)
        if n is None:
            n = self.searcher.doc_frequency("content", term)
            self._df[term] = n
        return n

    def knows(self, word: str) -> bool:
        """True when the index holds the term of `word`."""
        terms = self.analyzer.word_terms(word)
        return bool(terms) and self.df(terms[0]) > 0

    def corrections(self, word: str, audience: str) -> list[str]:
        """Known words close to `word`, most likely first (edit distance 1, or 2 for long words)."""
        # bounded: a flood of odd words cannot grow it
        found = _memo(
            self._corrections,
            (word, audience),
            20_000,
            lambda: self._find_corrections(word, audience),
        )
        return list(found)

    def _find_corrections(self, word: str, audience: str) -> tuple[str, ...]:
        from rapidfuzz import process
        from rapidfuzz.distance import Levenshtein

        maxdist = 1 if len(word) < 8 else 2
        # the first letter must be right (as Whoosh's spelling correctors are used); rapidfuzz
        # compares the rest with every word of that letter in C, 100x faster than Whoosh's
        # Levenshtein automaton built in Python for each word
        words, rests = self._initials(audience).get(word[:1], ([], []))
        found_rests = process.extract(
            word[1:], rests, scorer=Levenshtein.distance, score_cutoff=maxdist, limit=None
        )
        candidates = {words[i]: max(1, int(dist)) for _, dist, i in found_rests}
        vocab = self.vocab[audience]
        for i in range(len(word) - 1):  # a swapped pair of letters counts as one typo
            swapped = word[:i] + word[i + 1] + word[i] + word[i + 2 :]
            j = bisect.bisect_left(vocab, swapped)
            if j < len(vocab) and vocab[j] == swapped:
                candidates.setdefault(swapped, 1)
        found = []
        for sug, dist in candidates.items():
            term = self.analyzer.norm(sug)
            if self.df(term):
                found.append((dist, -self.df(term), sug))
        return tuple(s for _, _, s in sorted(found)[:3])

    def _initials(self, audience: str) -> dict[str, tuple[list[str], list[str]]]:
        """The audience's words by first letter: (words, the words without it), made once."""
        found = self._by_initial.get(audience)
        if found is None:
            found = self._by_initial[audience] = {}
            for w in self.vocab[audience]:
                words, rests = found.setdefault(w[:1], ([], []))
                words.append(w)
                rests.append(w[1:])
        return found

    def close(self) -> None:
        """Release the index files."""
        self.searcher.close()
