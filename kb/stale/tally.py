"""Ticket answers folded into bounded figures as they stream by: counts, drift, the gap pool.

A `Tally` keeps what the reports and rules need and no list of every ticket: counts per
article, month, language and article-month (bounded by the KB and the window's months); for
ticket drift the exact sums of confidence before and after the cut and the first ten recent
ticket ids per article, and the tickets naming a newer product version; for content gaps the
most recent `gap_cap` tickets with no good article per language (the ones clustered) and the
most recent `contrast_cap` ticket texts per language (what gap terms are contrasted with); the
ticket ids as 8-byte hashes, for the share agents linked. Every choice depends on the ticket's
date, id and position only, so folding partitions in file order gives the same figures.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import heapq
from array import array
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from fractions import Fraction
from typing import TYPE_CHECKING, Any

from kb.stale.gaps import MAX_CONTRAST, MAX_PER_LANG
from kb.stale.versions import covered_versions, mentioned_versions, newer_than, product_words

if TYPE_CHECKING:
    from kb.core.collection import KnowledgeBase
    from kb.stale.matching import Match

RECENT_IDS = 10  # ticket ids a drift finding lists


@dataclass
class Drift:
    """One article's tickets where it was the best match: confidence before and after the cut."""

    old: Fraction = Fraction(0)
    old_n: int = 0
    new: Fraction = Fraction(0)
    new_n: int = 0
    recent: list[str] = field(default_factory=list)  # first ticket ids since the cut


@dataclass
class Newer:
    """Tickets matched to an article that name a newer version of one of its products."""

    versions: set[str] = field(default_factory=set)
    days: dict[str, dt.date | None] = field(default_factory=dict)  # ticket id -> its day


class Tally:
    """Figures of a ticket window, one match at a time (see the module docstring)."""

    def __init__(
        self,
        kb: KnowledgeBase,
        today: dt.date | None = None,
        recent_days: int = 90,
        *,
        gap_cap: int | None = None,
        contrast_cap: int | None = None,
    ) -> None:
        self.kb = kb
        # drift compares the tickets of the last `recent_days` with the ones before (no today: off)
        self.cut = today - dt.timedelta(days=recent_days) if today else None
        self.gap_cap = MAX_PER_LANG if gap_cap is None else gap_cap
        self.contrast_cap = MAX_CONTRAST if contrast_cap is None else contrast_cap
        self.tickets = 0
        self.linked: Counter[str] = Counter()  # article id -> tickets linked (first seen first)
        self.months: dict[str, list[int]] = {}  # month -> [tickets, linked]
        self.langs: dict[str, list[int]] = {}  # language -> [tickets, linked]
        self.article_months: dict[str, Counter[str]] = {}  # source id -> month -> tickets
        self.ids = array("Q")  # hashed ticket ids
        self.top2: set[str] = set()  # articles among some ticket's two best candidates
        self.drift: dict[str, Drift] = {}
        self.newer: dict[tuple[str, str], Newer] = {}
        self.abstained: Counter[str] = Counter()  # language -> tickets with no good article
        self.pool: dict[str, list[tuple[Any, ...]]] = {}  # language -> heap of (key, match)
        self.recent: dict[str, list[tuple[Any, ...]]] = {}  # language -> heap of (key, text)
        self._source: dict[str, str] = {}
        self._products: dict[str, list[tuple[str, tuple[int, ...], list[str]]]] = {}
        self._words = product_words(kb)

    @classmethod
    def of(
        cls,
        matches: Iterable[Match],
        kb: KnowledgeBase,
        today: dt.date | None = None,
        recent_days: int = 90,
    ) -> Tally:
        """The tally of a list of matches."""
        out = cls(kb, today, recent_days)
        for m in matches:
            out.add(m)
        return out

    def source(self, aid: str) -> str:
        """The translation group (source id) of an article id; the id itself when unknown."""
        found = self._source.get(aid)
        if found is None:
            a = self.kb.get(aid)
            found = self._source[aid] = a.source_id if a else aid
        return found

    def add(self, m: Match) -> None:
        """Fold one answered ticket in."""
        seq = self.tickets
        self.tickets += 1
        month = str(m.day)[:7] if m.day else "unknown"
        per_month = self.months.setdefault(month, [0, 0])
        per_lang = self.langs.setdefault(m.lang, [0, 0])
        per_month[0] += 1
        per_lang[0] += 1
        digest = hashlib.blake2b(m.ticket.id.encode("utf-8", "replace"), digest_size=8)
        self.ids.append(int.from_bytes(digest.digest(), "little"))
        linked = m.linked
        if linked:
            per_month[1] += 1
            per_lang[1] += 1
            self.linked[linked] += 1
            self.article_months.setdefault(self.source(linked), Counter())[month] += 1
        if self.cut is not None:
            self._drift(m)
        key = (m.day or dt.date.min, m.ticket.id, seq)
        _keep(self.recent.setdefault(m.lang, []), (key, m.ticket.text), self.contrast_cap)
        if m.abstained:
            self.abstained[m.lang] += 1
            _keep(self.pool.setdefault(m.lang, []), (key, m), self.gap_cap)

    def _drift(self, m: Match) -> None:
        assert self.cut is not None
        mentioned: dict[str, list[str]] = {}
        for aid, _ in m.top[:2]:
            self.top2.add(aid)
            if m.best == aid and m.day is not None:
                d = self.drift.setdefault(aid, Drift())
                if m.day < self.cut:
                    d.old += Fraction(m.confidence)
                    d.old_n += 1
                else:
                    d.new += Fraction(m.confidence)
                    d.new_n += 1
                    if len(d.recent) < RECENT_IDS:
                        d.recent.append(m.ticket.id)
            for name, covered, words in self._versioned(aid):
                if name not in mentioned:
                    mentioned[name] = mentioned_versions(m.ticket.text, words)
                v = next((v for v in mentioned[name] if newer_than(v, covered)), None)
                if v is not None:
                    n = self.newer.setdefault((aid, name), Newer())
                    n.versions.add(v)
                    n.days[m.ticket.id] = m.day

    def _versioned(self, aid: str) -> list[tuple[str, tuple[int, ...], list[str]]]:
        found = self._products.get(aid)
        if found is None:
            a = self.kb.get(aid)
            found = [
                (p.name, covered_versions(p), self._words.get(p.name, []))
                for p in (a.products if a else ())
                if p.versions
            ]
            self._products[aid] = found
        return found

    # -- what the figures read -------------------------------------------------------------------
    def gap_tickets(self) -> dict[str, list[Match]]:
        """Per language, the most recent tickets with no good article, oldest first."""
        return {lang: [m for _, m in sorted(heap)] for lang, heap in sorted(self.pool.items())}

    def recent_texts(self) -> dict[str, list[str]]:
        """Per language, the most recent ticket texts, oldest first (what gap terms contrast)."""
        return {lang: [t for _, t in sorted(heap)] for lang, heap in sorted(self.recent.items())}

    def capped(self) -> dict[str, tuple[int, int]]:
        """Languages whose tickets with no good article passed the gap cap: (kept, all)."""
        return {
            lang: (len(self.pool.get(lang, [])), n)
            for lang, n in sorted(self.abstained.items())
            if n > len(self.pool.get(lang, []))
        }

    def unlinked_in(self, ids: set[str]) -> int:
        """Tickets kept for gaps that are not linked and whose id is in `ids`."""
        return sum(
            1 for heap in self.pool.values() for _, m in heap if not m.linked and m.ticket.id in ids
        )

    def id_count(self, among: Iterable[str] | None = None) -> int:
        """Distinct ticket ids in the window; with `among`, how many of those ids are in it."""
        import numpy as np

        seen = np.unique(np.frombuffer(self.ids, dtype=np.uint64)) if self.ids else np.zeros(0)
        if among is None:
            return len(seen)
        wanted = array("Q")
        for tid in among:
            digest = hashlib.blake2b(str(tid).encode("utf-8", "replace"), digest_size=8)
            wanted.append(int.from_bytes(digest.digest(), "little"))
        mine = np.unique(np.frombuffer(wanted, dtype=np.uint64)) if wanted else np.zeros(0)
        return int(np.isin(mine, seen).sum())

    def linked_total(self) -> int:
        """Tickets linked to an article."""
        return sum(self.linked.values())


def _keep(heap: list[tuple[Any, ...]], item: tuple[Any, ...], cap: int) -> None:
    """Keep the `cap` largest items (by their key) in a min-heap."""
    if len(heap) < cap:
        heapq.heappush(heap, item)
    elif cap and item[0] > heap[0][0]:
        heapq.heapreplace(heap, item)
