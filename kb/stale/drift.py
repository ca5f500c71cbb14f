"""Ticket drift: tickets that match an article worse than they used to, or name newer versions."""

from __future__ import annotations

import datetime as dt
import re
import statistics
from collections import defaultdict
from collections.abc import Sequence
from typing import TYPE_CHECKING

from kb.stale.findings import Context, Finding

if TYPE_CHECKING:
    from kb.core.article import Article
    from kb.core.collection import KnowledgeBase
    from kb.stale.matching import Match


# -------------------------------------------------------------------------------
VERSION = r"(?:version|versie|versionen|ver\.?|v)?\s*\(?\s*v?(\d+(?:\.\d+)+)(?![\d.]*\d)"


def _version(text: str) -> tuple[int, ...]:
    return tuple(int(p) for p in text.split("."))


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


def ticket_drift(ctx: Context) -> list[Finding]:
    """Tickets matching an article worse than they used to, or naming a newer product version."""
    if not ctx.matches:
        return []
    lim = ctx.limits
    by_article: dict[str, list[Match]] = defaultdict(list)
    for m in ctx.matches:
        for aid, _ in m.top[:2]:
            by_article[aid].append(m)
    words = product_words(ctx.kb)
    cut = ctx.today - dt.timedelta(days=lim.drift_recent_days)
    out = []
    for aid in sorted(by_article):
        a = ctx.kb.get(aid)
        if a is None:
            continue
        ms = by_article[aid]
        top = [m for m in ms if m.best == aid and m.day is not None]
        old = [m.confidence for m in top if m.day is not None and m.day < cut]
        new = [m.confidence for m in top if m.day is not None and m.day >= cut]
        if len(old) >= lim.drift_min_tickets and len(new) >= lim.drift_min_tickets:
            before, after = statistics.fmean(old), statistics.fmean(new)
            if before - after >= lim.drift_drop:
                out.append(
                    ctx.finding(
                        a,
                        "ticket-drift",
                        "warning",
                        f"tickets match it worse than before: mean confidence {before:.2f} before "
                        f"{cut}, {after:.2f} since ({len(new)} tickets)",
                        before=round(before, 3),
                        after=round(after, 3),
                        since=cut.isoformat(),
                        tickets=[m.ticket.id for m in top if m.day and m.day >= cut][:10],
                    )
                )
        out += _newer_versions(ctx, a, ms, words)
    return out


def _newer_versions(
    ctx: Context, a: Article, ms: list[Match], words: dict[str, list[str]]
) -> list[Finding]:
    out = []
    for p in a.products:
        if not p.versions:
            continue
        covered = max(_version(v) for v in p.versions)
        newer: dict[str, list[Match]] = defaultdict(list)
        for m in ms:
            for v in mentioned_versions(m.ticket.text, words.get(p.name, [])):
                if _version(v)[: len(covered)] > covered:
                    newer[v].append(m)
                    break
        hits = sorted({m.ticket.id: m for ms_ in newer.values() for m in ms_}.values(), key=_when)
        if len(hits) >= ctx.limits.version_min_tickets:
            versions = sorted(newer, key=_version)
            out.append(
                ctx.finding(
                    a,
                    "ticket-drift",
                    "warning",
                    f"{len(hits)} tickets mention {p.name} {', '.join(versions)}; the article "
                    f"covers up to {'.'.join(map(str, covered))}",
                    product=p.name,
                    covered=list(p.versions),
                    mentioned=versions,
                    first_seen=str(hits[0].day or ""),
                    tickets=[m.ticket.id for m in hits][:10],
                    ticket_count=len(hits),
                )
            )
    return out


def _when(m: Match) -> tuple[dt.date, str]:
    return (m.day or dt.date.min, m.ticket.id)
