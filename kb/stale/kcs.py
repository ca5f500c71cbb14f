"""KCS figures: link rate, reuse, new versus known from tickets; links and flags agents recorded."""

from __future__ import annotations

import datetime as dt
import statistics
from collections import Counter
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from kb.core.collection import KnowledgeBase
    from kb.stale.gaps import Gap
    from kb.stale.history import GitHistory
    from kb.stale.matching import Match
    from kb.stale.tally import Tally


def kcs_figures(
    matches: Sequence[Match] | Tally, kb: KnowledgeBase, gaps: Sequence[Gap]
) -> dict[str, Any]:
    """Link rate, reuse per article and new versus known, overall and per month."""
    from kb.stale.tally import Tally

    t = matches if isinstance(matches, Tally) else Tally.of(matches, kb)
    total, linked = t.tickets, t.linked_total()
    reuse: Counter[str] = Counter()
    for aid, n in t.linked.items():  # in the order first linked, as most_common breaks ties
        reuse[t.source(aid)] += n
    in_gaps = {tid for g in gaps for tid in g.tickets}
    return {
        "tickets": total,
        "linked": linked,
        "link_rate": round(linked / total, 4) if total else None,
        "known": linked,
        "new": total - linked,
        "new_in_gaps": t.unlinked_in(in_gaps),
        "reuse": [{"article": aid, "tickets": n} for aid, n in reuse.most_common()],
        "by_month": [
            {"month": k, "tickets": v[0], "linked": v[1]} for k, v in sorted(t.months.items())
        ],
        "by_lang": [
            {"lang": k, "tickets": v[0], "linked": v[1]} for k, v in sorted(t.langs.items())
        ],
        "article_months": {
            aid: dict(sorted(c.items())) for aid, c in sorted(t.article_months.items())
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


def recorded_figures(
    events: dict[str, Any] | None,
    kb: KnowledgeBase,
    matches: Sequence[Match] | Tally | None,
    history: GitHistory | None,
) -> dict[str, Any] | None:
    """KCS figures from what agents recorded (kb serve's links and flags); None without any.

    Link rate is the share of the window's tickets (the tickets file) an agent linked an article
    to; reuse counts tickets per article; a flag is fixed when its article (any translation) was
    committed on a later day, or reviewed on or after the flag's day; time to fix is the days to
    that first commit or review.
    """
    if not events:
        return None
    links, flags = events.get("links") or [], events.get("flags") or []

    def source(aid: str) -> str:
        a = kb.get(aid)
        return a.source_id if a else aid

    linked_tickets = {row["ticket"] for row in links}
    reuse: Counter[str] = Counter()
    for row in {(row["ticket"], source(row["article"])) for row in links}:
        reuse[row[1]] += 1
    from kb.stale.tally import Tally

    if isinstance(matches, Tally):  # distinct ids, counted from their hashes
        window, in_window = matches.id_count(), matches.id_count(linked_tickets)
    else:
        ids = {m.ticket.id for m in matches} if matches is not None else set()
        window, in_window = len(ids), len(ids & linked_tickets)
    fix_days: list[int] = []
    per_article: dict[str, dict[str, Any]] = {}
    for f in flags:
        aid = source(f["article"])
        day = dt.date.fromisoformat(str(f["at"])[:10])
        fixed = _fixed_on(aid, day, kb, history)
        entry = per_article.setdefault(
            aid, {"article": aid, "flags": 0, "open": 0, "reasons": Counter(), "comments": []}
        )
        entry["flags"] += 1
        entry["reasons"][f["reason"]] += 1
        if fixed is None:
            entry["open"] += 1
            if f.get("comment") and len(entry["comments"]) < 3:
                entry["comments"].append(f["comment"][:300])
        else:
            fix_days.append((fixed - day).days)
    flagged = sorted(per_article.values(), key=lambda e: (-e["open"], -e["flags"], e["article"]))
    return {
        "links": len(links),
        "linked_tickets": len(linked_tickets),
        "tickets_in_window": window if matches is not None else None,
        "link_rate": round(in_window / window, 4) if window else None,
        "reuse": [{"article": aid, "tickets": n} for aid, n in reuse.most_common()],
        "flags": len(flags),
        "open_flags": sum(e["open"] for e in flagged),
        "fixed_flags": len(fix_days),
        "median_days_to_fix": statistics.median(fix_days) if fix_days else None,
        "flagged": [{**e, "reasons": dict(e["reasons"])} for e in flagged],
    }


def _fixed_on(
    aid: str, day: dt.date, kb: KnowledgeBase, history: GitHistory | None
) -> dt.date | None:
    """The first day after `day` an article's version was committed, or reviewed on or after it."""
    versions = [a for a in kb.articles if a.source_id == aid]
    days: list[dt.date] = []
    for a in versions:
        if a.reviewed is not None and a.reviewed >= day:
            days.append(a.reviewed)
        if history is not None:
            days += [d for d in history.change_days(a.rel_path) if d > day][:1]
    return min(days) if days else None


def recorded_summary(r: dict[str, Any]) -> str:
    """One line of the recorded figures (numbers only, safe in any report format)."""

    def n(count: int, word: str) -> str:
        return f"{count} {word}{'' if count == 1 else 's'}"

    rate = f", link rate {r['link_rate']:.0%}" if r.get("link_rate") is not None else ""
    days = r.get("median_days_to_fix")
    fix = f", median {days:g} days to fix" if days is not None else ""
    return (
        f"Recorded by agents: {n(r['links'], 'link')} on {n(r['linked_tickets'], 'ticket')}"
        f"{rate}; {n(r['flags'], 'flag')} ({r['open_flags']} open, {r['fixed_flags']} fixed{fix})"
    )
