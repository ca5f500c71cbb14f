"""What commands draw on a terminal: aligned tables and a progress bar."""

from __future__ import annotations

import sys
from collections.abc import Sequence
from typing import IO, TYPE_CHECKING, Any

if TYPE_CHECKING:
    from kb.suggest.suggester import Suggestions


class Progress:
    """A one-line progress bar on stderr (only drawn on a terminal)."""

    def __init__(self, total: int, stream: IO[str] | None = None) -> None:
        self.total = max(total, 1)
        self.stream = stream or sys.stderr

    def update(self, done: int) -> None:
        """Redraw the bar."""
        width = 30
        filled = int(width * done / self.total)
        self.stream.write(f"\r[{'#' * filled}{'.' * (width - filled)}] {done}/{self.total} tickets")
        self.stream.flush()

    def close(self) -> None:
        """End the bar's line."""
        self.stream.write("\n")
        self.stream.flush()


def columns(rows: Sequence[Sequence[str]]) -> list[str]:
    """Rows of cells as lines: every column but the last padded to its widest cell, two apart."""
    width = [max(len(r[i]) for r in rows) for i in range(len(rows[0]) - 1)] if rows else []
    return ["  ".join([*(c.ljust(w) for c, w in zip(r, width, strict=False)), r[-1]]) for r in rows]


def suggestions_table(result: Suggestions) -> str:
    """The suggestions for one ticket as a terminal table with the reasons."""
    lines = []
    if result.abstained:
        lines.append("No good article for this ticket. Weakest guesses, for reference:")
    if not result.suggestions:
        return "No articles to suggest."
    rows = [("#", "score", "article", "why")]
    for n, s in enumerate(result.suggestions, 1):
        rows.append((str(n), f"{s.score:.2f}", f"{s.title} ({s.id})", _why(s.reasons)))
    lines += columns(rows)
    for n, s in enumerate(result.suggestions, 1):
        lines.append(f"  {n}. {s.reasons.get('section_url') or s.url}")
    return "\n".join(lines)


def _why(reasons: dict[str, Any]) -> str:
    parts = []
    if reasons.get("matched_terms"):
        parts.append("words: " + ", ".join(reasons["matched_terms"][:6]))
    if reasons.get("section"):
        parts.append(f"section: {reasons['section']}")
    parts.append(f"meaning {reasons.get('semantic_score', 0):.2f}")
    return "; ".join(parts)
