"""Ticket drift: tickets that match an article worse than they used to, or name newer versions."""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING

from kb.stale.findings import Context, Finding
from kb.stale.versions import covered_versions, mentioned_versions, product_words

if TYPE_CHECKING:
    from kb.core.article import Article
    from kb.stale.tally import Tally

__all__ = ["mentioned_versions", "product_words", "ticket_drift"]


def ticket_drift(ctx: Context) -> list[Finding]:
    """Tickets matching an article worse than they used to, or naming a newer product version."""
    t = ctx.ticket_tally()
    if t is None or not t.tickets:
        return []
    lim = ctx.limits
    cut = ctx.today - dt.timedelta(days=lim.drift_recent_days)
    out = []
    for aid in sorted(t.top2):
        a = ctx.kb.get(aid)
        if a is None:
            continue
        d = t.drift.get(aid)
        if d and d.old_n >= lim.drift_min_tickets and d.new_n >= lim.drift_min_tickets:
            # exact sums, divided once: statistics.fmean of the same confidences
            before, after = float(d.old) / d.old_n, float(d.new) / d.new_n
            if before - after >= lim.drift_drop:
                out.append(
                    ctx.finding(
                        a,
                        "ticket-drift",
                        "warning",
                        f"tickets match it worse than before: mean confidence {before:.2f} before "
                        f"{cut}, {after:.2f} since ({d.new_n} tickets)",
                        before=round(before, 3),
                        after=round(after, 3),
                        since=cut.isoformat(),
                        tickets=d.recent[:10],
                    )
                )
        out += _newer_versions(ctx, t, a)
    return out


def _newer_versions(ctx: Context, t: Tally, a: Article) -> list[Finding]:
    out = []
    for p in a.products:
        n = t.newer.get((a.id, p.name)) if p.versions else None
        if n is None or len(n.days) < ctx.limits.version_min_tickets:
            continue
        hits = sorted(n.days.items(), key=lambda kv: (kv[1] or dt.date.min, kv[0]))
        covered = covered_versions(p)
        versions = sorted(n.versions, key=lambda v: tuple(int(x) for x in v.split(".")))
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
                first_seen=str(hits[0][1] or ""),
                tickets=[tid for tid, _ in hits][:10],
                ticket_count=len(hits),
            )
        )
    return out
