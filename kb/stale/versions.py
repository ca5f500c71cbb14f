"""Product versions in ticket text: "app 5.0" against an article's `products` versions."""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from kb.core.collection import KnowledgeBase
    from kb.core.schema import Product

VERSION = r"(?:version|versie|versionen|ver\.?|v)?\s*\(?\s*v?(\d+(?:\.\d+)+)(?![\d.]*\d)"


def version(text: str) -> tuple[int, ...]:
    """A version as a tuple of numbers: "5.0.2" -> (5, 0, 2)."""
    return tuple(int(p) for p in text.split("."))


def covered_versions(product: Product) -> tuple[int, ...]:
    """The newest version of a product an article covers."""
    return max(version(v) for v in product.versions)


def newer_than(mentioned: str, covered: tuple[int, ...]) -> bool:
    """True when a mentioned version is newer than the covered one (compared to its length)."""
    return version(mentioned)[: len(covered)] > covered


def product_words(kb: KnowledgeBase) -> dict[str, list[str]]:
    """Distinctive lower-case words of each product name (words every product shares dropped)."""
    names = {p.name for a in kb.articles for p in a.products}
    words = {n: re.findall(r"\w+", n.lower()) for n in names}
    common = set.intersection(*(set(w) for w in words.values())) if len(words) > 1 else set()
    return {n: [w for w in ws if w not in common] or ws for n, ws in words.items()}


def mentioned_versions(text: str, words: Sequence[str]) -> list[str]:
    """Versions written right after one of a product's words: "app 5.0", "app (version 5.0.2)"."""
    low = text.lower()
    found = []
    for w in words:
        pattern = rf"\b{re.escape(w)}\w*\s*(?:(?:to|on|is|op|naar|till|på)\s+)?{VERSION}"
        found += [m.group(1) for m in re.finditer(pattern, low)]
    return found
