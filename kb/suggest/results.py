"""What the suggester gives: a scored candidate, a suggestion with its reasons, a ticket's answer."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass
class Candidate:
    """An article scored for one ticket."""

    index: int  # into Suggester.articles
    score: float = 0.0  # the ranking score of the mode
    keyword: float = 0.0  # raw keyword score (0 when not a keyword hit)
    keyword_rank: int | None = None
    semantic: float = 0.0  # best section cosine
    similarity: float = 0.0  # that cosine calibrated: above the ticket's mean, in [0, 1]
    semantic_rank: int = 1_000_000
    chunk: int = -1
    matched_terms: tuple[str, ...] = ()
    confidence: float = 0.0


@dataclass
class Suggestion:
    """A suggested article with the reasons it was suggested."""

    id: str
    title: str
    url: str
    score: float
    reasons: dict[str, Any]

    def to_dict(self) -> dict[str, Any]:
        """The JSON shape: id, title, url, score, reasons."""
        return {
            "id": self.id,
            "title": self.title,
            "url": self.url,
            "score": self.score,
            "reasons": self.reasons,
        }


@dataclass
class Suggestions:
    """The answer for one ticket: ranked suggestions, or an abstention with the weak candidates."""

    abstained: bool
    suggestions: list[Suggestion] = field(default_factory=list)
    lang: str = ""

    def to_dict(self, ticket: str | None = None) -> dict[str, Any]:
        """The JSON Lines record of `kb suggest --tickets`."""
        out: dict[str, Any] = {} if ticket is None else {"ticket": ticket}
        out["abstained"] = self.abstained
        out["suggestions"] = [s.to_dict() for s in self.suggestions]
        return out
