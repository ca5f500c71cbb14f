"""Render a `kb stale` result as a text table, stable JSON (docs/stale.md) or one HTML page."""

from __future__ import annotations

import json
import re
from collections import Counter
from typing import TYPE_CHECKING, Any

from kb.stale.report_html import render_html

if TYPE_CHECKING:
    from kb.stale.run import Result

SCHEMA = "kb-stale/1"
# ticket text may hold terminal escapes (ESC [ ..., OSC 8 links): never print them raw
CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029]")
__all__ = ["SCHEMA", "render", "render_html", "render_json", "render_text", "to_data"]


def to_data(res: Result, articles: int) -> dict[str, Any]:
    """The report as plain data: the documented JSON schema."""
    by_rule = Counter(f.rule for f in res.findings)
    # kb serve's events, only when it recorded some (docs/stale.md)
    events = {"searches": res.searches, "search_gaps": res.search_gaps}
    events["self_service"] = res.self_service
    return {
        "schema": SCHEMA,
        "today": res.today.isoformat(),
        "since": res.since.isoformat() if res.since else None,
        "tickets_file": res.tickets_file,
        "summary": {
            "articles": articles,
            "findings": len(res.findings),
            **res.counts(),
            "by_rule": dict(sorted(by_rule.items())),
            "tickets": len(res.matches) if res.tickets_file else None,
            "ticket_errors": len(res.ticket_errors),
        },
        "findings": [f.to_dict() for f in res.findings],
        "gaps": [g.to_dict() for g in res.gaps],
        "kcs": res.kcs,
        "freshness": res.freshness,
        **(events if res.searches is not None else {}),
    }


def render_json(res: Result, articles: int) -> str:
    """The JSON report (stable key order, UTF-8)."""
    return json.dumps(to_data(res, articles), indent=2, ensure_ascii=False) + "\n"


def _table(rows: list[list[str]], headers: list[str]) -> list[str]:
    rows = [[CONTROL.sub(" ", str(c)) for c in row] for row in rows]
    widths = [max(len(str(c)) for c in col) for col in zip(headers, *rows, strict=False)]
    widths[-1] = 0  # the last column is not padded
    fmt = lambda cells: "  ".join(  # noqa: E731
        str(c).ljust(w) for c, w in zip(cells, widths, strict=True)
    ).rstrip()
    return [
        fmt(headers),
        fmt(["-" * max(w, len(h)) for w, h in zip(widths, headers, strict=True)]),
    ] + [fmt(r) for r in rows]


def render_text(res: Result, articles: int) -> str:
    """A terminal report: findings table, gaps, KCS figures and a summary line."""
    out: list[str] = []
    if res.findings:
        rows = [[f.severity, f.rule, f.article or "-", f.message] for f in res.findings]
        out += _table(rows, ["SEVERITY", "RULE", "ARTICLE", "MESSAGE"])
    else:
        out.append("No findings.")
    if res.gaps:
        out += ["", "Content gaps (tickets with no good article):"]
        rows = [
            [
                g.id,
                g.lang,
                str(g.size),
                ", ".join(g.terms[:5]),
                g.representatives[0]["subject"] if g.representatives else "",
            ]
            for g in res.gaps
        ]
        out += _table(rows, ["GAP", "LANG", "TICKETS", "TOP TERMS", "EXAMPLE"])
    if not res.gaps and res.kcs and res.kcs["new"]:
        out += [
            "",
            f"Content gaps: none, but {res.kcs['new']} tickets had no good article "
            "(no three of them ask the same thing).",
        ]
    if res.kcs:
        k = res.kcs
        rate = f"{k['link_rate']:.0%}" if k["link_rate"] is not None else "-"
        out += [
            "",
            f"KCS: {k['tickets']} tickets, link rate {rate} ({k['linked']} linked to an article), "
            f"known {k['known']} / new {k['new']} ({k['new_in_gaps']} of them in gaps)",
        ]
        top = ", ".join(f"{r['article']} {r['tickets']}" for r in k["reuse"][:8])
        if top:
            out.append(f"Reuse (tickets per article): {top}")
    out += _search_text(res)
    c = res.counts()
    out += [
        "",
        f"kb stale: {articles} articles, {len(res.findings)} findings "
        f"({c['error']} errors, {c['warning']} warnings, {c['info']} info) as of {res.today}",
    ]
    return "\n".join(out) + "\n"


def _search_text(res: Result) -> list[str]:
    """The search and self-service lines (kb serve's events); none when nothing was recorded."""
    out: list[str] = []
    q = res.searches
    if q and q["searches"]:
        out += [
            "",
            f"Searches: {q['searches']} ({q['no_result_searches']} with no result, "
            f"{q['clicks']} clicks on a result)",
        ]
        for key, label in (
            ("top", "Top searches"),
            ("no_results", "Searches with no result"),
            ("not_clicked", "Searches whose results were never clicked"),
        ):
            if q[key]:
                rows = [
                    [r["query"], r["lang"] or "-", str(r["searches"]), str(r["clicks"])]
                    for r in q[key][:10]
                ]
                out += ["", f"{label}:", *_table(rows, ["QUERY", "LANG", "SEARCHES", "CLICKS"])]
    if res.search_gaps:
        out += ["", "Content gaps from searches with no result:"]
        rows = [
            [
                g["id"],
                g["lang"] or "-",
                str(g["searches"]),
                ", ".join(g["terms"]),
                g["tickets_gap"] or "",
            ]
            for g in res.search_gaps
        ]
        out += _table(rows, ["GAP", "LANG", "SEARCHES", "WORDS", "TICKET GAP"])
    s = res.self_service
    if s:
        rate = f"{s['self_service_rate']:.0%}" if s["self_service_rate"] is not None else "-"
        out += [
            "",
            f"Self-service: success rate {rate} ({s['deflections']} answered by an "
            f"article, {s['submissions']} sent), suggestions shown {s['suggestions']} times "
            f"({s['articles_suggested']} articles)",
        ]
    return out


def render(res: Result, articles: int, fmt: str, title: str = "Help centre") -> str:
    """Render in one of text, json, html."""
    if fmt == "json":
        return render_json(res, articles)
    if fmt == "html":
        return render_html(to_data(res, articles), title)
    return render_text(res, articles)
