"""Render a `kb stale` result: text for the terminal, stable JSON (docs/stale.md), HTML, Markdown."""

from __future__ import annotations

import json
import re
from collections import Counter
from typing import TYPE_CHECKING, Any

from kb.stale.actions import (
    Info,
    Part,
    article_info,
    by_owner,
    facts_of,
    owners_from,
    resolve,
    tally,
)
from kb.stale.kcs import recorded_summary
from kb.stale.report_html import render_html
from kb.stale.report_md import render_markdown

if TYPE_CHECKING:
    from kb.stale.run import Result

SCHEMA = "kb-stale/1"
# ticket text may hold terminal escapes (ESC [ ..., OSC 8 links): never print them raw
CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029]")
FORMATS = ("text", "json", "html", "markdown")
__all__ = [
    "FORMATS",
    "SCHEMA",
    "article_info",
    "render",
    "render_html",
    "render_json",
    "render_markdown",
    "render_text",
    "to_data",
]


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
            "tickets": res.tickets if res.tickets_file else None,
            "ticket_errors": res.ticket_error_count,
            **({"notes": res.notes} if res.notes else {}),  # caps reached (kb.stale.tally)
        },
        "findings": [f.to_dict() for f in res.findings],
        "gaps": [g.to_dict() for g in res.gaps],
        "kcs": res.kcs,
        "freshness": res.freshness,
        **(events if res.searches is not None else {}),
        # agents' links and flags, only when kb serve --internal recorded some
        **({"kcs_recorded": res.kcs_recorded} if res.kcs_recorded is not None else {}),
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


def _plain(text: str) -> str:
    return CONTROL.sub(" ", str(text))


def parts_text(parts: list[Part]) -> str:
    """An action for the terminal: commands and edits in backticks, control characters out."""
    return _plain("".join(f"`{w}`" if kind == "code" else w for kind, w in parts))


def _findings_text(res: Result, info: Info) -> list[str]:
    """The findings per owner: one row each, and under it what resolves it."""
    data = [f.to_dict() for f in res.findings]
    facts = facts_of({"today": res.today.isoformat(), "tickets_file": res.tickets_file}, info)
    headers = ["SEVERITY", "RULE", "ARTICLE", "MESSAGE"]
    cells = [[f["severity"], f["rule"], f["article"] or "-"] for f in data]
    widths = [max(len(_plain(c)) for c in col) for col in zip(headers, *cells, strict=False)]
    pad = " " * (sum(widths) + 2 * len(widths))

    def line(row: list[str]) -> str:
        cols = [_plain(c).ljust(w) for c, w in zip(row, widths, strict=False)]
        return "  ".join([*cols, *map(_plain, row[len(widths) :])]).rstrip()

    out = [line(headers), line(["-" * w for w in widths] + ["-------"])]
    for owner, group in by_owner(data, info):
        out += ["", f"{_plain(owner)}: {tally(group)}"]
        for f in group:
            out.append(line([f["severity"], f["rule"], f["article"] or "-", f["message"]]))
            out.append(f"{pad}-> {parts_text(resolve(f, facts))}")
    return out


def render_text(res: Result, articles: int, info: Info | None = None) -> str:
    """A terminal report: findings per owner with their fixes, gaps, KCS figures, a summary line."""
    out: list[str] = []
    if res.findings:
        info = info if info is not None else owners_from({"freshness": res.freshness})
        out += _findings_text(res, info)
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
    out += [f"Note: {n}" for n in res.notes]
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
    if res.kcs_recorded:
        out += ["", recorded_summary(res.kcs_recorded)]
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


def render(
    res: Result, articles: int, fmt: str, title: str = "Help centre", info: Info | None = None
) -> str:
    """Render in one of FORMATS; `info` (article_info) adds titles and owners to the grouping."""
    if fmt == "json":
        return render_json(res, articles)
    if fmt == "html":
        return render_html(to_data(res, articles), title, info)
    if fmt == "markdown":
        return render_markdown(to_data(res, articles), title, info)
    return render_text(res, articles, info)
