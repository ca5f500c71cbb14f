"""The `kb stale --format html` page: one self-contained file, inline CSS and hand-drawn SVG charts."""

from __future__ import annotations

from collections import Counter
from html import escape
from typing import Any

STATES = [
    ("fresh", "Fresh", "#2e9d6b"),
    ("due-soon", "Due within 30 days", "#e0a100"),
    ("overdue", "Review overdue", "#d1453b"),
    ("undated", "No review date", "#8a94a6"),
]
PALETTE = ["#2563eb", "#d1453b", "#2e9d6b", "#e0a100", "#7c3aed", "#0891b2", "#db2777", "#65a30d"]
SEV_COLOURS = {"error": "#d1453b", "warning": "#e0a100", "info": "#2563eb"}

CSS = """
:root { font-family: system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; color: #1f2937; }
body { margin: 0; background: #f5f6f8; }
header { background: #134e4a; color: white; padding: 20px 32px; }
header h1 { margin: 0 0 4px; font-size: 22px; } header p { margin: 0; opacity: .85; }
main { max-width: 1180px; margin: 0 auto; padding: 24px 32px 48px; }
section { background: white; border-radius: 10px; padding: 18px 22px; margin: 0 0 20px;
  box-shadow: 0 1px 3px rgba(0,0,0,.08); }
h2 { font-size: 17px; margin: 0 0 12px; }
.tiles { display: grid; grid-template-columns: repeat(auto-fit, minmax(150px, 1fr)); gap: 12px; }
.tile { background: #f8fafc; border-radius: 8px; padding: 12px 14px; }
.tile b { display: block; font-size: 26px; } .tile span { color: #6b7280; font-size: 13px; }
.charts { display: grid; grid-template-columns: repeat(auto-fit, minmax(340px, 1fr)); gap: 20px; }
table { border-collapse: collapse; width: 100%; font-size: 13.5px; }
th, td { text-align: left; padding: 6px 8px; border-bottom: 1px solid #eef0f3; vertical-align: top; }
th { color: #6b7280; font-weight: 600; }
.sev { display: inline-block; border-radius: 10px; padding: 1px 8px; color: white; font-size: 12px; }
.legend { font-size: 12px; color: #374151; } .muted { color: #6b7280; }
blockquote { margin: 4px 0 8px; padding: 4px 10px; border-left: 3px solid #cbd5e1; color: #374151; }
code { background: #f1f5f9; padding: 1px 4px; border-radius: 4px; }
"""


def _svg(width: int, height: int, body: str, label: str) -> str:
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" width="100%" '
        f'role="img" aria-label="{escape(label)}" style="max-width:{width}px">{body}</svg>'
    )


def freshness_chart(freshness: list[dict[str, Any]]) -> str:
    """Bar chart: live articles per freshness state."""
    counts = Counter(f["state"] for f in freshness)
    top = max(counts.values(), default=1)
    bar_w, gap, h = 70, 26, 200
    parts = []
    for i, (key, name, colour) in enumerate(STATES):
        n = counts.get(key, 0)
        x = 40 + i * (bar_w + gap)
        bh = int((h - 60) * n / top) if top else 0
        y = h - 40 - bh
        parts.append(
            f'<rect x="{x}" y="{y}" width="{bar_w}" height="{bh}" fill="{colour}" rx="3">'
            f"<title>{escape(name)}: {n}</title></rect>"
            f'<text x="{x + bar_w / 2}" y="{y - 6}" text-anchor="middle" font-size="13" '
            f'font-weight="600">{n}</text>'
            f'<text x="{x + bar_w / 2}" y="{h - 22}" text-anchor="middle" font-size="11">'
            f"{escape(name.split(' ')[0])}</text>"
        )
    parts.append(
        f'<line x1="30" y1="{h - 40}" x2="{40 + 4 * (bar_w + gap)}" y2="{h - 40}" stroke="#9ca3af"/>'
    )
    legend = " · ".join(escape(n) for _, n, _ in STATES)
    return _svg(440, h, "".join(parts), "Articles by freshness") + f'<p class="legend">{legend}</p>'


def tickets_chart(kcs: dict[str, Any] | None, series: int = 6) -> str:
    """Line chart: tickets per month for the most reused articles, and tickets with no article."""
    if not kcs or not kcs.get("by_month"):
        return '<p class="muted">No ticket history given (use --tickets FILE).</p>'
    months = [m["month"] for m in kcs["by_month"] if m["month"] != "unknown"]
    if not months:
        return '<p class="muted">The tickets have no dates.</p>'
    lines: list[tuple[str, list[int]]] = []
    for r in kcs["reuse"][:series]:
        per = kcs["article_months"].get(r["article"], {})
        lines.append((r["article"], [per.get(m, 0) for m in months]))
    unlinked = {m["month"]: m["tickets"] - m["linked"] for m in kcs["by_month"]}
    lines.append(("(no good article)", [unlinked.get(m, 0) for m in months]))
    top = max((max(v) for _, v in lines if v), default=1) or 1
    w, h, left, bottom = 560, 240, 36, 34
    step = (w - left - 16) / max(len(months) - 1, 1)
    parts = []
    for k in range(0, 5):
        y = 12 + (h - bottom - 12) * k / 4
        value = round(top * (4 - k) / 4)
        parts.append(
            f'<line x1="{left}" y1="{y:.1f}" x2="{w - 10}" y2="{y:.1f}" stroke="#eef0f3"/>'
            f'<text x="{left - 6}" y="{y + 4:.1f}" text-anchor="end" font-size="10">{value}</text>'
        )
    for i, m in enumerate(months):
        if len(months) <= 12 or i % 2 == 0:
            x = left + i * step
            parts.append(
                f'<text x="{x:.1f}" y="{h - 14}" text-anchor="middle" font-size="10">{escape(m[2:])}</text>'
            )
    legend = []
    for n, (name, values) in enumerate(lines):
        colour = "#9ca3af" if name.startswith("(") else PALETTE[n % len(PALETTE)]
        pts = " ".join(
            f"{left + i * step:.1f},{12 + (h - bottom - 12) * (1 - v / top):.1f}"
            for i, v in enumerate(values)
        )
        dash = ' stroke-dasharray="5 4"' if name.startswith("(") else ""
        parts.append(
            f'<polyline points="{pts}" fill="none" stroke="{colour}" stroke-width="2"{dash}>'
            f"<title>{escape(name)}</title></polyline>"
        )
        legend.append(f'<span style="color:{colour}">■</span> {escape(name)}')
    return _svg(w, h, "".join(parts), "Tickets per article over time") + (
        f'<p class="legend">{" &nbsp; ".join(legend)}</p>'
    )


def gaps_chart(
    gaps: list[dict[str, Any]], limit: int = 10, kcs: dict[str, Any] | None = None
) -> str:
    """Horizontal bars: the biggest content gaps by ticket count."""
    if not gaps:
        alone = (kcs or {}).get("new") or 0
        if alone:
            return (
                f'<p class="muted">{alone} ticket{"s" if alone != 1 else ""} had no good '
                "article, but no three of them ask the same thing: no content gap to write.</p>"
            )
        return '<p class="muted">No content gaps: every ticket found a good article.</p>'
    shown = gaps[:limit]
    top = max(g["size"] for g in shown) or 1
    row, w, left = 26, 560, 230
    parts = []
    for i, g in enumerate(shown):
        y = 8 + i * row
        bw = int((w - left - 50) * g["size"] / top)
        label = f"{g['lang']} · {', '.join(g['terms'][:3])}"
        parts.append(
            f'<text x="{left - 8}" y="{y + 14}" text-anchor="end" font-size="12">{escape(label[:34])}</text>'
            f'<rect x="{left}" y="{y}" width="{bw}" height="{row - 8}" fill="#7c3aed" rx="3">'
            f"<title>{escape(g['id'])}: {g['size']} tickets</title></rect>"
            f'<text x="{left + bw + 6}" y="{y + 14}" font-size="12" font-weight="600">{g["size"]}</text>'
        )
    return _svg(w, 16 + len(shown) * row, "".join(parts), "Content gap clusters")


def _tiles(data: dict[str, Any]) -> str:
    s = data["summary"]
    k = data.get("kcs") or {}
    tiles = [
        (s["articles"], "articles"),
        (s["error"], "errors"),
        (s["warning"], "warnings"),
        (s["info"], "notes"),
    ]
    if k:
        rate = f"{k['link_rate']:.0%}" if k.get("link_rate") is not None else "–"
        tiles += [
            (k["tickets"], "tickets"),
            (rate, "link rate"),
            (f"{k['known']} / {k['new']}", "known / new"),
            (len(data["gaps"]), "content gaps"),
        ]
    ss = data.get("self_service") or {}
    if ss:
        share = ss.get("self_service_rate")
        tiles += [
            (f"{share:.0%}" if share is not None else "–", "self-service rate"),
            (ss["deflections"], "deflections"),
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


def _findings(findings: list[dict[str, Any]]) -> str:
    if not findings:
        return '<p class="muted">No findings.</p>'
    rows = []
    for f in findings:
        colour = SEV_COLOURS.get(f["severity"], "#6b7280")
        rows.append(
            f'<tr data-rule="{escape(f["rule"])}"><td><span class="sev" style="background:{colour}">'
            f"{escape(f['severity'])}</span></td><td>{escape(f['rule'])}</td>"
            f'<td>{escape(f["article"] or "–")}<br><span class="muted">{escape(f["path"] or "")}'
            f"</span></td><td>{escape(f['message'])}</td></tr>"
        )
    return (
        "<table><thead><tr><th>Severity</th><th>Rule</th><th>Article</th><th>Finding</th></tr>"
        f"</thead><tbody>{''.join(rows)}</tbody></table>"
    )


def _gap_details(gaps: list[dict[str, Any]]) -> str:
    out = []
    for g in gaps:
        quotes = "".join(
            f"<blockquote><b>{escape(r['subject'])}</b> — {escape(r['text'])} "
            f'<span class="muted">({escape(r["id"])})</span></blockquote>'
            for r in g["representatives"]
        )
        out.append(
            f'<h3>{escape(g["id"])} <span class="muted">({g["size"]} {escape(g["lang"])} tickets, '
            f"{escape(g['first_seen'])} – {escape(g['last_seen'])})</span></h3>"
            f"<p>Top terms: {escape(', '.join(g['terms']))}. Draft an article: "
            f"<code>kb new --from-gap {escape(g['id'])} --tickets FILE</code></p>{quotes}"
        )
    return "".join(out)


def _reuse(kcs: dict[str, Any] | None) -> str:
    if not kcs or not kcs["reuse"]:
        return ""
    rows = "".join(
        f"<tr><td>{escape(r['article'])}</td><td>{r['tickets']}</td></tr>"
        for r in kcs["reuse"][:15]
    )
    return f"<table><thead><tr><th>Article</th><th>Tickets linked</th></tr></thead><tbody>{rows}</tbody></table>"


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


def render_html(data: dict[str, Any], title: str = "Help centre") -> str:
    """The whole report page."""
    since = f" · tickets since {data['since']}" if data.get("since") else ""
    src = f" · tickets from {data['tickets_file']}" if data.get("tickets_file") else ""
    gaps = data["gaps"]
    return f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{escape(title)} · content health {escape(data["today"])}</title>
<style>{CSS}</style></head>
<body><header><h1>{escape(title)}: content health</h1>
<p>As of {escape(data["today"])}{escape(since)}{escape(src)}</p></header>
<main>
<section id="summary">{_tiles(data)}</section>
<section class="charts">
<div id="freshness"><h2>Articles by freshness</h2>{freshness_chart(data["freshness"])}</div>
<div id="tickets"><h2>Tickets per article over time</h2>{tickets_chart(data.get("kcs"))}</div>
</section>
<section id="gaps"><h2>Content gaps</h2>{gaps_chart(gaps, kcs=data.get("kcs"))}{_gap_details(gaps)}</section>
<section id="findings"><h2>Findings ({len(data["findings"])})</h2>{_findings(data["findings"])}</section>
<section id="searches"><h2>Searches</h2>{_searches(data)}</section>
<section id="reuse"><h2>Reuse per article</h2>{_reuse(data.get("kcs")) or '<p class="muted">No ticket history given.</p>'}</section>
</main></body></html>
"""
