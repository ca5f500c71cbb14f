"""Query building: a query becomes concepts (words, compound parts, synonyms, typo fixes) and Whoosh queries."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any, Protocol

from kb.search.analysis import WORD, Analyzer
from kb.search.synonyms import Phrase, Synonyms

MAX_CONCEPTS = 64
AND_MAX = 3  # longer queries (questions, tickets) are ranked by OR: BM25 rewards each matched word
TYPO_MIN = 5  # shortest word that gets typo tolerance
TYPO_TRIES = 4  # unknown words looked up per query and language
TYPO_WEIGHT = 0.7
SPLIT_WEIGHT = 0.9


class Vocabulary(Protocol):
    """What building a query needs of one language's index (kb.search.part.Part)."""

    analyzer: Analyzer
    synonyms: Synonyms

    def df(self, term: str) -> int:
        """Number of documents with `term`."""
        ...

    def corrections(self, word: str, audience: str) -> list[str]:
        """Known words close to `word`, most likely first."""
        ...


@dataclass
class Concept:
    """One meaning in a query: the words the user typed and the term phrases that express it."""

    label: str
    alternatives: list[tuple[Phrase, float, str]]  # (terms, weight, kind: word/split/synonym/typo)


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
    part: Vocabulary,
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


def _leaves(c: Concept) -> list[Any]:
    """The queries of one concept's alternatives, weighted by kind (word, split, synonym, typo)."""
    return [_leaf(terms, weight) for terms, weight, _kind in c.alternatives]


def _leaf(terms: Phrase, weight: float) -> Any:
    """One alternative as a query: its term, or all of its words (compound parts, phrases)."""
    from whoosh import query as Q

    if len(terms) == 1:
        return Q.Term("content", terms[0], boost=weight)
    return Q.And([Q.Term("content", t) for t in terms], boost=weight)


def _replace_words(query: str, fixes: dict[str, str]) -> str:
    def sub(m: re.Match[str]) -> str:
        return fixes.get(m.group(0).lower(), m.group(0))

    return WORD.sub(sub, query)
