"""Searching the Whoosh indexes: BM25F, AND with an OR fallback, synonyms, typos, snippets."""

from __future__ import annotations

import dataclasses
import logging
import tempfile
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from kb.core.errors import KBError, UsageError, display_path
from kb.search.analysis import Analyzer
from kb.search.index import AUDIENCES, build_index, current_generation, read_manifest
from kb.search.part import Part
from kb.search.query import (
    AND_MAX,
    MAX_CONCEPTS,
    Concept,
    _filters,
    _leaves,
    _replace_words,
    concepts,
)
from kb.search.snippets import best_snippet
from kb.search.synonyms import Synonyms, load_synonyms
from kb.search.whoosh_fast import _long_or, array_or

if TYPE_CHECKING:
    from kb.core.article import Article
    from kb.core.settings import Settings

log = logging.getLogger(__name__)


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


class Searcher:
    """Searches the live index generation; reuse one for many queries, call refresh() after builds."""

    def __init__(
        self, settings: Settings, root: Path | None = None, keep: Any = None, fast: bool = True
    ) -> None:
        self.settings = settings
        self.fast = fast  # False: Whoosh's own scoring and unions (kb.search.whoosh_fast)
        self.root = root or settings.index_dir
        self._keep = keep  # a TemporaryDirectory of an in-memory index, removed on close
        self._parts: dict[str, Part] = {}
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

    def _part(self, lang: str) -> Part | None:
        if lang not in self._parts:
            path = self.generation / lang
            if lang not in self.manifest["indexes"] or not path.is_dir():
                return None
            vocab = self.generation / "vocab" / f"{lang}.json"
            self._parts[lang] = Part(path, vocab, lang, self.synonyms().get(lang), self.fast)
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


def _either(group: list[Any], fast: bool = True) -> Any:
    """One concept: the scores of its matching alternatives add up."""
    return group[0] if len(group) == 1 else _union(group, fast)


def _union(subqueries: list[Any], fast: bool) -> Any:
    """An OR whose parts' scores add up: kb's array OR, or with `fast` False, Whoosh's own."""
    from whoosh import query as Q

    return array_or(subqueries, auto=True) if fast else Q.Or(subqueries)


def _search_part(
    part: Part,
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
    fast = part.fast
    short = len(cs) <= AND_MAX
    leaves = [_leaves(c) for c in cs] if short or not fast else []  # long ones: _long_or
    if short:
        and_query = Q.And([_either(group, fast) for group in leaves])
        for hit in part.searcher.search(and_query, limit=limit, filter=allowed):
            seen[hit.docnum] = hit
    if len(seen) < limit and len(cs) > 1:  # with one concept, OR would find the same
        found.used_fallback = short and not seen
        if not short and fast:  # tickets, questions: from cached postings
            hits: Iterable[Any] = _long_or(part, cs, limit, allowed)
        else:
            or_query = _union([_either(group, fast) for group in leaves], fast)
            hits = part.searcher.search(
                or_query, limit=limit, filter=allowed, optimize=short or fast
            )
        for hit in hits:
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


def _hit(part: Part, whoosh_hit: Any) -> Hit:
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
    part: Part,
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


# -- entry points --------------------------------------------------------------------------------
def open_searcher(settings: Settings, fast: bool = True) -> Searcher:
    """Open the live index of `settings`; KBError when there is none yet."""
    return Searcher(settings, fast=fast)


def index_in_memory(articles: Iterable[Article], settings: Settings) -> Searcher:
    """Index `articles` into a throwaway folder (never .kb/) and return a Searcher over it."""
    from kb.core.collection import KnowledgeBase

    tmp = tempfile.TemporaryDirectory(prefix="kb-index-")
    local = dataclasses.replace(settings, kb_dir=Path(tmp.name), warnings=[])
    build_index(KnowledgeBase(settings=local, articles=list(articles)), local)
    return Searcher(local, keep=tmp)
