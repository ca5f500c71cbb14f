"""The `kb stale --format markdown` summary: short enough for a weekly issue or a chat post.

Everything that is not kb's own words (ticket text, search queries, ids, front matter) is
escaped: it shows as text in CommonMark, GitHub and Python-Markdown, never as a link or HTML.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Mapping
from typing import Any

from kb.stale.actions import Info, Part, by_owner, facts_of, owners_from, resolve, tally
from kb.stale.kcs import recorded_summary
from kb.stale.trends import NO_ARTICLE, months_of, partial_month, top_series

MAX_OWNERS = 8  # owner sections shown
MAX_PER_OWNER = 5  # findings shown per owner
MAX_ROWS = 5  # gaps, busiest articles, searches
MAX_TEXT = 160  # characters of one message, subject or query
SPACE = re.compile(r"[\s\x00-\x1f\x7f-\x9f\u2028\u2029]+")
MARKUP = re.compile(r"([\\`*_{}\[\]|~])")  # inline markup; with [ ] escaped no link can start
LINE_START = re.compile(r"^([#+\-=>]|\d+[.)])")  # would start a heading, list or quote
LINKY = re.compile(r"(?i)://|^www\.|@[\w-]+\.\w")  # autolinked bare: shown as code instead


def _clip(text: Any, limit: int = MAX_TEXT) -> str:
    flat = SPACE.sub(" ", str(text)).strip()
    return flat if len(flat) <= limit else flat[: limit - 1].rstrip() + "…"


def code(text: Any, limit: int = MAX_TEXT) -> str:
    """A code span that holds any text: a fence longer than the longest run of backticks."""
    flat = _clip(text, limit)
    fence = "`" * (max((len(r) for r in re.findall(r"`+", flat)), default=0) + 1)
    pad = " " if flat.startswith(("`", " ")) or flat.endswith(("`", " ")) or "`" in flat else ""
    return f"{fence}{pad}{flat}{pad}{fence}"


def md(text: Any, limit: int = MAX_TEXT) -> str:
    """Untrusted text as Markdown text: one line, no markup, no HTML, no link."""
    words = []
    for word in _clip(text, limit).split(" "):
        if LINKY.search(word):
            words.append(code(word))
            continue
        word = word.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
        words.append(MARKUP.sub(r"\\\1", word))
    out = " ".join(words)
    return LINE_START.sub(lambda m: "\\" + m.group(1), out)


def parts_md(parts: list[Part]) -> str:
    """An action in Markdown: words escaped, commands and edits as code spans."""
    out = []
    for kind, words in parts:
        if kind == "code":
            out.append(code(words, 300))
        else:  # keep the spaces around the words: they sit between code spans
            lead = " " if words[:1].isspace() else ""
            trail = " " if words[-1:].isspace() else ""
            out.append(lead + md(words, 300) + trail)
    return "".join(out)


def _more(n: int, what: str) -> list[str]:
    return [f"- … and {n} more {what}"] if n > 0 else []


def _n(n: int, word: str) -> str:
    """'1 ticket', '2 tickets'."""
    return f"{n} {word}{'' if n == 1 else 's'}"


def _pct(x: float | None) -> str:
    return f"{x:.0%}" if x is not None else "–"


def _headline(data: Mapping[str, Any]) -> list[str]:
    s, k = data["summary"], data.get("kcs")
    window = ""
    if k is not None:
        since = f" since {md(data['since'])}" if data.get("since") else ""
        window = f" · **{_n(k['tickets'], 'ticket')}** in the window{since}"
    sev = (
        f"**{_n(s['error'], 'error')}**, **{_n(s['warning'], 'warning')}**, {_n(s['info'], 'note')}"
    )
    out = [f"**{_n(s['articles'], 'article')}**{window} · {_n(s['findings'], 'finding')}: {sev}"]
    if k:
        out.append(
            f"- Link rate: **{_pct(k['link_rate'])}** of tickets were answered by an article "
            f"({k['linked']} of {k['tickets']})"
        )
        gaps = len(data["gaps"])
        out.append(
            f"- Tickets with no good article: {k['new']}, {k['new_in_gaps']} of them in "
            f"{gaps} content gap{'' if gaps == 1 else 's'}"
        )
    if data.get("kcs_recorded"):
        out.append("- " + recorded_summary(data["kcs_recorded"]))
    ss = data.get("self_service")
    if ss and ss.get("self_service_rate") is not None:
        out.append(
            f"- Self-service rate: **{_pct(ss.get('self_service_rate'))}** "
            f"({ss['deflections']} answered by an article on the contact page, "
            f"{ss['submissions']} sent)"
        )
    q = data.get("searches") or {}
    if q.get("searches"):
        out.append(
            f"- Searches: {q['searches']}, {q['no_result_searches']} with no result, "
            f"{q['clicks']} clicks on a result"
        )
    if s.get("ticket_errors"):
        out.append(f"- Ticket rows that could not be read: {s['ticket_errors']}")
    return out if len(out) == 1 else [out[0], "", *out[1:]]


def _name(article: str | None, info: Info) -> str:
    title = (info.get(article or "") or {}).get("title")
    return f"**{md(title)}** ({code(article)})" if title else f"**{md(article or '–')}**"


def _findings(data: Mapping[str, Any], info: Info) -> list[str]:
    """Top findings per owner with their fixes; content gaps have their own section."""
    findings = [f for f in data["findings"] if f["rule"] != "content-gap"]
    if not findings:
        return ["### Findings", "", "No findings."]
    facts = facts_of(data, info)
    groups = by_owner(findings, info)
    out = ["### Findings by owner"]
    for owner, group in groups[:MAX_OWNERS]:
        out += ["", f"#### {md(owner, 80)} · {tally(group)}", ""]
        for f in group[:MAX_PER_OWNER]:
            about = f" {_name(f['article'], info)}" if f.get("article") else ""
            out.append(f"- **{f['severity']}** `{f['rule']}`{about}: {md(f['message'])}")
            out.append(f"  - To resolve: {parts_md(resolve(f, facts))}")
        left = Counter(f["rule"] for f in group[MAX_PER_OWNER:])
        kinds = ", ".join(f"{n} {rule}" for rule, n in sorted(left.items(), key=lambda r: -r[1]))
        out += _more(len(group) - MAX_PER_OWNER, f"for {md(owner, 80)} ({kinds})")
    rest = groups[MAX_OWNERS:]
    if rest:
        n = sum(len(g) for _, g in rest)
        out += ["", f"… and {n} more findings for {len(rest)} more owners (see the full report)."]
    return out


def _busiest(data: Mapping[str, Any], info: Info) -> list[str]:
    kcs = data.get("kcs")
    series = [s for s in top_series(kcs, str(data["today"]), top=MAX_ROWS)]
    if not series:
        return []
    months = months_of(kcs)
    span = f"{md(months[0])} to {md(months[-1])}" if len(months) > 1 else md(months[0])
    partial = partial_month(months, str(data["today"]))
    note = f"; {md(partial)} is not over and counts pro rata in the trends" if partial else ""
    out = ["### Tickets per article", "", f"Per month, {span}{note}.", ""]
    for s in series:
        name = "Tickets with no good article" if s.article == NO_ARTICLE else None
        label = f"**{name}**" if name else _name(s.article, info)
        out.append(f"- {label}: {_n(s.total, 'ticket')}, {md(s.trend)}")
    return out


def _gaps(data: Mapping[str, Any]) -> list[str]:
    gaps = data["gaps"]
    if not gaps:
        k = data.get("kcs") or {}
        if k.get("new"):
            return [
                "### Content gaps",
                "",
                f"None: {k['new']} tickets had no good article, but no three of them ask the "
                "same thing.",
            ]
        return []
    facts = facts_of(data, None)
    out = ["### Content gaps", ""]
    for g in gaps[:MAX_ROWS]:
        rep = g["representatives"][0]["subject"] if g["representatives"] else ""
        example = f", e.g. “{md(rep, 100)}”" if rep else ""
        fix = parts_md(resolve({"rule": "content-gap", "evidence": {"gap": g["id"]}}, facts))
        out.append(
            f"- {code(g['id'], 80)} ({md(g['lang'], 10)}, {_n(g['size'], 'ticket')}): "
            f"{md(', '.join(g['terms'][:5]))}{example}"
        )
        out.append(f"  - To resolve: {fix}")
    return out + _more(len(gaps) - MAX_ROWS, "content gaps")


def _searches(data: Mapping[str, Any]) -> list[str]:
    q = data.get("searches") or {}
    rows = q.get("no_results") or []
    out: list[str] = []
    if rows:
        out += ["### Searches with no result", ""]
        for r in rows[:MAX_ROWS]:
            lang = f" ({md(r['lang'], 10)})" if r.get("lang") else ""
            n = r["searches"]
            out.append(f"- “{md(r['query'], 100)}”{lang}: {n} search{'' if n == 1 else 'es'}")
        out += _more(len(rows) - MAX_ROWS, "queries")
    gaps = data.get("search_gaps") or []
    if gaps:
        out += ["", "Searched often with no result (a content gap):", ""]
        for g in gaps[:MAX_ROWS]:
            n = g["searches"]
            out.append(f"- {md(', '.join(g['terms']))}: {n} search{'' if n == 1 else 'es'}")
        out += _more(len(gaps) - MAX_ROWS, "search gaps")
    return out


def render_markdown(
    data: dict[str, Any], title: str = "Help centre", info: Info | None = None
) -> str:
    """The summary in Markdown; `info` gives article titles and owners (kb.stale.actions)."""
    info = info if info is not None else owners_from(data)
    out = [f"## {md(title, 80)}: content health on {md(data['today'])}", ""]
    out += _headline(data)
    for part in (_findings(data, info), _busiest(data, info), _gaps(data), _searches(data)):
        if part:
            out += ["", *part]
    out += ["", "_Full report: `kb stale --format html -o report.html`_"]
    return "\n".join(out) + "\n"
