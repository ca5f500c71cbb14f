"""Text analysis for search: per-language tokens, stop words, stems, accent folding, compounds."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

# words, with inner hyphens/apostrophes kept so "e-mail" can also be indexed as "email"
WORD = re.compile(r"\w+(?:[-'’]\w+)*")
SNOWBALL_NAMES = {
    "da": "danish",
    "de": "german",
    "en": "english",
    "es": "spanish",
    "fi": "finnish",
    "fr": "french",
    "it": "italian",
    "nl": "dutch",
    "no": "norwegian",
    "nb": "norwegian",
    "pt": "portuguese",
    "sv": "swedish",
}
# languages that glue nouns together, and the linking letters between the parts
COMPOUND_LINKS = {
    "nl": ("s", "e", "en"),
    "sv": ("s", "a", "e", "o", "u"),
    "de": ("s", "es", "n", "en", "e"),
    "da": ("s", "e"),
    "no": ("s", "e"),
    "nb": ("s", "e"),
}
MIN_COMPOUND = 7  # shortest word that is tried as a compound
MIN_PART = 3  # shortest part of a compound
# English question words that the Snowball list keeps but carry no meaning in a help query
EXTRA_STOPWORDS = {
    "en": {"can", "could", "would", "get", "got", "also", "may", "might", "will", "shall", "i'm"},
    "nl": {"kan", "kun", "kunt", "hoe", "wat", "waarom", "mijn"},
    "sv": {"kan", "hur", "vad", "varför", "min", "mitt", "mina"},
}


def fold(text: str) -> str:
    """Remove accents: "återställa" becomes "aterstalla"; ß and ø become ss and o."""
    text = text.replace("ß", "ss").replace("ø", "o").replace("æ", "ae")
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(c for c in decomposed if not unicodedata.combining(c))


@lru_cache(maxsize=32)
def _stopwords(lang: str) -> frozenset[str]:
    from whoosh.lang import has_stopwords, stopwords_for_language

    words = set(stopwords_for_language(lang)) if has_stopwords(lang) else set()
    words |= EXTRA_STOPWORDS.get(lang, set())
    return frozenset(words | {fold(w) for w in words})


@lru_cache(maxsize=32)
def _stemmer(lang: str) -> Any:
    import snowballstemmer

    name = SNOWBALL_NAMES.get(lang)
    return snowballstemmer.stemmer(name) if name else None


_NORM_CACHE: dict[str, dict[str, str]] = {}


@dataclass
class Analyzer:
    """Turns text of one language into index terms: lowercase, stop words out, stemmed, folded.

    `vocabulary` holds the folded stems of words seen on their own in the knowledge base; a long
    word whose parts are both in it (with a linking letter allowed) also yields the parts, so
    "wachtwoordherstel" matches "wachtwoord herstellen".
    """

    lang: str
    vocabulary: set[str] = field(default_factory=set)

    def __post_init__(self) -> None:
        self.stopwords = _stopwords(self.lang)
        self._stemmer = _stemmer(self.lang)
        self.links = COMPOUND_LINKS.get(self.lang, ())
        self.term_cache: dict[str, tuple[str, ...]] = {}  # word -> its terms
        self._norm = _NORM_CACHE.setdefault(self.lang, {})  # shared: stemming is the slow part

    # -- single words --------------------------------------------------------------------------
    def words(self, text: str) -> list[str]:
        """Return the lowercased words of `text` (stop words included)."""
        return WORD.findall(text.lower())

    def is_stopword(self, word: str) -> bool:
        """True for a word that carries no meaning in a query."""
        return word in self.stopwords

    def norm(self, word: str) -> str:
        """Return the index term of one lowercased word: its stem, accents folded."""
        term = self._norm.get(word)
        if term is None:
            stem = self._stemmer.stemWord(word) if self._stemmer else word
            term = fold(stem)
            if len(self._norm) < 500_000:
                self._norm[word] = term
        return term

    def split(self, word: str) -> list[str]:
        """Return the parts of a compound word ([] when it is not one the vocabulary explains)."""
        if not self.links or len(word) < MIN_COMPOUND or not self.vocabulary or not word.isalpha():
            return []
        best: list[str] = []
        best_score = 0
        for i in range(MIN_PART, len(word) - MIN_PART + 1):
            head, tail = word[:i], word[i:]
            if self.norm(tail) not in self.vocabulary:
                continue
            for h in (*(head[: -len(k)] for k in self.links if head.endswith(k)), head):
                if len(h) >= MIN_PART and self.norm(h) in self.vocabulary:
                    score = min(len(h), len(tail))
                    if score > best_score:
                        best, best_score = [h, tail], score
                    break
        return best

    def word_terms(self, word: str) -> tuple[str, ...]:
        """Return the index terms of one word: its own term, then those of its parts."""
        cached = self.term_cache.get(word)
        if cached is not None:
            return cached
        if word in self.stopwords:
            out: tuple[str, ...] = ()
        elif "-" in word or "'" in word or "’" in word:
            parts = [p for p in re.split(r"[-'’]", word) if p and p not in self.stopwords]
            joined = re.sub(r"[-'’]", "", word)
            out = tuple(dict.fromkeys([self.norm(joined), *(self.norm(p) for p in parts)]))
        else:
            term = self.norm(word)
            parts = self.split(word)
            out = (term, *(self.norm(p) for p in parts if p not in self.stopwords))
        if len(self.term_cache) < 200_000:
            self.term_cache[word] = out
        return out

    # -- whole texts ---------------------------------------------------------------------------
    def terms(self, text: str) -> list[str]:
        """Return the index terms of a text in order (compound parts follow their word)."""
        out: list[str] = []
        for word in self.words(text):
            out.extend(self.word_terms(word))
        return out

    def learn(self, texts: Iterable[str]) -> None:
        """Add the stems of the words of `texts` to the compound vocabulary."""
        seen: set[str] = set()
        for text in texts:
            seen.update(self.words(text))
        self.learn_words(seen)

    def learn_words(self, words: Iterable[str]) -> None:
        """Add the stems of these words to the compound vocabulary."""
        before = len(self.vocabulary)
        for w in words:
            if len(w) >= MIN_PART and w.isalpha() and w not in self.stopwords:
                self.vocabulary.add(self.norm(w))
        if len(self.vocabulary) != before:
            self.term_cache.clear()
