"""The HTML report's charts: hand-drawn SVG, each in a <figure> whose caption says it in words."""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping
from html import escape
from typing import Any

from kb.stale.trends import NO_ARTICLE, Series, months_of, partial_month, top_series

STATES = [  # freshness state, its label in words, its colour (decoration: every bar is labelled)
    ("fresh", "Fresh: reviewed within its interval", "#2e9d6b"),
    ("due-soon", "Review due within 30 days", "#b98500"),
    ("overdue", "Review overdue", "#d1453b"),
    ("undated", "No review date", "#6b7280"),
]


def _svg(width: int, height: int, body: str, label: str) -> str:
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" width="100%" '
        f'role="img" aria-label="{escape(label)}" style="max-width:{width}px">{body}</svg>'
    )


def figure(svg: str, caption: str, cls: str = "", caption_first: bool = False) -> str:
    """A chart and its caption (already HTML) in one <figure>."""
    klass = f' class="{cls}"' if cls else ""
    cap = f"<figcaption>{caption}</figcaption>"
    return f"<figure{klass}>{cap + svg if caption_first else svg + cap}</figure>"


def hbars(
    rows: list[tuple[str, int, str, str]], label: str, width: int = 360, shares: bool = True
) -> str:
    """Horizontal bars, each with its label in words above it and its count after it.

    rows: (label, value, colour, tooltip); the label and tooltip are plain text (escaped here).
    """
    top = max((v for _, v, _, _ in rows), default=0) or 1
    total = sum(v for _, v, _, _ in rows)
    row, room = 46, width - 78
    parts = []
    for i, (name, value, colour, tip) in enumerate(rows):
        y = i * row
        bw = round(room * value / top)
        share = f" ({value / total:.0%})" if total and shares else ""
        parts.append(
            f'<text x="0" y="{y + 15}" font-size="14">{escape(name)}</text>'
            f'<path d="M0 {y + 29}h{room}" stroke="#eef0f3" stroke-width="16"/>'
            f'<rect x="0" y="{y + 21}" width="{bw}" height="16" fill="{colour}" rx="2">'
            f"<title>{escape(tip)}</title></rect>"
            f'<text x="{bw + 6}" y="{y + 34}" font-size="13" font-weight="600">'
            f"{value}{share}</text>"
        )
    return _svg(width, len(rows) * row, "".join(parts), label)


def freshness_chart(freshness: list[dict[str, Any]]) -> str:
    """Bars: live articles per freshness state, each labelled in words, with a caption."""
    counts = Counter(f["state"] for f in freshness)
    rows = [
        (name, counts.get(key, 0), colour, f"{name}: {counts.get(key, 0)}")
        for key, name, colour in STATES
    ]
    said = "; ".join(f"{name.split(':')[0].lower()} {n}" for name, n, _, _ in rows)
    label = f"Live articles by freshness: {said}"
    total = len(freshness)
    caption = (
        f"{total} live article{'s' if total != 1 else ''}: {escape(said)}. An article is due when "
        "its <code>reviewed:</code> date plus its <code>review_every:</code> interval has passed."
    )
    return figure(hbars(rows, label), caption, "bars")


def _spark(s: Series, top: int, partial: bool, w: int = 240, h: int = 56) -> str:
    """One sparkline on the shared scale `top`; the month still running is drawn dashed."""
    n = len(s.values)
    step = w / max(n - 1, 1)
    pts = [(i * step, h - 4 - (h - 10) * v / top) for i, v in enumerate(s.values)]
    solid = pts[:-1] if partial and n > 1 else pts
    line = " ".join(f"{x:.1f},{y:.1f}" for x, y in solid)
    colour = "#6b7280" if s.article == NO_ARTICLE else "#2563eb"
    area = f"0,{h - 4} {line} {solid[-1][0]:.1f},{h - 4}"
    body = (
        f'<path d="M0 {h - 3.5}H{w}" stroke="#cbd5e1"/>'
        f'<polygon points="{area}" fill="{colour}" fill-opacity=".12"/>'
        f'<polyline points="{line}" fill="none" stroke="{colour}" stroke-width="2"/>'
    )
    if partial and n > 1:
        (x0, y0), (x1, y1) = pts[-2], pts[-1]
        body += (
            f'<path d="M{x0:.1f} {y0:.1f}L{x1:.1f} {y1:.1f}" stroke="{colour}" '
            'stroke-width="2" stroke-dasharray="3 3"/>'
        )
    x, y = pts[-1]
    body += f'<circle cx="{x:.1f}" cy="{y:.1f}" r="3" fill="{colour}"/>'
    return body


def tickets_multiples(kcs: Mapping[str, Any] | None, today: str, info: Mapping[str, Any]) -> str:
    """Small multiples: tickets per month of the most reused articles, and of no good article."""
    if not kcs or not kcs.get("by_month"):
        return '<p class="muted">No ticket history given (use --tickets FILE).</p>'
    months = months_of(kcs)
    if not months:
        return '<p class="muted">The tickets have no dates.</p>'
    series = top_series(kcs, today)
    if not series:
        return '<p class="muted">No ticket was linked to an article.</p>'
    partial = partial_month(months, today)
    shared = [s for s in series if s.article != NO_ARTICLE]
    top = max((max(s.values) for s in shared), default=0) or 1
    own = next((s for s in series if s.article == NO_ARTICLE), None)
    span = f"{months[0]} to {months[-1]}" if len(months) > 1 else months[0]
    out = []
    for s in series:
        title = (
            "Tickets with no good article"
            if s.article == NO_ARTICLE
            else str((info.get(s.article) or {}).get("title") or s.article)
        )
        per = ", ".join(f"{m}: {v}" for m, v in zip(months, s.values, strict=True))
        label = f"{title}: {s.total} tickets, {s.trend}. Per month: {per}"
        ident = (
            "" if s.article == NO_ARTICLE else f' <span class="muted">{escape(s.article)}</span>'
        )
        peak = max(s.values)
        when = f" · peak {peak} in {escape(months[s.values.index(peak)])}" if peak else ""
        caption = (
            f"<b>{escape(title)}</b>{ident}<br>{s.total} ticket{'s' if s.total != 1 else ''} · "
            f"{escape(s.trend)}{when}"
        )
        scale = (max(s.values) or 1) if s is own else top
        svg = _svg(240, 60, _spark(s, scale, partial is not None, h=60), label)
        axis = (
            f'<div class="axis"><span>{escape(months[0])}</span>'
            f"<span>{escape(months[-1])}</span></div>"
        )
        out.append(figure(svg + axis, caption, "multiple", caption_first=True))
    note = (
        f" The last month, {escape(partial)}, runs only to {escape(today)}: it is drawn dashed "
        "and counts pro rata in the trends (not at all before the middle of the month)."
        if partial
        else ""
    )
    n = len(shared)
    which = f"the {n} most used article{'s' if n != 1 else ''}" + (
        " and the tickets with no good article" if own else ""
    )
    scales = f"The article charts share one scale: their top is {top} tickets a month" + (
        f"; the chart of tickets with no good article has its own, topped at {max(own.values)}."
        if own and shared
        else "."
    )
    intro = (
        f'<p class="muted">Tickets per month, {escape(span)}, for {which}. {scales} A trend '
        f"compares the first third of the months with the last third.{note}</p>"
    )
    return intro + f'<div class="multiples">{"".join(out)}</div>'


def gaps_chart(
    gaps: list[dict[str, Any]], limit: int = 10, kcs: dict[str, Any] | None = None
) -> str:
    """Bars: the biggest content gaps by ticket count, each labelled with its language and terms."""
    if not gaps:
        alone = (kcs or {}).get("new") or 0
        if alone:
            return (
                f'<p class="muted">{alone} ticket{"s" if alone != 1 else ""} had no good '
                "article, but no three of them ask the same thing: no content gap to write.</p>"
            )
        return '<p class="muted">No content gaps: every ticket found a good article.</p>'
    shown = gaps[:limit]
    rows = [
        (
            f"{g['lang']} · {', '.join(g['terms'][:3])}"[:44],
            int(g["size"]),
            "#7c3aed",
            f"{g['id']}: {g['size']} tickets",
        )
        for g in shown
    ]
    said = "; ".join(f"{label}: {n} tickets" for label, n, _, _ in rows)
    more = f" The {len(shown)} biggest of {len(gaps)}." if len(gaps) > len(shown) else ""
    n = sum(int(g["size"]) for g in gaps)
    caption = (
        f"{n} tickets with no good article fall into {len(gaps)} content "
        f"gap{'s' if len(gaps) != 1 else ''}: each bar is one gap, labelled with its language "
        f"and top terms, and its count of tickets.{more}"
    )
    svg = hbars(rows, f"Content gaps by tickets: {said}", width=400, shares=False)
    return figure(svg, caption, "bars")
