"""Knowledge capture: turn a solved ticket into a draft solution article."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from kb.templates import body_for
from kb.tickets import Ticket, find_ticket, guess_lang

if TYPE_CHECKING:
    from kb.settings import Settings

TITLE_MAX = 90


def draft_from_ticket(path: Path, ticket_id: str, settings: Settings) -> dict[str, Any]:
    """Draft a solution article from one ticket: subject as title, redacted words as the Issue."""
    ticket = find_ticket(path, ticket_id)
    lang = ticket_lang(ticket, settings)
    return {
        "title": draft_title(ticket),
        "type": "solution",
        "lang": lang,
        "tickets": [ticket.id],
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
    if len(title) > TITLE_MAX:
        title = title[:TITLE_MAX].rsplit(" ", 1)[0] + "…"
    return title or f"Ticket {ticket.id}"


def quoted(ticket: Ticket) -> str:
    """The customer's own (already cleaned and redacted) words as a Markdown quote."""
    body = ticket.body or ticket.subject
    return "\n".join(f"> {line}".rstrip() for line in body.splitlines())


# content gaps (kb stale, issue 6): `kb new --from-gap` drafts from a cluster of tickets
from kb.gaps import draft_from_gap  # noqa: E402, F401
