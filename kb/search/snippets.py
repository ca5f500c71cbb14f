"""Snippets: the sentence of a document that holds most of the query's words, escaped, matches marked."""

from __future__ import annotations

import html
import re

from kb.search.analysis import WORD

SNIPPET_CHARS = 220
SENTENCE = re.compile(r"[^.!?\n]+[.!?]?")
Sentences = tuple[tuple[str, frozenset[str]], ...]


def snippet(text: str, marked: set[str], size: int = SNIPPET_CHARS) -> str:
    """Return the sentence of `text` with most `marked` words as escaped HTML, those in <mark>."""
    return best_snippet(sentences_of(text), marked, size)


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
