"""A draft article from a pasted ticket (the ticket assistant's "draft one"): what --from-ticket writes.

The subject (or the start of the text) is the title, the customer's cleaned, redacted and inert
words are the Issue, the ticket id goes into `tickets:`, status draft. kb serve gets this function
by name (ServerOptions.drafter), since the server package may not import authoring.
"""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Any

from kb.authoring.drafts import draft_title, quote_lines, ticket_lang
from kb.authoring.templates import body_for, front_matter, template_values
from kb.core.text import slugify

if TYPE_CHECKING:
    from kb.core.collection import KnowledgeBase
    from kb.core.settings import Settings
    from kb.suggest.tickets import Ticket


def ticket_draft(
    ticket: Ticket, settings: Settings, kb: KnowledgeBase | None, today: dt.date | None = None
) -> tuple[str, str, str]:
    """(article id, path below the articles folder, Markdown) of a draft made from `ticket`."""
    lang = ticket_lang(ticket, settings)
    title = draft_title(ticket)
    base = slugify(title) or "article"
    taken = {a.id for a in kb.articles} if kb is not None else set()
    article_id, n = base, 2
    while (
        article_id in taken or (settings.docs_dir / draft_path(settings, lang, article_id)).exists()
    ):
        article_id, n = f"{base}-{n}", n + 1
    extra: dict[str, Any] = {"tickets": [ticket.id] if ticket.id else None}
    values = template_values("solution", title, article_id, lang, today or dt.date.today(), **extra)
    values["status"] = "draft"
    issue = quote_lines(ticket.body or ticket.subject)
    text = front_matter(values, "solution") + "\n" + body_for("solution", lang, issue=issue)
    return article_id, draft_path(settings, lang, article_id), text


def draft_path(settings: Settings, lang: str, article_id: str) -> str:
    """Where a draft goes: `<lang>/<id>.md` with language folders, else `<id>.md`."""
    multi = len(settings.languages or ()) > 1 or (settings.docs_dir / lang).is_dir()
    return f"{lang}/{article_id}.md" if multi else f"{article_id}.md"
