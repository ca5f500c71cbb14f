"""Staleness rules: small named functions, each `(ctx) -> list[Finding]`, with `today` in the context.

Signals, not just dates: review dates and git history, translations behind their source, tickets
that drift away from an article or mention newer product versions, unused and near-duplicate
articles, content gaps and reader feedback.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from typing import Any

from kb.core.schema import OUTDATED
from kb.core.translations import changes_since, has_text_hash
from kb.stale.drift import ticket_drift
from kb.stale.duplicates import near_duplicates
from kb.stale.findings import SEVERITIES, Context, Finding, Rule
from kb.stale.unused import unused


# -- 1. review dates -------------------------------------------------------------------------------
def review_overdue(ctx: Context) -> list[Finding]:
    """Reviews past due, articles without an owner, and undated articles unchanged for too long."""
    out = []
    for a in ctx.kb.articles:
        if not a.is_live:
            continue
        interval = a.review_every or ctx.default_interval
        if a.reviewed is not None:
            due = interval.after(a.reviewed)
            if due < ctx.today:
                days = (ctx.today - due).days
                out.append(
                    ctx.finding(
                        a,
                        "review-overdue",
                        "error",
                        f"review overdue since {due} ({days} days; reviewed {a.reviewed}, "
                        f"every {interval})",
                        reviewed=a.reviewed.isoformat(),
                        review_every=str(interval),
                        due=due.isoformat(),
                        days_overdue=days,
                        owner=a.owner,
                    )
                )
        elif ctx.history is not None:
            changed, source = ctx.history.last_changed(a.rel_path)
            if changed is not None and interval.after(changed) < ctx.today:
                out.append(
                    ctx.finding(
                        a,
                        "review-overdue",
                        "warning",
                        f"no review date and unchanged since {changed} (per {source}), longer "
                        f"than the review interval of {interval}",
                        last_changed=changed.isoformat(),
                        last_changed_from=source,
                        review_every=str(interval),
                    )
                )
        if not a.owner:
            out.append(
                ctx.finding(a, "no-owner", "warning", "no owner: nobody is asked to review it")
            )
    return out


def review_batches(ctx: Context) -> list[Finding]:
    """Many reviews falling due on one day ahead: a batch to spread out before it arrives.

    A day already past is not a batch to plan: those articles are overdue, and `review-overdue`
    names each of them.
    """
    due: dict[dt.date, list[str]] = defaultdict(list)
    for a in ctx.kb.articles:
        if a.is_live and a.reviewed is not None:
            day = (a.review_every or ctx.default_interval).after(a.reviewed)
            if day >= ctx.today:
                due[day].append(a.id)
    out = []
    for day, ids in sorted(due.items()):
        if len(ids) >= ctx.limits.batch_min:
            out.append(
                Finding(
                    "review-batch",
                    "info",
                    f"{len(ids)} reviews fall due on {day}: spread them out so each gets read",
                    evidence={"due": day.isoformat(), "articles": sorted(ids)},
                )
            )
    return out


# -- 2. translations -------------------------------------------------------------------------------
def outdated_translation(ctx: Context) -> list[Finding]:
    """Translations whose source changed after the recorded `source_hash`, with what changed."""
    out = []
    for a in ctx.kb.articles:
        src = ctx.kb.get(a.translation_of) if a.translation_of else None
        if src is None or src is a:
            continue
        if not a.source_hash:
            out.append(
                ctx.finding(
                    a,
                    "translation-unverified",
                    "info",
                    f"no source_hash: cannot tell whether it matches '{src.id}'; once it does, "
                    f"run: kb translation sync {a.id}",
                    source=src.id,
                )
            )
            continue
        if a.source_hash == src.text_hash:
            continue
        evidence: dict[str, Any] = {
            "source": src.id,
            "source_hash": a.source_hash,
            "current_hash": src.text_hash,
        }
        old = None
        if ctx.history is not None and a.source_hash != OUTDATED:
            old = ctx.history.find_version(ctx.kb.path_of(src), has_text_hash(a.source_hash))
        if old is None:
            evidence["changed_sections"] = None
            detail = (
                "marked outdated (by an import; the text it was made from is unknown)"
                if a.source_hash == OUTDATED
                else "changed (old text unknown)"
            )
        else:
            changes = changes_since(old.text, src)
            evidence.update(
                changed_sections=changes,
                translated_from=old.commit[:12],
                translated_date=str(old.date),
            )
            detail = ", ".join(f"{c['change']}: {c['section']}" for c in changes) or "whitespace"
        out.append(
            ctx.finding(
                a,
                "outdated-translation",
                "error",
                f"source '{src.id}' ({src.lang}) changed since this translation: {detail}",
                **evidence,
            )
        )
    return out


# -- 4. unused (kb/stale/unused.py) and 5. near-duplicates (kb/stale/duplicates.py) ----------


# -- 6. content gaps -------------------------------------------------------------------------------
def content_gaps(ctx: Context) -> list[Finding]:
    """Clusters of tickets with no good article."""
    out = []
    for g in ctx.gaps or []:
        out.append(
            Finding(
                "content-gap",
                "info",
                f"{g.size} {g.lang} tickets with no good article about: {', '.join(g.terms[:5])} "
                f"(draft one: kb new --from-gap {g.id} --tickets FILE)",
                lang=g.lang,
                evidence={"gap": g.id, "size": g.size, "tickets": g.tickets[:10]},
            )
        )
    return out


# -- 8. feedback -----------------------------------------------------------------------------------
def feedback(ctx: Context) -> list[Finding]:
    """Articles readers vote "not helpful" often."""
    out = []
    lim = ctx.limits
    for aid, votes in sorted((ctx.feedback or {}).items()):
        a = ctx.kb.get(aid)
        no, yes = int(votes.get("not_helpful", 0)), int(votes.get("helpful", 0))
        total = no + yes
        if a is None or total < lim.feedback_min_votes or no / total < lim.feedback_not_helpful:
            continue
        out.append(
            ctx.finding(
                a,
                "not-helpful",
                "warning",
                f"{no} of {total} readers found it not helpful",
                helpful=yes,
                not_helpful=no,
                reasons=dict(votes.get("reasons", {})),
            )
        )
    return out


RULES: dict[str, Rule] = {
    "review-overdue": review_overdue,
    "review-batch": review_batches,
    "outdated-translation": outdated_translation,
    "ticket-drift": ticket_drift,
    "unused": unused,
    "near-duplicate": near_duplicates,
    "content-gap": content_gaps,
    "not-helpful": feedback,
}
ORDER = {s: i for i, s in enumerate(SEVERITIES)}


def run_rules(ctx: Context, rules: dict[str, Rule] | None = None) -> list[Finding]:
    """Run the rules and return every finding, most severe first, then by rule and article."""
    found = [f for rule in (rules or RULES).values() for f in rule(ctx)]
    found.sort(key=_order)
    return found


def _order(f: Finding) -> tuple[int, str, float, str, str]:
    """Severity, rule, then the closest near-duplicate pair first, then article and message."""
    rank = -float(f.evidence.get("cosine", 0.0)) if f.rule == "near-duplicate" else 0.0
    return (ORDER.get(f.severity, 9), f.rule, rank, f.article or "", f.message)
