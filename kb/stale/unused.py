"""The `unused` rule: translation groups no ticket was linked to, judged only when the window can tell.

Zero tickets means "unused" only when a used article would almost surely have had one. A window
of T linked tickets over N articles (translation groups, SOPs left out) gives the average
article T/N. Usage is skewed: under Zipf's law (the share of the article of rank r is
1/(r·H_N), H_N the N-th harmonic number) the median article gets 2/H_N of the average
(0.74 at 8 articles, 0.35 at 180, 0.27 at 1,000). The rule fires only when an article used as
often as that median one would get no ticket with a chance of at most `unused_miss_chance`
(5%): exp(-T/N · 2/H_N) ≤ 0.05, so T/N ≥ ln(20) · H_N / 2. On the sample KB's year of tickets
the median group got 0.75 of the average, against Zipf's 0.48 for its 35 groups: Zipf is the
cautious side. Below that the rule stays silent and says so once, with the window it needs.
"""

from __future__ import annotations

import math
from collections import Counter, defaultdict

from kb.core.article import Article
from kb.stale.findings import Context, Finding


def median_share(groups: int) -> float:
    """Tickets of the median article relative to the average one, under Zipf's law (at most 1)."""
    harmonic = sum(1.0 / r for r in range(1, groups + 1))
    return min(1.0, 2.0 / harmonic) if groups else 1.0


def needed_per_article(groups: int, miss_chance: float) -> float:
    """Linked tickets per article before no ticket at all says an article is unused."""
    return math.log(1.0 / miss_chance) / median_share(groups)


def translation_groups(ctx: Context) -> dict[str, list[Article]]:
    """Live articles by translation group (the source's id), SOPs left out (they are exempt)."""
    groups: dict[str, list[Article]] = defaultdict(list)
    for a in ctx.kb.articles:
        if a.is_live:
            groups[a.source_id].append(a)
    out = {}
    for key, members in groups.items():
        head = _head(ctx, key, members)
        if head.type != "sop":
            out[key] = members
    return out


def _head(ctx: Context, key: str, members: list[Article]) -> Article:
    source = ctx.kb.get(key)
    if source is not None and source.is_live:
        return source
    return min(members, key=lambda a: a.id)


def unused(ctx: Context) -> list[Finding]:
    """Translation groups no ticket was linked to, when the window is big enough to tell."""
    t = ctx.ticket_tally()
    if t is None:
        return []
    groups = translation_groups(ctx)
    if not groups:
        return []
    used: Counter[str] = Counter()
    for aid, count in t.linked.items():
        linked = ctx.kb.get(aid)
        if linked is not None and linked.source_id in groups:
            used[linked.source_id] += count
    tickets, linked_total, n = t.tickets, sum(used.values()), len(groups)
    per_article = linked_total / n
    need = needed_per_article(n, ctx.limits.unused_miss_chance)
    numbers = {
        "tickets_in_window": tickets,
        "linked_tickets": linked_total,
        "articles": n,
        "per_article": round(per_article, 2),
        "needed_per_article": round(need, 2),
    }
    if per_article < need:
        want = math.ceil(need * n)
        rate = linked_total / tickets if tickets else 0.0
        more = (
            f" (about {math.ceil(want / rate):,} tickets at this window's link rate)"
            if rate
            else ""
        )
        return [
            Finding(
                "unused",
                "info",
                f"{tickets:,} tickets in the window ({linked_total:,} linked to an article) for "
                f"{n:,} articles are too few to tell which articles are unused: need about "
                f"{want:,} linked tickets, {need:.1f} per article{more}; no article was flagged",
                evidence={**numbers, "undecided": True, "needed_linked_tickets": want},
            )
        ]
    chance = math.exp(-per_article * median_share(n))
    out = []
    for key, members in sorted(groups.items()):
        if used[key]:
            continue
        head = _head(ctx, key, members)
        others = sorted((a for a in members if a is not head), key=lambda a: (a.lang, a.id))
        also = f" or its translations ({', '.join(a.lang for a in others)})" if others else ""
        out.append(
            ctx.finding(
                head,
                "unused",
                "info",
                f"none of the {linked_total:,} tickets linked in the window went to it{also}: "
                f"at {per_article:.1f} per article, one used as often as the median article "
                f"gets none with a chance of {_percent(chance)}; archive it or merge it into "
                "another",
                **numbers,
                chance_if_used=round(chance, 4),
                translations=[a.id for a in others],
            )
        )
    return out


def _percent(p: float) -> str:
    return "under 1%" if p < 0.01 else f"{p:.0%}"
