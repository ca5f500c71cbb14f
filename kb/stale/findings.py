"""What the staleness rules produce and read: a Finding, the rules' thresholds and their context."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from typing import TYPE_CHECKING, Any

from kb.core.article import Article
from kb.core.schema import Duration

if TYPE_CHECKING:
    import numpy as np

    from kb.core.collection import KnowledgeBase
    from kb.stale.gaps import Gap
    from kb.stale.history import GitHistory
    from kb.stale.matching import Match
    from kb.stale.tally import Tally

SEVERITIES = ("error", "warning", "info")
DEFAULT_INTERVAL = Duration(1, "y")


@dataclass
class Finding:
    """One problem: which article, which rule, how bad, what to do, and the evidence."""

    rule: str
    severity: str
    message: str
    article: str | None = None
    path: str | None = None
    lang: str | None = None
    evidence: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        """The JSON shape (see docs/stale.md)."""
        return asdict(self)


@dataclass(frozen=True)
class Limits:
    """Thresholds of the rules (docs/stale.md explains each)."""

    drift_recent_days: int = 90
    drift_min_tickets: int = 3
    drift_drop: float = 0.1
    version_min_tickets: int = 2
    unused_miss_chance: float = 0.05  # flag only when a used article had this little chance of 0
    duplicate_cosine: float = 0.92
    duplicate_min_words: int = 40  # articles with fewer words of body text are stubs: not compared
    duplicate_max_pairs: int = 25  # near-duplicate pairs listed, closest first; the rest counted
    feedback_min_votes: int = 5
    feedback_not_helpful: float = 0.5
    batch_min: int = 5


@dataclass
class Context:
    """Everything the rules read; `today` makes every run deterministic."""

    kb: KnowledgeBase
    today: dt.date
    since: dt.date | None = None
    matches: list[Match] | None = None  # the window's answers as a list (tests, small inputs)
    tally: Tally | None = None  # or folded as they streamed by (kb stale); one of the two
    vectors: dict[str, np.ndarray] | None = None  # article id -> unit vector
    history: GitHistory | None = None
    feedback: dict[str, dict[str, Any]] | None = None  # id -> {"helpful", "not_helpful", "reasons"}
    gaps: list[Gap] | None = None
    limits: Limits = field(default_factory=Limits)

    def finding(
        self, a: Article, rule: str, severity: str, message: str, **evidence: Any
    ) -> Finding:
        """A finding about article `a`."""
        return Finding(rule, severity, message, a.id, self.kb.display(a), a.lang, evidence)

    def ticket_tally(self) -> Tally | None:
        """The ticket window's figures: `tally`, else `matches` folded once; None without tickets."""
        if self.tally is None and self.matches is not None:
            from kb.stale.tally import Tally

            self.tally = Tally.of(self.matches, self.kb, self.today, self.limits.drift_recent_days)
        return self.tally

    @property
    def default_interval(self) -> Duration:
        """The site's default review interval (kb.defaults.review_every, else one year)."""
        value = self.kb.settings.defaults.get("review_every")
        return value if isinstance(value, Duration) else DEFAULT_INTERVAL


Rule = Callable[[Context], list[Finding]]
