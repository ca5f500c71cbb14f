"""Guessing the language of a text (a ticket, a question) among the KB's languages, from stop words."""

from __future__ import annotations

import re

STOPWORDS: dict[str, frozenset[str]] = {
    "en": frozenset(
        [
            "the",
            "and",
            "is",
            "are",
            "was",
            "you",
            "your",
            "my",
            "i",
            "it",
            "to",
            "of",
            "in",
            "on",
            "for",
            "with",
            "not",
            "have",
            "has",
            "can",
            "do",
            "does",
            "this",
            "that",
            "what",
            "how",
            "why",
            "when",
            "where",
            "please",
            "help",
            "order",
            "account",
        ]
    ),
    "nl": frozenset(
        [
            "de",
            "het",
            "een",
            "en",
            "is",
            "zijn",
            "was",
            "je",
            "jij",
            "uw",
            "mijn",
            "ik",
            "niet",
            "van",
            "in",
            "op",
            "voor",
            "met",
            "heb",
            "heeft",
            "kan",
            "kun",
            "wat",
            "hoe",
            "waarom",
            "wanneer",
            "waar",
            "graag",
            "bestelling",
            "dat",
            "dit",
        ]
    ),
    "sv": frozenset(
        [
            "och",
            "att",
            "det",
            "som",
            "en",
            "ett",
            "är",
            "var",
            "du",
            "din",
            "mitt",
            "min",
            "jag",
            "inte",
            "av",
            "i",
            "på",
            "för",
            "med",
            "har",
            "kan",
            "vad",
            "hur",
            "varför",
            "när",
            "var",
            "hjälp",
            "beställning",
            "den",
            "detta",
        ]
    ),
}
LANG_CHARS = {"sv": "åäö", "nl": "ĳ"}


def guess_lang(text: str, candidates: tuple[str, ...] | list[str], default: str) -> str:
    """Guess the language of a ticket among `candidates` from stop words; `default` when unsure."""
    words = re.findall(r"[^\W\d_]+", text.lower())
    if not words:
        return default
    scores: dict[str, float] = {}
    for lang in candidates:
        stop = STOPWORDS.get(lang)
        if stop is None:
            continue
        scores[lang] = sum(w in stop for w in words) + 2 * sum(
            text.lower().count(c) for c in LANG_CHARS.get(lang, "")
        )
    if not scores:
        return default
    best = max(scores, key=lambda k: (scores[k], k == default))
    return best if scores[best] > 0 else default
