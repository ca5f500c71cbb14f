"""The `kb stale --format html` page: one self-contained file, inline CSS and hand-drawn SVG charts."""

from __future__ import annotations

from collections.abc import Mapping
from html import escape
from typing import Any

from kb.stale.actions import (
    NO_OWNER,
    WHOLE,
    Info,
    Part,
    by_owner,
    facts_of,
    owners_from,
    resolve,
    tally,
)
from kb.stale.charts import freshness_chart, gaps_chart, tickets_multiples

__all__ = ["freshness_chart", "gaps_chart", "render_html", "tickets_multiples"]
SEV_COLOURS = {"error": "#b42318", "warning": "#8a6100", "info": "#1d4ed8"}

CSS = """
:root { font-family: system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; color: #1f2937; }
body { margin: 0; background: #f5f6f8; }
header { background: #134e4a; color: white; padding: 20px 32px; }
header h1 { margin: 0 0 4px; font-size: 22px; } header p { margin: 0; opacity: .85; }
main { max-width: 1180px; margin: 0 auto; padding: 24px 32px 48px; font-size: 14px; }
p { margin: 0 0 10px; }
section { background: white; border-radius: 10px; padding: 18px 22px; margin: 0 0 20px;
  box-shadow: 0 1px 3px rgba(0,0,0,.08); }
h2 { font-size: 17px; margin: 0 0 12px; } h3 { font-size: 15px; margin: 18px 0 8px; }
.tiles { display: grid; grid-template-columns: repeat(auto-fit, minmax(128px, 1fr)); gap: 12px; }
.tile { background: #f8fafc; border-radius: 8px; padding: 12px 14px; }
.tile b { display: block; font-size: 26px; } .tile span { color: #4b5563; font-size: 13px; }
figure { margin: 0; } figcaption { font-size: 13px; color: #374151; margin-top: 6px; }
.multiples { display: grid; grid-template-columns: repeat(auto-fill, minmax(230px, 1fr));
  gap: 14px; }
.multiple { background: #f8fafc; border-radius: 8px; padding: 10px 12px; }
.multiple figcaption { margin: 0 0 6px; } .multiple .axis { max-width: 240px; }
figure.bars { display: flex; flex-wrap: wrap; gap: 8px 28px; align-items: center; }
figure.bars svg { flex: 1 1 300px; } figure.bars figcaption { flex: 1 1 260px; max-width: 460px; }
.axis { display: flex; justify-content: space-between; font-size: 11px; color: #4b5563; }
.scroll { overflow-x: auto; }
table { border-collapse: collapse; width: 100%; font-size: 13.5px; }
table.findings { table-layout: fixed; min-width: 760px; }
.findings col.sev { width: 8%; } .findings col.rule { width: 13%; }
.findings col.art { width: 19%; } .findings col.msg { width: 28%; }
th, td { text-align: left; padding: 6px 8px; border-bottom: 1px solid #eef0f3; vertical-align: top;
  overflow-wrap: anywhere; }
th { color: #4b5563; font-weight: 600; }
td.fix { color: #134e4a; } .sev { font-weight: 600; white-space: nowrap; }
.sev::before { content: ""; display: inline-block; width: 9px; height: 9px; border-radius: 50%;
  margin-right: 5px; background: currentColor; }
.muted { color: #4b5563; }
blockquote { margin: 4px 0 8px; padding: 4px 10px; border-left: 3px solid #cbd5e1; color: #374151; }
code { background: #f1f5f9; padding: 1px 4px; border-radius: 4px; overflow-wrap: anywhere; }
@media (max-width: 640px) {
  header { padding: 16px; } main { padding: 12px 10px 32px; } section { padding: 14px 12px; }
  #findings table, #findings tbody, #findings tr, #findings td { display: block; width: auto;
    min-width: 0; }
  #findings thead { display: none; } #findings tr { border-bottom: 1px solid #e5e7eb; padding: 6px 0; }
  #findings td { border: 0; padding: 2px 4px; }
}
"""


def parts_html(parts: list[Part]) -> str:
    """An action as HTML: words escaped, commands and edits in <code>."""
    return "".join(
        f"<code>{escape(words)}</code>" if kind == "code" else escape(words)
        for kind, words in parts
    )


def _tiles(data: dict[str, Any]) -> str:
    s = data["summary"]
    k = data.get("kcs") or {}
    tiles = [
        (s["articles"], "articles"),
        (s["error"], "errors"),
        (s["warning"], "warnings"),
        (s["info"], "notes (info)"),
    ]
    if k:
        rate = f"{k['link_rate']:.0%}" if k.get("link_rate") is not None else "–"
        tiles += [
            (k["tickets"], "tickets in the window"),
            (rate, "link rate: tickets an article answered"),
            (k["new"], "tickets with no good article"),
            (len(data["gaps"]), "content gaps"),
        ]
    ss = data.get("self_service") or {}
    if ss:
        share = ss.get("self_service_rate")
        tiles += [
            (f"{share:.0%}" if share is not None else "–", "self-service rate"),
            (ss["deflections"], "answered on the contact page"),
        ]
    if (data.get("searches") or {}).get("searches"):
        tiles += [(data["searches"]["searches"], "searches")]
    return (
        '<div class="tiles">'
        + "".join(
            f'<div class="tile"><b>{escape(str(v))}</b><span>{escape(n)}</span></div>'
            for v, n in tiles
        )
        + "</div>"
    )


def _findings(data: Mapping[str, Any], info: Info) -> str:
    """The findings per owner, each with the command or edit that resolves it."""
    findings = data["findings"]
    if not findings:
        return '<p class="muted">No findings.</p>'
    facts = facts_of(data, info)
    out = []
    gaps = [f for f in findings if f["rule"] == "content-gap"]
    for owner, group in by_owner([f for f in findings if f["rule"] != "content-gap"], info):
        rows = []
        for f in group:
            colour = SEV_COLOURS.get(f["severity"], "#4b5563")
            title = (info.get(f["article"] or "") or {}).get("title")
            name = escape(str(title or f["article"] or "–"))
            where = escape(f["path"] or (f["article"] if title else "") or "")
            rows.append(
                f'<tr data-rule="{escape(f["rule"])}"><td><span class="sev" style="color:{colour}">'
                f"{escape(f['severity'])}</span></td><td>{escape(f['rule'])}</td>"
                f'<td>{name}<br><span class="muted">{where}</span></td>'
                f"<td>{escape(f['message'])}</td>"
                f'<td class="fix">{parts_html(resolve(f, facts))}</td></tr>'
            )
        who = (
            escape(owner)
            if owner in (NO_OWNER, WHOLE)
            else f'<span class="muted">Owner</span> {escape(owner)}'
        )
        out.append(
            f'<h3 data-owner="{escape(owner)}">{who} <span class="muted">· '
            f"{escape(tally(group))}</span></h3>"
            '<div class="scroll"><table class="findings"><colgroup><col class="sev"><col class="rule">'
            '<col class="art"><col class="msg"><col></colgroup>'
            "<thead><tr><th>Severity</th><th>Rule</th><th>Article</th>"
            f"<th>Finding</th><th>To resolve</th></tr></thead><tbody>{''.join(rows)}</tbody>"
            "</table></div>"
        )
    if gaps:
        n = len(gaps)
        out.append(
            f'<h3 data-owner="{escape(WHOLE)}">{escape(WHOLE)} <span class="muted">· '
            f"{n} content gap{'s' if n != 1 else ''}</span></h3><p>Each gap is listed below under "
            "Content gaps, with the command that drafts its article.</p>"
        )
    return "".join(out)


def _gap_details(gaps: list[dict[str, Any]], tickets_file: str | None) -> str:
    out = []
    for g in gaps:
        quotes = "".join(
            f"<blockquote><b>{escape(r['subject'])}</b> — {escape(r['text'])} "
            f'<span class="muted">({escape(r["id"])})</span></blockquote>'
            for r in g["representatives"]
        )
        draft = resolve({"rule": "content-gap", "evidence": {"gap": g["id"]}}, _facts(tickets_file))
        out.append(
            f'<h3>{escape(g["id"])} <span class="muted">({g["size"]} {escape(g["lang"])} tickets, '
            f"{escape(g['first_seen'])} – {escape(g['last_seen'])})</span></h3>"
            f"<p>Top terms: {escape(', '.join(g['terms']))}. To resolve, "
            f"{parts_html(draft)}</p>{quotes}"
        )
    return "".join(out)


def _facts(tickets_file: str | None) -> Any:
    return facts_of({"today": "", "tickets_file": tickets_file}, None)


def _reuse(kcs: dict[str, Any] | None, info: Info) -> str:
    if not kcs or not kcs["reuse"]:
        return ""
    rows = "".join(
        f"<tr><td>{escape(str((info.get(r['article']) or {}).get('title') or r['article']))}"
        f'<br><span class="muted">{escape(r["article"])}</span></td><td>{r["tickets"]}</td></tr>'
        for r in kcs["reuse"][:15]
    )
    return (
        "<table><thead><tr><th>Article</th><th>Tickets linked</th></tr></thead>"
        f"<tbody>{rows}</tbody></table>"
    )


def _searches(data: dict[str, Any]) -> str:
    """Top searches, searches with no result, never clicked, and the search gaps (kb serve)."""
    q = data.get("searches") or {}
    if not q.get("searches"):
        return '<p class="muted">No searches recorded (kb serve records them).</p>'
    out = [
        f"<p>{q['searches']} searches, {q['no_result_searches']} with no result, "
        f"{q['clicks']} clicks on a result.</p>"
    ]
    for key, label in (
        ("top", "Top searches"),
        ("no_results", "Searches with no result"),
        ("not_clicked", "Searches whose results were never clicked"),
    ):
        rows = "".join(
            f"<tr><td>{escape(r['query'])}</td><td>{escape(r['lang'] or '–')}</td>"
            f"<td>{r['searches']}</td><td>{r['clicks']}</td></tr>"
            for r in q.get(key, [])[:15]
        )
        if rows:
            out.append(
                f'<h3 id="searches-{key}">{label}</h3><table><thead><tr><th>Query</th>'
                f"<th>Language</th><th>Searches</th><th>Clicks</th></tr></thead><tbody>{rows}"
                "</tbody></table>"
            )
    gaps = "".join(
        f"<tr><td>{escape(g['id'])}</td><td>{escape(g['lang'] or '–')}</td>"
        f"<td>{g['searches']}</td><td>{escape(', '.join(g['queries']))}</td>"
        f"<td>{escape(g['tickets_gap'] or '')}</td></tr>"
        for g in data.get("search_gaps") or []
    )
    if gaps:
        out.append(
            '<h3 id="search-gaps">Content gaps from searches with no result</h3><table><thead>'
            "<tr><th>Gap</th><th>Language</th><th>Searches</th><th>Queries</th>"
            f"<th>Ticket gap</th></tr></thead><tbody>{gaps}</tbody></table>"
        )
    return "".join(out)


def render_html(data: dict[str, Any], title: str = "Help centre", info: Info | None = None) -> str:
    """The whole report page; `info` gives article titles and owners (kb.stale.actions)."""
    info = info if info is not None else owners_from(data)
    since = f" · tickets since {data['since']}" if data.get("since") else ""
    src = f" · tickets from {data['tickets_file']}" if data.get("tickets_file") else ""
    gaps = data["gaps"]
    kcs = data.get("kcs")
    reuse = _reuse(kcs, info) or '<p class="muted">No ticket history given.</p>'
    return f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{escape(title)} · content health {escape(data["today"])}</title>
<style>{CSS}</style></head>
<body><header><h1>{escape(title)}: content health</h1>
<p>As of {escape(data["today"])}{escape(since)}{escape(src)}</p></header>
<main>
<section id="summary"><h2>Summary</h2>{_tiles(data)}</section>
<section id="freshness"><h2>Articles by freshness</h2>{freshness_chart(data["freshness"])}</section>
<section id="tickets"><h2>Tickets per article over time</h2>{tickets_multiples(kcs, str(data["today"]), info)}</section>
<section id="findings"><h2>Findings by owner ({len(data["findings"])})</h2>{_findings(data, info)}</section>
<section id="gaps"><h2>Content gaps</h2>{gaps_chart(gaps, kcs=kcs)}{_gap_details(gaps, data.get("tickets_file"))}</section>
<section id="searches"><h2>Searches</h2>{_searches(data)}</section>
<section id="reuse"><h2>Reuse per article</h2>{reuse}</section>
</main></body></html>
"""
