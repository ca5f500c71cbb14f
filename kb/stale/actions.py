"""What resolves each finding (one action per finding kind) and the findings grouped by owner."""

from __future__ import annotations

import shlex
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from kb.core.collection import KnowledgeBase

NO_OWNER = "No owner"
WHOLE = "Whole help centre"  # findings about no single article: review batches, content gaps
Part = tuple[str, str]  # ("text" | "code", words): each report formats code its own way
Info = Mapping[str, Mapping[str, Any]]  # article id -> {"title", "owner", "path", "url"}


def article_info(kb: KnowledgeBase) -> dict[str, dict[str, Any]]:
    """Title, owner, file and URL of every article, for the reports' grouping and actions."""
    return {
        a.id: {"title": a.title, "owner": a.owner, "path": kb.display(a), "url": a.url}
        for a in kb.articles
    }


@dataclass(frozen=True)
class Facts:
    """What an action may name besides the finding: the day, the ticket file, the articles."""

    today: str
    tickets_file: str | None = None
    info: Info = field(default_factory=dict)

    def path(self, f: Mapping[str, Any]) -> str:
        """The finding's file, else its article id, else a placeholder."""
        return str(f.get("path") or f.get("article") or "the article")

    def url(self, article: str | None) -> str | None:
        """The site URL of an article id, when known."""
        return (self.info.get(article or "") or {}).get("url")


def _t(words: str) -> Part:
    return ("text", words)


def _c(code: str) -> Part:
    return ("code", code)


def _cmd(*words: str) -> Part:
    return _c(" ".join(shlex.quote(w) if i else w for i, w in enumerate(words)))


def _review_overdue(f: Mapping[str, Any], x: Facts) -> list[Part]:
    edit, where = ("set", " in ") if "reviewed" in f["evidence"] else ("add", " to ")
    return [
        _t(f"read it and fix what is out of date, then {edit} "),
        _c(f"reviewed: {x.today}"),
        _t(where),
        _c(x.path(f)),
    ]


def _no_owner(f: Mapping[str, Any], x: Facts) -> list[Part]:
    return [
        _t("add "),
        _c("owner: NAME"),
        _t(" to "),
        _c(x.path(f)),
        _t(" so reviews reach someone"),
    ]


def _review_batch(f: Mapping[str, Any], x: Facts) -> list[Part]:
    n = len(f["evidence"].get("articles") or [])
    return [
        _t(f"review some of these {n} articles early and set their "),
        _c("reviewed:"),
        _t(" dates, so the reviews spread over several days"),
    ]


def _unverified(f: Mapping[str, Any], x: Facts) -> list[Part]:
    return [
        _t("compare it with "),
        _c(str(f["evidence"].get("source", "its source"))),
        _t("; once it matches, run "),
        _cmd("kb", "translation", "sync", str(f.get("article") or "ID")),
    ]


def _outdated(f: Mapping[str, Any], x: Facts) -> list[Part]:
    ev = f["evidence"]
    sections = [c["section"] for c in ev.get("changed_sections") or []]
    what = f"the changed sections ({', '.join(sections)})" if sections else "it"
    return [
        _t(f"translate {what} again from "),
        _c(str(ev.get("source", "the source"))),
        _t(" in "),
        _c(x.path(f)),
        _t(", then run "),
        _cmd("kb", "translation", "sync", str(f.get("article") or "ID")),
        _t(" to record the new "),
        _c("source_hash"),
    ]


def _drift(f: Mapping[str, Any], x: Facts) -> list[Part]:
    ev = f["evidence"]
    if "product" in ev:
        versions = ", ".join(ev.get("mentioned") or [])
        return [
            _t(f"update the steps for {ev['product']} {versions}, then add the version to "),
            _c("products:"),
            _t(" in "),
            _c(x.path(f)),
        ]
    tickets = ", ".join((ev.get("tickets") or [])[:3])
    return [
        _t("read the recent tickets" + (f" ({tickets})" if tickets else "")),
        _t(" and rewrite it in the words customers use now: "),
        _c(x.path(f)),
    ]


def _unused(f: Mapping[str, Any], x: Facts) -> list[Part]:
    ev = f["evidence"]
    if ev.get("undecided"):  # the window is too small: one note for the whole help centre
        need = ev.get("needed_linked_tickets")
        more = f" (about {int(need):,} tickets linked to an article)" if need else ""
        return [
            _t(f"run it over a longer ticket window{more}: an earlier "),
            _c("--since"),
            _t(", or a larger tickets file"),
        ]
    return [
        _t("archive it ("),
        _c("status: archived"),
        _t(" in "),
        _c(x.path(f)),
        _t(") or merge it into an article that is used"),
    ]


def _duplicate(f: Mapping[str, Any], x: Facts) -> list[Part]:
    ev = f["evidence"]
    if ev.get("left_out"):  # the summary line of the pairs past the cap
        return [_t("merge the pairs listed first, then run "), _cmd("kb", "stale"), _t(" again")]
    other = str(ev.get("other_path") or ev.get("other") or "the other article")
    url = x.url(f.get("article")) or "its URL"
    return [
        _t("merge it into "),
        _c(other),
        _t(", set "),
        _c("status: archived"),
        _t(" in "),
        _c(x.path(f)),
        _t(" and add "),
        _c(f"aliases: [{url}]"),
        _t(f" to {ev.get('other') or 'the other'} so old links keep working"),
    ]


def _gap(f: Mapping[str, Any], x: Facts) -> list[Part]:
    gap = str(f["evidence"].get("gap") or "ID")
    return [
        _t("draft an article: "),
        _cmd("kb", "new", "--from-gap", gap, "--tickets", x.tickets_file or "FILE"),
    ]


def _not_helpful(f: Mapping[str, Any], x: Facts) -> list[Part]:
    reasons = f["evidence"].get("reasons") or {}
    said = ", ".join(f"{k} ({v})" for k, v in sorted(reasons.items(), key=lambda kv: -kv[1])[:3])
    return [
        _t("read what readers said" + (f" ({said})" if said else "")),
        _t(", fix the unclear steps in "),
        _c(x.path(f)),
        _t(", then set "),
        _c(f"reviewed: {x.today}"),
    ]


def _other(f: Mapping[str, Any], x: Facts) -> list[Part]:
    return [_t("read the finding and edit "), _c(x.path(f))]


ACTIONS: dict[str, Callable[[Mapping[str, Any], Facts], list[Part]]] = {
    "review-overdue": _review_overdue,
    "no-owner": _no_owner,
    "review-batch": _review_batch,
    "translation-unverified": _unverified,
    "outdated-translation": _outdated,
    "ticket-drift": _drift,
    "unused": _unused,
    "near-duplicate": _duplicate,
    "content-gap": _gap,
    "not-helpful": _not_helpful,
}
"""Finding kind (its rule) -> what resolves it; a kind not listed gets "read the finding and edit"."""


def resolve(f: Mapping[str, Any], facts: Facts) -> list[Part]:
    """The command or edit that resolves one finding (a finding's dict, as in the JSON)."""
    return ACTIONS.get(f["rule"], _other)(f, facts)


def owner_of(f: Mapping[str, Any], info: Info) -> str:
    """The owner a finding goes to: its article's owner, NO_OWNER, or WHOLE for no article."""
    if not f.get("article"):
        return WHOLE
    owner = (info.get(f["article"]) or {}).get("owner") or (f.get("evidence") or {}).get("owner")
    return str(owner) if owner else NO_OWNER


def by_owner(
    findings: Sequence[Mapping[str, Any]], info: Info
) -> list[tuple[str, list[Mapping[str, Any]]]]:
    """Findings per owner, the owner with the most errors (then warnings, then findings) first."""
    groups: dict[str, list[Mapping[str, Any]]] = {}
    for f in findings:
        groups.setdefault(owner_of(f, info), []).append(f)

    def weight(item: tuple[str, list[Mapping[str, Any]]]) -> tuple[int, int, int, int, str]:
        name, fs = item
        sev = [f["severity"] for f in fs]
        last = 1 if name == WHOLE else 0
        return (last, -sev.count("error"), -sev.count("warning"), -len(fs), name.lower())

    return sorted(groups.items(), key=weight)


def tally(findings: Sequence[Mapping[str, Any]]) -> str:
    """E.g. "3 findings: 1 error, 2 warnings"."""
    sev = [f["severity"] for f in findings]
    parts = [
        f"{n} {word}{'' if n == 1 else 's'}"
        for word, n in (
            ("error", sev.count("error")),
            ("warning", sev.count("warning")),
            ("note", sev.count("info")),
        )
        if n
    ]
    n = len(findings)
    return f"{n} finding{'' if n == 1 else 's'}" + (f": {', '.join(parts)}" if parts else "")


def facts_of(data: Mapping[str, Any], info: Info | None) -> Facts:
    """The Facts of a report's data (the JSON shape) and article info."""
    return Facts(str(data["today"]), data.get("tickets_file"), info or {})


def owners_from(data: Mapping[str, Any]) -> dict[str, dict[str, Any]]:
    """Owners of live articles from the report's freshness rows, when no article info is given."""
    return {r["article"]: {"owner": r.get("owner")} for r in data.get("freshness") or []}
