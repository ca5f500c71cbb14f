"""KCS figures of a ticket history: link rate, reuse per article, new versus known, per month and language."""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from kb.core.collection import KnowledgeBase
    from kb.stale.gaps import Gap
    from kb.stale.matching import Match


def kcs_figures(matches: Sequence[Match], kb: KnowledgeBase, gaps: Sequence[Gap]) -> dict[str, Any]:
    """Link rate, reuse per article and new versus known, overall and per month."""
    total = len(matches)
    linked = [m for m in matches if m.linked]
    reuse: Counter[str] = Counter()
    for m in linked:
        a = kb.get(m.linked or "")
        reuse[a.source_id if a else (m.linked or "")] += 1
    in_gaps = {t for g in gaps for t in g.tickets}
    months: dict[str, dict[str, int]] = defaultdict(lambda: {"tickets": 0, "linked": 0})
    per_article_month: dict[str, Counter[str]] = defaultdict(Counter)
    for m in matches:
        month = str(m.day)[:7] if m.day else "unknown"
        months[month]["tickets"] += 1
        if m.linked:
            months[month]["linked"] += 1
            a = kb.get(m.linked)
            per_article_month[a.source_id if a else m.linked][month] += 1
    by_lang: dict[str, dict[str, int]] = defaultdict(lambda: {"tickets": 0, "linked": 0})
    for m in matches:
        by_lang[m.lang]["tickets"] += 1
        by_lang[m.lang]["linked"] += int(bool(m.linked))
    return {
        "tickets": total,
        "linked": len(linked),
        "link_rate": round(len(linked) / total, 4) if total else None,
        "known": len(linked),
        "new": total - len(linked),
        "new_in_gaps": sum(1 for m in matches if not m.linked and m.ticket.id in in_gaps),
        "reuse": [{"article": aid, "tickets": n} for aid, n in reuse.most_common()],
        "by_month": [{"month": k, **v} for k, v in sorted(months.items())],
        "by_lang": [{"lang": k, **v} for k, v in sorted(by_lang.items())],
        "article_months": {
            aid: dict(sorted(c.items())) for aid, c in sorted(per_article_month.items())
        },
    }


def self_service_figures(counts: dict[str, Any] | None) -> dict[str, Any] | None:
    """The contact page's self-service success rate: deflections / (deflections + submissions).

    `counts` are kb.server.events' self-service counts; None when nothing was recorded.
    """
    if not counts:
        return None
    deflections, submissions = int(counts["deflections"]), int(counts["submissions"])
    asked = deflections + submissions
    return {
        **counts,
        "self_service_rate": round(deflections / asked, 4) if asked else None,
    }
