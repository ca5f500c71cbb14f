"""Drafts in the customers' words: a solved ticket, or a content gap, becomes a draft article."""

from __future__ import annotations

import html
import re
from collections import Counter
from pathlib import Path
from typing import TYPE_CHECKING, Any

from kb.authoring.templates import body_for
from kb.core.errors import KBError, UsageError
from kb.core.lang import guess_lang
from kb.core.text import slugify
from kb.suggest.tickets import Ticket, find_ticket

if TYPE_CHECKING:
    from kb.core.collection import KnowledgeBase
    from kb.core.settings import Settings
    from kb.stale.gaps import Gap

TITLE_MAX = 90
# Markdown that customer text must not use: escapes, code, emphasis, links and images,
# attribute lists ({: onclick=...}), headings; `~` (fences) has no backslash escape.
# Redaction's own [email] and [phone] stay as they are: no customer text can define them.
MARKDOWN_SPECIAL = re.compile(r"\[(?:email|phone)\]|[\\`*_{}\[\]#]")
GAP_TERM = re.compile(r"[^\W\d_]{3,}")  # a gap term that may become a tag: a word of letters
UNPRINTABLE = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u2028\u2029\ud800-\udfff]")


def plain(text: str) -> str:
    """Customer text without control characters, line separators or lone surrogates."""
    return UNPRINTABLE.sub(lambda m: "\ufffd" if m.group() >= "\ud800" else " ", text)


def inert(text: str) -> str:
    """Customer text as Markdown that renders literally: no raw HTML, links, attributes or code.

    Runs after every entity decoding (kb.suggest.cleaning): `&`, `<` and `>` become entities,
    Markdown punctuation is backslash-escaped, so nothing the customer typed is markup.
    """
    text = html.escape(plain(text), quote=False)
    text = MARKDOWN_SPECIAL.sub(
        lambda m: m.group() if len(m.group()) > 1 else "\\" + m.group(), text
    )
    return text.replace("~", "&#126;")


def quote_lines(text: str) -> str:
    """`text` made inert, every line of it a Markdown quote line."""
    return "\n".join(f"> {inert(line)}".rstrip() for line in text.splitlines() or [""])


def draft_from_ticket(path: Path, ticket_id: str, settings: Settings) -> dict[str, Any]:
    """Draft a solution article from one ticket: subject as title, redacted words as the Issue."""
    ticket = find_ticket(path, ticket_id)
    lang = ticket_lang(ticket, settings)
    return {
        "title": draft_title(ticket),
        "type": "solution",
        "lang": lang,
        "tickets": [ticket.id],  # front matter: YAML-quoted, exact
        "body": body_for("solution", lang, issue=quoted(ticket)),
        "meta": {"status": "draft"},
    }


def ticket_lang(ticket: Ticket, settings: Settings) -> str:
    """The ticket's language when the site has it, else a guess from its words."""
    languages = settings.languages or (settings.default_lang,)
    if ticket.lang in languages:
        return ticket.lang
    return guess_lang(ticket.text, languages, settings.default_lang)


def draft_title(ticket: Ticket) -> str:
    """The ticket's subject, or the start of its text when it has none."""
    title = " ".join(ticket.subject.split()) or " ".join(ticket.body.split()[:10])
    return short_title(title) or short_title(f"Ticket {ticket.id}")


def short_title(text: str) -> str:
    """A title of at most TITLE_MAX characters, on one line (front matter quotes it)."""
    title = " ".join(plain(text).split())
    if len(title) > TITLE_MAX:
        title = title[:TITLE_MAX].rsplit(" ", 1)[0] + "…"
    return title


def quoted(ticket: Ticket) -> str:
    """The customer's own (already cleaned and redacted) words as an inert Markdown quote."""
    return quote_lines(ticket.body or ticket.subject)


# -- drafting from a gap ---------------------------------------------------------------------------
def draft_from_gap(
    gap_id: str, tickets_file: str | None, settings: Settings, kb: KnowledgeBase
) -> dict[str, Any]:
    """A draft article for gap `gap_id` in the customers' words (title, type, lang, tickets, body, meta)."""
    from kb.stale.run import analyse

    if not tickets_file:
        raise UsageError("--from-gap needs --tickets FILE (the ticket history the gap came from)")
    result = analyse(settings, kb, tickets_file=tickets_file, rules=False)
    gap = next((g for g in result.gaps if g.id == gap_id), None)
    if gap is None:
        known = ", ".join(g.id for g in result.gaps) or "none"
        raise KBError(f"no content gap {gap_id!r} in {tickets_file} (gaps: {known})")
    return gap_draft(gap)


def gap_draft(gap: Gap) -> dict[str, Any]:
    """Turn a gap into the draft `kb new` writes: the customers' questions become the issue."""
    subjects = Counter(r["subject"] for r in gap.representatives if r["subject"])
    title = subjects.most_common(1)[0][0] if subjects else " ".join(gap.terms[:3]).capitalize()
    quotes = "\n".join(
        f"{quote_lines(r['text'] or r['subject'])}  \n> — ticket {inert(r['id'])}\n"
        for r in gap.representatives
    )
    issue = {
        "en": "Customers ask, in their words:",
        "nl": "Klanten vragen, in hun woorden:",
        "sv": "Kunder frågar, med egna ord:",
    }.get(gap.lang, "Customers ask, in their words:")
    body = body_for("solution", gap.lang, f"{issue}\n\n{quotes}")
    note = (  # customer words even here: escaped, so `-->` cannot end the comment
        f"<!-- drafted from content gap {inert(gap.id)}: {gap.size} tickets, "
        f"{inert(gap.first_seen)} to {inert(gap.last_seen)}; "
        f"terms: {inert(', '.join(gap.terms))} -->\n\n"
    )
    terms = gap_terms(gap)
    return {
        "title": short_title(title) or "Content gap",
        "id": "-".join(terms[:2]) or None,
        "type": "solution",
        "lang": gap.lang,
        "tickets": gap.tickets[:20],
        "body": note + body,
        "meta": {"tags": terms[:4]} if terms else {},
    }


def gap_terms(gap: Gap) -> list[str]:
    """The gap's characteristic terms (kb.stale.gaps ranks them) fit for tags: words, no stop words."""
    from kb.suggest.evidence import stopwords

    stop = stopwords(gap.lang)
    out: list[str] = []
    for term in gap.terms:
        word = term.lower()
        if GAP_TERM.fullmatch(word) and word not in stop and slugify(word) not in out:
            out.append(slugify(word))
    return out
