"""Match a ticket history against the KB with the suggester, streaming, answers kept in .kb/cache.

Tickets arrive one at a time and leave as `Match`es, in batches: each batch's answers are looked
up in the ticket store (kb.stale.store) by the KB state, and only the tickets it has no answer
for go to a solver: the suggester in this process (`LocalSolver`), or Dask workers
(kb.stale.dask_run). Nothing here holds more than a few batches.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import itertools
import json
import logging
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol

from kb.core.cache import digest
from kb.core.lang import guess_lang
from kb.suggest.tickets import Ticket

if TYPE_CHECKING:
    from kb.core.collection import KnowledgeBase
    from kb.suggest.suggester import Suggestions

log = logging.getLogger(__name__)
TOP = 3  # candidates kept per ticket
BATCH = 256  # tickets looked up, suggested and stored per step
Answer = tuple[
    bool, tuple[tuple[str, float], ...]
]  # abstained, (article id, confidence) best first


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


class AnswerStore(Protocol):
    """Where answers are kept between runs (kb.stale.store.TicketStore)."""

    def answers(self, keys: Sequence[str]) -> dict[str, Answer]:
        """The stored answers of these keys."""
        ...

    def put_answers(self, answers: dict[str, Answer]) -> None:
        """Store answers."""
        ...


def answer_key(text: str, lang: str | None) -> str:
    """The key of one ticket's answer within a KB state: its language and text."""
    return digest(lang or "", text, size=20)


Job = tuple[Any, list[str], list[str]]  # (what the caller needs back, texts, languages)


class Solver(Protocol):
    """Answers jobs of tickets, yielding (tag, answers) in the order the jobs came."""

    def solve(self, jobs: Iterable[Job]) -> Iterator[tuple[Any, list[Answer]]]:
        """One list of answers per job, in order."""
        ...


def answers_of(found: Sequence[Suggestions]) -> list[Answer]:
    """The compact form of the suggester's answers: abstained and the best TOP candidates."""
    return [
        (bool(s.abstained), tuple((x.id, float(x.score)) for x in s.suggestions[:TOP]))
        for s in found
    ]


class LocalSolver:
    """Answers jobs in this process with a suggester, built on the first job that needs one."""

    def __init__(self, matcher: Callable[[], Matcher]) -> None:
        self.matcher = matcher
        self.engine: Matcher | None = None

    def solve(self, jobs: Iterable[Job]) -> Iterator[tuple[Any, list[Answer]]]:
        """Answer each job in turn."""
        for tag, texts, langs in jobs:
            if not texts:
                yield tag, []
                continue
            if self.engine is None:
                self.engine = self.matcher()
            found = self.engine.suggest_many(texts, list(langs), k=TOP)
            yield tag, answers_of(found)


def ticket_day(ticket: Ticket) -> dt.date | None:
    """The ticket's creation date (None when missing or unreadable)."""
    raw = ticket.created.strip()
    if len(raw) < 10:
        return None
    try:
        return dt.date.fromisoformat(raw[:10])
    except ValueError:
        return None


def window(tickets: Iterable[Ticket], since: dt.date | None, today: dt.date) -> Iterator[Ticket]:
    """Tickets created from `since` up to and including `today` (undated tickets are kept)."""
    for t in tickets:
        day = ticket_day(t)
        if day is not None and (day > today or (since is not None and day < since)):
            continue
        yield t


def in_window(tickets: Sequence[Ticket], since: dt.date | None, today: dt.date) -> list[Ticket]:
    """The tickets of `window` as a list."""
    return list(window(tickets, since, today))


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


@dataclass
class Counts:
    """How a stream of tickets was answered: from the store or by the solver."""

    tickets: int = 0
    cached: int = 0
    answered: int = 0


def stream_matches(
    tickets: Iterable[Ticket],
    solver: Solver,
    *,
    languages: Sequence[str],
    default_lang: str,
    store: AnswerStore | None = None,
    batch: int = BATCH,
    counts: Counts | None = None,
    progress: Callable[[int], None] | None = None,
) -> Iterator[Match]:
    """Answer tickets as they come, reusing stored answers; yields them in the order given."""
    counts = counts if counts is not None else Counts()
    langs_ = tuple(languages)

    def jobs() -> Iterator[Job]:
        it = iter(tickets)
        while chunk := list(itertools.islice(it, batch)):
            langs = [t.lang or guess_lang(t.text, langs_, default_lang) for t in chunk]
            keys = [answer_key(t.text, lang) for t, lang in zip(chunk, langs, strict=True)]
            known = store.answers(keys) if store is not None else {}
            todo: dict[str, int] = {}
            for i, key in enumerate(keys):
                if key not in known:
                    todo.setdefault(key, i)
            rows = list(todo.values())
            tag = (chunk, langs, keys, known, rows)
            yield tag, [chunk[i].text for i in rows], [langs[i] for i in rows]

    for (chunk, langs, keys, known, rows), answers in solver.solve(jobs()):
        fresh = {keys[i]: a for i, a in zip(rows, answers, strict=True)}
        if store is not None and fresh:
            store.put_answers(fresh)
        known.update(fresh)
        counts.tickets += len(chunk)
        counts.cached += sum(1 for k in keys if k not in fresh)
        counts.answered += len(fresh)
        for t, lang, key in zip(chunk, langs, keys, strict=True):
            abstained, top = known[key]
            yield Match(t, ticket_day(t), lang, bool(abstained), tuple(top))
        if progress is not None:
            progress(counts.tickets)


def match_tickets(
    tickets: Sequence[Ticket],
    matcher: Callable[[], Matcher],
    *,
    languages: Sequence[str],
    default_lang: str,
    store: AnswerStore | None = None,
) -> list[Match]:
    """Answer every ticket of a list (see `stream_matches`); `matcher` is built only when needed."""
    solver = LocalSolver(matcher)
    return list(
        stream_matches(tickets, solver, languages=languages, default_lang=default_lang, store=store)
    )


def threshold(m: Match, below: float | None) -> Match:
    """Treat an answer whose confidence is below `below` as an abstention too (None: unchanged)."""
    if below is None or m.abstained or m.confidence >= below:
        return m
    return dataclasses.replace(m, abstained=True)


def with_threshold(matches: Sequence[Match], below: float | None) -> list[Match]:
    """`threshold` over a list of matches."""
    return [threshold(m, below) for m in matches]
