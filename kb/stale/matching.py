"""Match a ticket history against the KB with the suggester, caching the answers in .kb/cache.

The cache is keyed by everything that changes an answer: the model, the fusion settings and the
content of every live article. When the KB is unchanged a second run reads every answer back and
never loads the model or opens the index.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

from kb.core import cache
from kb.core.cache import digest
from kb.core.lang import guess_lang
from kb.suggest.tickets import Ticket

if TYPE_CHECKING:
    from kb.core.collection import KnowledgeBase
    from kb.suggest.suggester import Suggestions

log = logging.getLogger(__name__)
CACHE_VERSION = 2
TOP = 3  # candidates kept per ticket
BATCH = 256  # tickets suggested (and cached) per step


@dataclass(frozen=True)
class Match:
    """What the suggester answered for one ticket: abstained or not, and its best candidates."""

    ticket: Ticket
    day: dt.date | None
    lang: str
    abstained: bool
    top: tuple[tuple[str, float], ...]  # (article id, confidence), best first

    @property
    def best(self) -> str | None:
        """Id of the best candidate (even when the suggester abstained)."""
        return self.top[0][0] if self.top else None

    @property
    def confidence(self) -> float:
        """Confidence of the best candidate (0 when there is none)."""
        return self.top[0][1] if self.top else 0.0

    @property
    def linked(self) -> str | None:
        """The article the ticket is linked to: the best candidate unless the suggester abstained."""
        return None if self.abstained else self.best


class Matcher(Protocol):
    """Anything that answers tickets like kb.suggest.Suggester.suggest_many."""

    def suggest_many(
        self, texts: Sequence[str], langs: Sequence[str | None] | None = None, *, k: int = 5
    ) -> list[Suggestions]:
        """One answer per text."""
        ...


def ticket_day(ticket: Ticket) -> dt.date | None:
    """The ticket's creation date (None when missing or unreadable)."""
    raw = ticket.created.strip()
    if len(raw) < 10:
        return None
    try:
        return dt.date.fromisoformat(raw[:10])
    except ValueError:
        return None


def in_window(tickets: Sequence[Ticket], since: dt.date | None, today: dt.date) -> list[Ticket]:
    """Tickets created from `since` up to and including `today` (undated tickets are kept)."""
    out = []
    for t in tickets:
        day = ticket_day(t)
        if day is not None and (day > today or (since is not None and day < since)):
            continue
        out.append(t)
    return out


def kb_key(kb: KnowledgeBase, model_id: str, extra: Any = None) -> str:
    """Hash of what decides the suggester's answers: model, settings and every live article."""
    syn = kb.settings.synonyms_file
    parts: list[str | bytes] = [
        model_id,
        repr(extra),
        json.dumps(sorted(kb.settings.languages)),
        syn.read_bytes() if syn.is_file() else b"",
    ]
    for a in sorted(kb.visible(internal=True), key=lambda a: a.id):
        parts += [a.id, a.rel_path, a.content_hash]
    return digest(*parts)


def _text_key(text: str, lang: str | None) -> str:
    return digest(lang or "", text, size=20)


class MatchCache:
    """Answers per ticket text, valid for one KB state (a JSON file in the cache folder)."""

    def __init__(self, path: Path | None, key: str) -> None:
        self.path = path
        self.key = key
        self.hits = 0
        found = cache.load(path, CACHE_VERSION, key) if path is not None else None
        self.entries: dict[str, list[Any]] = found if isinstance(found, dict) else {}

    def save(self) -> None:
        """Write the cache atomically."""
        if self.path is not None:
            cache.save(self.path, CACHE_VERSION, self.key, self.entries)


def match_tickets(
    tickets: Sequence[Ticket],
    matcher: Callable[[], Matcher],
    *,
    languages: Sequence[str],
    default_lang: str,
    cache: MatchCache | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> list[Match]:
    """Answer every ticket, reusing cached answers; `matcher` is only built when needed."""
    langs = [t.lang or guess_lang(t.text, tuple(languages), default_lang) for t in tickets]
    keys = [_text_key(t.text, lang) for t, lang in zip(tickets, langs, strict=True)]
    entries = cache.entries if cache is not None else {}
    todo: list[int] = []
    seen: set[str] = set()
    for i, key in enumerate(keys):
        if key not in entries and key not in seen:
            seen.add(key)
            todo.append(i)
    if cache is not None:
        cache.hits = sum(1 for key in keys if key in entries)
    if todo:
        engine = matcher()
        for start in range(0, len(todo), BATCH):
            batch = todo[start : start + BATCH]
            answers = engine.suggest_many(
                [tickets[i].text for i in batch], [langs[i] for i in batch], k=TOP
            )
            for i, ans in zip(batch, answers, strict=True):
                entries[keys[i]] = [
                    bool(ans.abstained),
                    [[s.id, float(s.score)] for s in ans.suggestions[:TOP]],
                ]
            if cache is not None:
                cache.save()
            if progress is not None:
                progress(min(start + BATCH, len(todo)), len(todo))
    out = []
    for t, lang, key in zip(tickets, langs, keys, strict=True):
        abstained, top = entries[key]
        out.append(
            Match(
                ticket=t,
                day=ticket_day(t),
                lang=lang,
                abstained=bool(abstained),
                top=tuple((str(i), float(c)) for i, c in top),
            )
        )
    return out


def with_threshold(matches: Sequence[Match], below: float | None) -> list[Match]:
    """Treat answers whose confidence is below `below` as abstentions too (None: unchanged)."""
    if below is None:
        return list(matches)
    return [
        m if m.abstained or m.confidence >= below else dataclasses.replace(m, abstained=True)
        for m in matches
    ]
