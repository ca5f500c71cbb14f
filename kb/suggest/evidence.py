"""What counts as evidence for a suggestion: fusion settings, stop words, calibrated similarity."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import lru_cache
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from pathlib import Path

    import numpy as np

    from kb.suggest.chunks import ChunkIndex

HUB_MIN_SECTIONS = 4  # fewer sections: never a roll-up page
# a page is a roll-up when its sections stray from their own mean this many times further than
# the KB's typical multi-section article's do (MiniLM, stackfaq pages rolled up by 12: 0.43-0.50
# mean cosine to their centroid, against 0.79-0.96 for the sample KB's dedicated FAQs)
HUB_SPREAD = 3.0
HUB_DISCOUNT = 0.85  # a roll-up yields to a dedicated article whose confidence is this close

# Confidence below which the suggester abstains, per ticket language. Chosen on the evaluation
# sets with their off-topic questions (evaldata/offtopic): the threshold with the best F1 of
# abstention that abstains on at most 10% of the questions whose first answer is right
# (docs/suggest.md); where two sets disagree, the lower, which loses fewer right answers.
# en: MiniLM on doc2dial and stackfaq (0.37, 0.39); sv: swefaq, nl: nlfaq, both on
# multilingual-e5 (0.31, 0.29); other languages: e5 on the English sets (0.30, 0.33).
ABSTAIN_BELOW = {"en": 0.37, "sv": 0.31, "nl": 0.29}
ABSTAIN_OTHER = 0.30
# The same where the best article is in another language than the ticket (a Dutch ticket, an
# article only in English): meaning is then the only evidence, and e5 puts a ticket further
# from an article in another language whatever it says. Chosen the same way: nl on nlfaq-en
# and nlfaq-mixed (0.23, 0.27: Dutch questions, GNOME Help's English pages), sv on gnome-sv-en
# (0.20: Swedish questions, the same pages); other languages take the lowest.
ABSTAIN_CROSS = {"nl": 0.23, "sv": 0.20}
ABSTAIN_CROSS_OTHER = 0.20


@dataclass(frozen=True)
class Fusion:
    """How keyword and embedding evidence are combined, and when to abstain (docs/suggest.md).

    confidence = (1 - w) * bm25 / (bm25 + kw_saturation) + w * similarity, where similarity is
    the best section's cosine above the mean cosine of all articles for this ticket, scaled to
    [0, 1]: a model-free calibration (e5's cosines lie between 0.75 and 0.95, MiniLM's between
    0 and 0.8). Hybrid ranks by the confidence itself, so the order and the scores agree.
    """

    depth: int = 50  # keyword hits fetched per ticket
    # weight of the embedding side where the model knows the languages of ticket and article:
    # MiniLM (English); multilingual-e5 (every language)
    trusted_weight: float = 0.5
    multilingual_weight: float = 0.6
    untrusted_weight: float = 0.0  # where it does not (0.2 cost Recall@5 on swefaq)
    # a ticket and an article in different languages share no keywords: meaning is all there is
    cross_language_weight: float = 1.0
    kw_saturation: float = 32.0  # raw BM25 at which keyword evidence counts half
    abstain_by_lang: dict[str, float] = field(default_factory=lambda: dict(ABSTAIN_BELOW))
    abstain_other: float = ABSTAIN_OTHER
    abstain_cross: dict[str, float] = field(default_factory=lambda: dict(ABSTAIN_CROSS))
    abstain_cross_other: float = ABSTAIN_CROSS_OTHER
    abstain_below: float | None = None  # one threshold for every language instead

    def threshold(self, lang: str, cross: bool = False) -> float:
        """The confidence below which tickets in `lang` get no suggestion.

        `cross`: the best article is in another language (meaning is the only evidence).
        """
        if self.abstain_below is not None:
            return self.abstain_below
        if cross:
            return self.abstain_cross.get(lang, self.abstain_cross_other)
        return self.abstain_by_lang.get(lang, self.abstain_other)


def calibrated(cosine: float, floor: float) -> float:
    """Similarity in [0, 1]: how far a cosine lies above the ticket's mean cosine."""
    if floor >= 1.0:
        return 0.0
    return max(0.0, (cosine - floor) / (1.0 - floor))


STOPWORDS_VERSION = 1


def stopwords(lang: str, cache_dir: Path | None = None) -> frozenset[str]:
    """The stop words of a language: the stopwords-iso list with Snowball's (Whoosh's copy).

    With `cache_dir` they are kept there, by the two packages' versions: importing stopwordsiso
    reads every language's list and its package metadata (about 40 ms of a cold `kb suggest`).
    """
    if cache_dir is None:
        return _stopwords(lang)
    from kb.core import cache

    path = cache.Caches(cache_dir).stopwords(lang)
    versions = ("stopwordsiso", "whoosh-reloaded")
    key = cache.digest(lang, *(cache.package_version(p) for p in versions))
    kept = cache.load(path, STOPWORDS_VERSION, key)
    if isinstance(kept, list) and all(isinstance(w, str) for w in kept):
        return frozenset(kept)
    words = _stopwords(lang)
    cache.save(path, STOPWORDS_VERSION, key, sorted(words))
    return words


@lru_cache(maxsize=64)
def _stopwords(lang: str) -> frozenset[str]:
    words: set[str] = set()
    try:
        import stopwordsiso

        if stopwordsiso.has_lang(lang):
            words |= set(stopwordsiso.stopwords(lang))
    except ImportError:  # pragma: no cover - a dependency of kb
        pass
    words |= snowball_stopwords(lang)
    return frozenset(w.lower() for w in words)


@lru_cache(maxsize=64)
def snowball_stopwords(lang: str) -> frozenset[str]:
    """Snowball's short list of function words (the one the search index leaves out)."""
    from whoosh.lang import has_stopwords, stopwords_for_language

    return frozenset(stopwords_for_language(lang)) if has_stopwords(lang) else frozenset()


class StopWords:
    """Stop words per language, less the content words of the KB's own titles.

    stopwords-iso is generous ("order", "help", "problem" are English stop words there); a word
    of four letters or more that names an article ("Track your order") is a content word of
    this KB, unless Snowball's short list has it too.
    """

    def __init__(
        self, titles: Iterable[tuple[str, str]] = (), cache_dir: Path | None = None
    ) -> None:
        from kb.search.analysis import WORD

        self.cache_dir = cache_dir  # where the lists are kept (see `stopwords`)
        self.content: dict[str, set[str]] = {}
        for lang, title in titles:
            for word in WORD.findall(title.lower()):
                if len(word) >= 4:
                    self.content.setdefault(lang, set()).add(word)
        self._memo: dict[str, frozenset[str]] = {}
        self._union: dict[frozenset[str], frozenset[str]] = {}  # by languages: once per pair

    def of(self, lang: str) -> frozenset[str]:
        """The stop words of `lang` for this KB."""
        found = self._memo.get(lang)
        if found is None:
            keep = self.content.get(lang, set()) - snowball_stopwords(lang)
            found = self._memo[lang] = stopwords(lang, self.cache_dir) - keep
        return found

    def content_terms(self, terms: Iterable[str], langs: Iterable[str]) -> tuple[str, ...]:
        """The matched words that are no stop word of any of `langs`, each once, in order."""
        key = frozenset(langs)
        stop = self._union.get(key)
        if stop is None:  # a ticket checks up to 50 hits: the union is made once per pair
            stop = self._union[key] = frozenset().union(*(self.of(lang) for lang in key))
        out: dict[str, None] = {}
        for term in terms:
            words = term.lower().split()
            if words and not all(w in stop for w in words):
                out.setdefault(term.lower(), None)
        return tuple(out)


def hub_pages(chunks: ChunkIndex) -> list[int]:
    """Articles (positions in `chunks.article_ids`) whose sections cover unrelated subjects.

    A section's distance from its article's mean vector is small for an article about one
    thing (a dedicated FAQ's questions share a subject) and large for a roll-up ("General
    FAQs"): a roll-up is an article whose mean distance is HUB_SPREAD times the median.
    """
    import numpy as np

    n = len(chunks.article_ids)
    if n == 0 or len(chunks.vectors) == 0:
        return []
    counts = np.bincount(chunks.owner, minlength=n)
    centres = owner_sums(chunks.vectors, chunks.owner, n)
    norms = np.linalg.norm(centres, axis=1)
    unit = centres / np.maximum(norms, 1e-12)[:, None]
    # rows need not have length 1 (ByLanguage leaves a model's part out of some articles)
    lengths = np.maximum(np.linalg.norm(chunks.vectors, axis=1), 1e-12)
    to_centre = np.einsum("ij,ij->i", chunks.vectors, unit[chunks.owner]) / lengths
    mean = np.bincount(chunks.owner, weights=to_centre, minlength=n) / np.maximum(counts, 1)
    many = np.flatnonzero((counts >= HUB_MIN_SECTIONS) & (norms > 0))
    spread = {int(i): 1.0 - float(mean[i]) for i in many}
    if len(spread) < 3:
        return []
    typical = _median(list(spread.values()))
    return [i for i, d in spread.items() if d > HUB_SPREAD * max(typical, 0.01)]


def owner_sums(vectors: np.ndarray, owner: np.ndarray, n: int) -> np.ndarray:
    """Each of `n` owners' sum of its rows of `vectors` (float64; zeros for an owner without)."""
    import numpy as np

    sums = np.zeros((n, vectors.shape[1]), dtype=np.float64)
    if len(owner) == 0:
        return sums
    # np.add.at(sums, owner, vectors) is ~10x slower: 50 ms of a cold kb suggest on the sample KB
    order = np.argsort(owner, kind="stable")
    owners = owner[order]
    starts = np.flatnonzero(np.r_[True, owners[1:] != owners[:-1]])
    sums[owners[starts]] = np.add.reduceat(vectors[order].astype(np.float64), starts, axis=0)
    return sums


def _median(values: list[float]) -> float:
    """The median (np.median would import numpy.ma: 30-60 ms of a cold `kb suggest`)."""
    ordered = sorted(values)
    mid = len(ordered) // 2
    return ordered[mid] if len(ordered) % 2 else (ordered[mid - 1] + ordered[mid]) / 2


def prefer_dedicated(cands: dict[int, Any], hubs: set[int]) -> None:
    """Let a dedicated article close behind a roll-up page go first (the page's score drops)."""
    best_dedicated = max((c.confidence for i, c in cands.items() if i not in hubs), default=0.0)
    for i, c in cands.items():
        if i in hubs and best_dedicated >= HUB_DISCOUNT * c.confidence:
            c.confidence *= HUB_DISCOUNT
