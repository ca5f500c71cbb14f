"""The `near-duplicate` rule: live articles so alike that one should go, stubs and variants left out.

An article whose body has fewer than `duplicate_min_words` words is a stub: its vector says more
about the site's boilerplate than its topic, so it is not compared. Two articles made different
on purpose (other `products`, another `audience`, another platform named in the title or tags)
are variants, not duplicates. A pair is a near-duplicate when its cosine is at least
`duplicate_cosine` and also as far from the language's unrelated pairs (the lower quartile of
all its pairs' cosines) towards 1 as 0.92 is from MiniLM's on the sample KB's English articles
(0.61): multilingual-e5 puts every Dutch or Swedish article near every other (lower quartile
0.80 on the sample KB), where 0.92 is no closer than two neighbouring topics. The lower quartile,
not the median, so a small KB full of variants of one procedure does not raise its own bar. Pairs
are ranked closest first, at most `duplicate_max_pairs` listed, and one line counts the rest.
"""

from __future__ import annotations

import logging
import re
from collections import defaultdict
from typing import TYPE_CHECKING

from kb.core.article import Article
from kb.core.text import plain_text
from kb.stale.findings import Context, Finding

if TYPE_CHECKING:
    import numpy as np

log = logging.getLogger(__name__)
WORD = re.compile(r"[^\W\d_]+(?:['’-][^\W\d_]+)*|\d+")
# the lower quartile of MiniLM's cosines between the sample KB's English articles (39: 0.61);
# 0.92 is 79% of the way from there to 1, and a pair must get as far in any language and model
REFERENCE_FLOOR = 0.61
MIN_FOR_FLOOR = 6  # articles of a language needed before its pairs say what "unrelated" is
PLATFORMS = {  # a word in the title or tags -> the platform it names (en, nl, sv)
    **dict.fromkeys(("desktop", "computer", "pc", "dator", "datorn", "bureaublad"), "desktop"),
    **dict.fromkeys(("mobile", "mobiel", "mobil", "mobilen", "phone", "smartphone"), "mobile"),
    **dict.fromkeys(("telefoon", "telefon", "tablet", "surfplatta"), "mobile"),
    **dict.fromkeys(("ios", "iphone", "ipad", "ipados"), "ios"),
    "android": "android",
    "windows": "windows",
    **dict.fromkeys(("mac", "macos", "osx", "macbook"), "mac"),
    "linux": "linux",
    **dict.fromkeys(("web", "browser", "website", "webbrowser", "webbläsare"), "web"),
    **dict.fromkeys(("app", "apps", "appen"), "app"),
}


def body_words(a: Article) -> int:
    """Words of body text (headings included, markup and front matter not)."""
    return len(WORD.findall(plain_text(a.body)))


def platforms(a: Article) -> frozenset[str]:
    """The platforms an article's title and tags name (desktop, mobile, ios, android, ...)."""
    words = re.findall(r"\w+", " ".join((a.title, *a.tags)).lower())
    return frozenset(PLATFORMS[w] for w in words if w in PLATFORMS)


def _products(a: Article) -> frozenset[tuple[str, tuple[str, ...]]]:
    return frozenset((p.name.lower(), tuple(sorted(p.versions))) for p in a.products)


def variant_reason(a: Article, b: Article) -> str | None:
    """Why two alike articles are deliberate variants, or None when nothing sets them apart."""
    if a.audience != b.audience:
        return f"audiences differ ({a.audience} and {b.audience})"
    if _products(a) != _products(b):
        return "products differ"
    pa, pb = platforms(a), platforms(b)
    if pa != pb:
        return f"platforms differ ({', '.join(sorted(pa)) or 'none'} and {', '.join(sorted(pb)) or 'none'})"
    return None


def threshold(cosines: np.ndarray, raw: float, articles: int) -> float:
    """The cosine a pair needs in one language: `raw`, or more where typical pairs sit higher."""
    import numpy as np

    if articles < MIN_FOR_FLOOR or len(cosines) == 0:
        return raw
    floor = float(np.quantile(cosines, 0.25))
    if floor <= REFERENCE_FLOOR:
        return raw
    share = (raw - REFERENCE_FLOOR) / (1.0 - REFERENCE_FLOOR)  # 0.79 for 0.92
    return floor + share * (1.0 - floor)


def near_duplicates(ctx: Context) -> list[Finding]:
    """Pairs of live articles in one language so alike that one should go, closest first, capped."""
    if not ctx.vectors:
        return []
    import numpy as np

    lim = ctx.limits
    by_lang: dict[str, list[Article]] = defaultdict(list)
    words: dict[str, int] = {}
    for a in ctx.kb.articles:
        if a.is_live and a.id in ctx.vectors:
            words[a.id] = body_words(a)
            by_lang[a.lang].append(a)
    pairs: list[tuple[float, Article, Article, float]] = []
    stubs = variants = 0
    for arts in by_lang.values():
        if len(arts) < 2:
            continue
        mat = np.stack([ctx.vectors[a.id] for a in arts])
        sims = mat @ mat.T
        upper = np.triu_indices(len(arts), 1)
        need = threshold(sims[upper], lim.duplicate_cosine, len(arts))
        rows, cols = np.nonzero(np.triu(sims, 1) >= need)
        for i, j in zip(rows.tolist(), cols.tolist(), strict=True):
            first, second = sorted((arts[i], arts[j]), key=lambda a: a.id)
            if min(words[first.id], words[second.id]) < lim.duplicate_min_words:
                stubs += 1
                continue
            reason = variant_reason(first, second)
            if reason is not None:
                log.debug("%s and %s are variants: %s", first.id, second.id, reason)
                variants += 1
                continue
            pairs.append((float(sims[i, j]), first, second, need))
    pairs.sort(key=lambda p: (-p[0], p[2].id, p[1].id))
    out = [_finding(ctx, cos, first, second, need, words) for cos, first, second, need in pairs]
    listed = out[: lim.duplicate_max_pairs]
    if len(out) > len(listed):
        lowest = pairs[len(listed) - 1][0] if listed else 1.0
        listed.append(
            Finding(
                "near-duplicate",
                "info",
                f"{len(out) - len(listed)} more near-duplicate pairs left out: the "
                f"{len(listed)} closest are listed (cosine {lowest:.2f} and up); merge those, "
                "then run kb stale again",
                evidence={
                    "pairs": len(out),
                    "listed": len(listed),
                    "left_out": len(out) - len(listed),
                    "lowest_listed_cosine": round(lowest, 3),
                    "stubs_skipped": stubs,
                    "variants_skipped": variants,
                },
            )
        )
    return listed


def _finding(
    ctx: Context, cos: float, first: Article, second: Article, need: float, words: dict[str, int]
) -> Finding:
    return ctx.finding(
        second,
        "near-duplicate",
        "warning",
        f"almost the same as '{first.id}' (cosine {cos:.2f}, {need:.2f} or more counts in "
        f"{second.lang}; {words[second.id]} and {words[first.id]} words, same products, "
        "audience and platforms): merge them",
        other=first.id,
        other_path=ctx.kb.display(first),
        cosine=round(cos, 3),
        threshold=round(need, 3),
        words=[words[second.id], words[first.id]],
    )
