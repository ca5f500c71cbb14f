"""Searching the Whoosh indexes: BM25F, AND with an OR fallback, synonyms, typos, snippets."""

from __future__ import annotations

import bisect
import dataclasses
import heapq
import html
import json
import logging
import re
import tempfile
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, NamedTuple, TypeVar

from kb.core.errors import KBError, UsageError, display_path
from kb.search.analysis import WORD, Analyzer, Phrase, Synonyms, load_synonyms
from kb.search.index import AUDIENCES, IndexReport, build_index, current_generation, read_manifest

if TYPE_CHECKING:
    from kb.core.article import Article
    from kb.core.settings import Settings

__all__ = [
    "Hit",
    "IndexReport",
    "SearchResults",
    "Searcher",
    "build_index",
    "index_in_memory",
    "open_searcher",
]
log = logging.getLogger(__name__)

# K1 well above the usual 1.2: with the fields weighted into one (title x3), a word's frequency
# should keep counting; measured on the evaluation sets (docs/search.md)
BM25_K1 = 5.0
BM25_B = 0.75
MAX_CONCEPTS = 64
AND_MAX = 3  # longer queries (questions, tickets) are ranked by OR: BM25 rewards each matched word
TYPO_MIN = 5
TYPO_TRIES = (
    4  # unknown words looked up per query and language  # shortest word that gets typo tolerance
)
TYPO_WEIGHT = 0.7
SPLIT_WEIGHT = 0.9
SNIPPET_CHARS = 220
DOC_TEXT_CACHE = 4096  # documents whose words and sentences are kept per open index, for snippets
SENTENCE = re.compile(r"[^.!?\n]+[.!?]?")


@dataclass
class Hit:
    """One search result."""

    id: str
    title: str
    lang: str
    url: str
    score: float
    snippet: str  # HTML: escaped text with the matched words in <mark>...</mark>
    matched_terms: list[str]
    category: str | None
    summary: str

    def to_dict(self) -> dict[str, Any]:
        """Return the hit as a JSON-ready dict."""
        return dataclasses.asdict(self)


@dataclass
class SearchResults:
    """The hits of one query, best first."""

    query: str
    hits: list[Hit] = field(default_factory=list)
    did_you_mean: str | None = None
    used_fallback: bool = False  # True when a short query's AND found nothing and OR was used

    def to_dict(self) -> dict[str, Any]:
        """Return the results as a JSON-ready dict."""
        return dataclasses.asdict(self)

    def ids(self) -> list[str]:
        """Ids of the hits, best first."""
        return [h.id for h in self.hits]


@dataclass
class Concept:
    """One meaning in a query: the words the user typed and the term phrases that express it."""

    label: str
    alternatives: list[tuple[Phrase, float, str]]  # (terms, weight, kind: word/split/synonym/typo)


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


class _Part:
    """The open index of one language with its analyzer and vocabularies."""

    def __init__(self, path: Path, vocab_file: Path, lang: str, synonyms: Synonyms | None) -> None:
        from whoosh import index

        self.lang = lang
        self.searcher = index.open_dir(path).searcher(weighting=fast_bm25())
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


class Searcher:
    """Searches the live index generation; reuse one for many queries, call refresh() after builds."""

    def __init__(self, settings: Settings, root: Path | None = None, keep: Any = None) -> None:
        self.settings = settings
        self.root = root or settings.index_dir
        self._keep = keep  # a TemporaryDirectory of an in-memory index, removed on close
        self._parts: dict[str, _Part] = {}
        self._synonyms: dict[str, Synonyms] | None = None
        self.generation = self._current()
        self.manifest = read_manifest(self.generation)

    def _current(self) -> Path:
        gen = current_generation(self.root)
        if gen is None:
            raise KBError(f"no search index in {display_path(self.root)}; run kb index")
        return gen

    def refresh(self) -> None:
        """Pick up a rebuilt index when the live generation changed."""
        gen = self._current()
        if gen != self.generation:
            self._close_parts()
            self.generation, self.manifest = gen, read_manifest(gen)

    def close(self) -> None:
        """Close the index files (and remove an in-memory index)."""
        self._close_parts()
        if self._keep is not None:
            self._keep.cleanup()
            self._keep = None

    def __enter__(self) -> Searcher:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _close_parts(self) -> None:
        for part in self._parts.values():
            part.close()
        self._parts = {}

    def languages(self) -> list[str]:
        """Languages the index knows."""
        return list(self.manifest.get("languages", []))

    def synonyms(self) -> dict[str, Synonyms]:
        """The synonyms of each language, read once from settings.synonyms_file."""
        if self._synonyms is None:
            path = self.settings.synonyms_file
            analyzers = {lang: Analyzer(lang) for lang in self.languages()}
            self._synonyms = load_synonyms(path, analyzers) if path.is_file() else {}
        return self._synonyms

    def _part(self, lang: str) -> _Part | None:
        if lang not in self._parts:
            path = self.generation / lang
            if lang not in self.manifest["indexes"] or not path.is_dir():
                return None
            vocab = self.generation / "vocab" / f"{lang}.json"
            self._parts[lang] = _Part(path, vocab, lang, self.synonyms().get(lang))
        return self._parts[lang]

    # -- querying ------------------------------------------------------------------------------
    def search(
        self,
        query: str,
        *,
        lang: str | None = None,
        limit: int = 10,
        internal: bool = False,
        category: str | None = None,
        tag: str | None = None,
        product: str | None = None,
        snippets: bool = True,
    ) -> SearchResults:
        """Search public articles (or, with internal=True, everything published) for `query`.

        With snippets=False the hits carry no snippet: cheaper for callers that only rank (the
        suggester).
        """
        audience = AUDIENCES[1] if internal else AUDIENCES[0]
        if lang is not None and lang not in self.languages():
            raise UsageError(
                f"unknown language '{lang}' (the index has: {', '.join(self.languages())})"
            )
        filters = _filters(audience, category, tag, product)
        results = SearchResults(query=query)
        hits: list[Hit] = []
        codes = [lang] if lang else self.languages()
        parts = [p for p in (self._part(c) for c in codes) if p is not None]
        # a word that one of the languages knows is no typo in the others
        known = (
            set()
            if len(parts) < 2
            else {w for p in parts for w in p.analyzer.words(query) if p.knows(w)}
        )
        fallbacks = []
        pending: dict[int, Any] = {}
        for part in parts:
            found = _search_part(part, query, limit, filters, known, audience, pending, snippets)
            hits += found.hits
            results.did_you_mean = results.did_you_mean or found.did_you_mean
            if found.hits:
                fallbacks.append(found.used_fallback)
        results.used_fallback = bool(fallbacks) and all(fallbacks)
        if not lang:
            hits.sort(key=lambda h: -h.score)  # stable: keeps AND-before-OR within a language
        results.hits = hits[:limit]
        for hit in results.hits:  # only for the hits shown, not every language's
            _finish_hit(hit, *pending[id(hit)])
        return results


def _filters(audience: str, category: str | None, tag: str | None, product: str | None) -> Any:
    """The filter of every query; for customers it always holds visibility:public."""
    from whoosh import query as Q

    terms = [Q.Term("visibility", "public")] if audience == "public" else []
    if category:
        terms.append(Q.Term("category", category))
    if tag:
        terms.append(Q.Term("tag", tag.lower()))
    if product:
        terms.append(Q.Term("product", product.lower()))
    if len(terms) == 1:
        return terms[0]
    return Q.And(terms) if terms else None


def concepts(
    part: _Part,
    query: str,
    known: set[str] | frozenset[str] = frozenset(),
    audience: str = "public",
) -> tuple[list[Concept], dict[str, str]]:
    """Analyse a query into concepts; also return {typed word: correction} for unknown words."""
    an = part.analyzer
    words = an.words(query)
    keys = [an.norm(w) for w in words]
    out: list[Concept] = []
    fixes: dict[str, str] = {}
    labels: set[str] = set()
    tries = 0
    i = 0
    while i < len(words):
        n, alts = part.synonyms.match(keys, i)
        if n:
            own = tuple(t for w in words[i : i + n] for t in an.word_terms(w)[:1])
            options = [(own, 1.0, "word")] if own else []
            options += [(a, 1.0, "synonym") for a in alts]
            out.append(Concept(" ".join(words[i : i + n]), options))
            i += n
            continue
        word, terms = words[i], an.word_terms(words[i])
        i += 1
        if not terms:
            continue
        options = [((terms[0],), 1.0, "word")]
        if len(terms) > 1:
            options.append((tuple(terms[1:]), SPLIT_WEIGHT, "split"))
        elif (
            len(word) >= TYPO_MIN
            and word not in known
            and word.isalpha()
            and not part.df(terms[0])
            and tries < TYPO_TRIES
        ):
            tries += 1
            fixed = part.corrections(word, audience)
            if fixed:
                fixes[word] = fixed[0]
                options += [((an.norm(f),), TYPO_WEIGHT, "typo") for f in fixed]
        if word in labels:
            continue  # a repeated word adds nothing
        labels.add(word)
        out.append(Concept(word, options))
    return out, fixes


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


def _leaves(c: Concept) -> list[Any]:
    """The queries of one concept's alternatives, weighted by kind (word, split, synonym, typo)."""
    return [_leaf(terms, weight) for terms, weight, _kind in c.alternatives]


def _leaf(terms: Phrase, weight: float) -> Any:
    """One alternative as a query: its term, or all of its words (compound parts, phrases)."""
    from whoosh import query as Q

    if len(terms) == 1:
        return Q.Term("content", terms[0], boost=weight)
    return Q.And([Q.Term("content", t) for t in terms], boost=weight)


class Scored(NamedTuple):
    """A matching document and its score (what `_hit` needs of a Whoosh hit)."""

    docnum: int
    score: float


def _long_or(part: _Part, cs: list[Concept], limit: int, allowed: set[int] | None) -> list[Scored]:
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


def _either(group: list[Any]) -> Any:
    """One concept: the scores of its matching alternatives add up."""

    return group[0] if len(group) == 1 else array_or(group, auto=True)


def _search_part(
    part: _Part,
    query: str,
    limit: int,
    filters: Any,
    known: set[str],
    audience: str,
    pending: dict[int, Any],
    snippets: bool = True,
) -> SearchResults:
    """Search one language; `pending` gets what finishes each hit (`_finish_hit`) if it is shown."""
    from whoosh import query as Q

    found = SearchResults(query=query)
    cs, fixes = concepts(part, query, known, audience)
    if not cs:
        return found
    if len(cs) > MAX_CONCEPTS:  # a long e-mail thread: keep its rarest, most telling words

        def rarity(c: Concept) -> tuple[bool, int]:
            n = part.df(c.alternatives[0][0][0]) if c.alternatives[0][0] else 0
            return (n == 0 and len(c.alternatives) == 1, n)  # words no article has go last

        rare = sorted(cs, key=rarity)[:MAX_CONCEPTS]
        keep = {id(c) for c in rare}
        cs = [c for c in cs if id(c) in keep]
    if fixes:
        found.did_you_mean = _replace_words(query, fixes)
    seen: dict[int, Any] = {}
    allowed = part.allowed(filters)  # Whoosh would rebuild this set on every search
    if allowed is not None and not allowed:
        return found  # Whoosh reads an empty filter set as no filter at all
    leaves = [_leaves(c) for c in cs] if len(cs) <= AND_MAX else []  # long ones: _long_or
    if len(cs) <= AND_MAX:
        and_query = Q.And([_either(group) for group in leaves])
        for hit in part.searcher.search(and_query, limit=limit, filter=allowed):
            seen[hit.docnum] = hit
    if len(seen) < limit and len(cs) > 1:  # with one concept, OR would find the same
        found.used_fallback = len(cs) <= AND_MAX and not seen
        if len(cs) > AND_MAX:  # tickets, questions
            for hit in _long_or(part, cs, limit, allowed):
                seen.setdefault(hit.docnum, hit)
        else:
            or_query = array_or([_either(group) for group in leaves], auto=True)
            for hit in part.searcher.search(or_query, limit=limit, filter=allowed):
                seen.setdefault(hit.docnum, hit)
    wanted = {t for c in cs for terms, _, _ in c.alternatives for t in terms}
    labels = [(c.label, [frozenset(terms) for terms, _, _ in c.alternatives]) for c in cs]
    found.hits = [_hit(part, h) for h in seen.values()]  # AND hits, then OR hits
    # matched words (and snippets) later, only for the hits that are shown
    pending.update(
        (id(hit), (part, h, labels, wanted, snippets))
        for hit, h in zip(found.hits, seen.values(), strict=True)
    )
    return found


def _hit(part: _Part, whoosh_hit: Any) -> Hit:
    """A hit without matched words or snippet: `_finish_hit` adds those to the hits shown."""
    stored = part.stored(whoosh_hit.docnum)
    data = stored["display"]
    return Hit(
        id=stored["id"],
        title=data["title"],
        lang=part.lang,
        url=data["url"],
        score=round(float(whoosh_hit.score), 4),
        snippet="",
        matched_terms=[],
        category=data.get("category"),
        summary=data["summary"],
    )


def _finish_hit(
    hit: Hit,
    part: _Part,
    whoosh_hit: Any,
    labels: list[tuple[str, list[frozenset[str]]]],
    wanted: set[str],
    snippets: bool,
) -> None:
    """Set a shown hit's matched words and, with `snippets`, its best sentence, matches marked.

    `labels`: each concept's label with the terms of each of its alternatives.
    """
    data = part.stored(whoosh_hit.docnum)["display"]
    doc_terms = wanted.intersection(part.doc_terms(whoosh_hit.docnum, data))
    hit.matched_terms = [label for label, alts in labels if any(a <= doc_terms for a in alts)]
    if snippets:
        words, sentences = part.doc_text(whoosh_hit.docnum, data)
        marked = {w for w, terms in words if not wanted.isdisjoint(terms)}
        hit.snippet = best_snippet(sentences, marked)


def _replace_words(query: str, fixes: dict[str, str]) -> str:
    def sub(m: re.Match[str]) -> str:
        return fixes.get(m.group(0).lower(), m.group(0))

    return WORD.sub(sub, query)


def snippet(text: str, marked: set[str], size: int = SNIPPET_CHARS) -> str:
    """Return the sentence of `text` with most `marked` words as escaped HTML, those in <mark>."""
    return best_snippet(sentences_of(text), marked, size)


Sentences = tuple[tuple[str, frozenset[str]], ...]


def sentences_of(text: str) -> Sentences:
    """The sentences of `text`, each with its distinct lowercase words."""
    out = []
    for m in SENTENCE.finditer(text):
        sentence = m.group(0).strip()
        if sentence:
            out.append((sentence, frozenset(WORD.findall(sentence.lower()))))
    return tuple(out)


def best_snippet(sentences: Sentences, marked: set[str], size: int = SNIPPET_CHARS) -> str:
    """The first sentence with most `marked` words, as escaped HTML with those in <mark>."""
    best, best_score = "", -1
    for sentence, words in sentences:
        score = len(marked.intersection(words))
        if score > best_score:
            best, best_score = sentence, score
        if best_score >= len(marked):
            break
    return mark(best[: size * 2], marked, size)


def mark(sentence: str, marked: set[str], size: int = SNIPPET_CHARS) -> str:
    """Escape `sentence` and wrap its `marked` words (lowercase) in <mark>."""
    spans = [(m.start(), m.end()) for m in WORD.finditer(sentence) if m.group(0).lower() in marked]
    start = max(0, spans[0][0] - size // 3) if spans and spans[0][0] > size // 2 else 0
    end = min(len(sentence), start + size)
    if start:
        start = sentence.find(" ", start) + 1 or start
    out, pos = [], start
    for s, e in spans:
        if s < start or e > end:
            continue
        out += [html.escape(sentence[pos:s]), "<mark>", html.escape(sentence[s:e]), "</mark>"]
        pos = e
    out.append(html.escape(sentence[pos:end]))
    text = "".join(out)
    return ("…" if start else "") + text + ("…" if end < len(sentence) else "")


# -- entry points --------------------------------------------------------------------------------
def open_searcher(settings: Settings) -> Searcher:
    """Open the live index of `settings`; KBError when there is none yet."""
    return Searcher(settings)


def index_in_memory(articles: Iterable[Article], settings: Settings) -> Searcher:
    """Index `articles` into a throwaway folder (never .kb/) and return a Searcher over it."""
    from kb.core.collection import KnowledgeBase

    tmp = tempfile.TemporaryDirectory(prefix="kb-index-")
    local = dataclasses.replace(settings, kb_dir=Path(tmp.name), warnings=[])
    build_index(KnowledgeBase(settings=local, articles=list(articles)), local)
    return Searcher(local, keep=tmp)
