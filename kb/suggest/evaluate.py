"""Retrieval metrics (Recall@k, MRR@k, nDCG@k) and the evaluation behind `kb eval`."""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from kb.suggest.suggester import Mode, Suggester

CUTOFFS = (1, 5, 10)
METRICS = ("R@1", "R@5", "R@10", "MRR@10", "nDCG@10")


def recall_at(ranked: Sequence[str], gold: Iterable[str], k: int) -> float:
    """Share of the gold articles found in the first k (1.0 when any-of-one gold is there)."""
    gold = set(gold)
    if not gold:
        return 0.0
    return len(gold & set(ranked[:k])) / len(gold)


def mrr_at(ranked: Sequence[str], gold: Iterable[str], k: int = 10) -> float:
    """Reciprocal rank of the first gold article within the first k (0 when none)."""
    gold = set(gold)
    for i, aid in enumerate(ranked[:k], 1):
        if aid in gold:
            return 1.0 / i
    return 0.0


def ndcg_at(ranked: Sequence[str], gold: Iterable[str], k: int = 10) -> float:
    """Normalised discounted cumulative gain with binary relevance."""
    gold = set(gold)
    if not gold:
        return 0.0
    dcg = sum(1.0 / math.log2(i + 1) for i, aid in enumerate(ranked[:k], 1) if aid in gold)
    ideal = sum(1.0 / math.log2(i + 1) for i in range(1, min(len(gold), k) + 1))
    return dcg / ideal


def query_metrics(ranked: Sequence[str], gold: Iterable[str]) -> dict[str, float]:
    """Every metric of one query."""
    gold = list(gold)
    out = {f"R@{k}": recall_at(ranked, gold, k) for k in CUTOFFS}
    out["MRR@10"] = mrr_at(ranked, gold, 10)
    out["nDCG@10"] = ndcg_at(ranked, gold, 10)
    return out


@dataclass
class Score:
    """Mean metrics of one mode over the queries of one language."""

    mode: str
    lang: str
    queries: int = 0
    sums: dict[str, float] = field(default_factory=lambda: defaultdict(float))

    def add(self, metrics: dict[str, float]) -> None:
        """Count one query."""
        self.queries += 1
        for k, v in metrics.items():
            self.sums[k] += v

    def mean(self, metric: str) -> float:
        """Mean of one metric."""
        return self.sums[metric] / self.queries if self.queries else 0.0

    def to_dict(self) -> dict[str, Any]:
        """JSON shape: mode, lang, queries and each metric."""
        return {
            "mode": self.mode,
            "lang": self.lang,
            "queries": self.queries,
            **{m: round(self.mean(m), 4) for m in METRICS},
        }


@dataclass
class Report:
    """The result of an evaluation: a Score per (language, mode), plus abstention figures."""

    scores: dict[tuple[str, str], Score] = field(default_factory=dict)
    abstain: dict[str, dict[str, float]] = field(default_factory=dict)
    skipped: int = 0

    def score(self, lang: str, mode: str) -> Score:
        """The Score of one language and mode (created on first use)."""
        return self.scores.setdefault((lang, mode), Score(mode, lang))

    def table(self) -> str:
        """The report as a Markdown table, one row per language and mode."""
        rows = ["| lang | mode | queries | " + " | ".join(METRICS) + " |"]
        rows.append("| --- | --- | --- |" + " --- |" * len(METRICS))
        for (_, _), s in sorted(self.scores.items(), key=_order):
            values = " | ".join(f"{s.mean(m):.3f}" for m in METRICS)
            rows.append(f"| {s.lang} | {s.mode} | {s.queries} | {values} |")
        if self.abstain:
            rows.append("")
            rows.append("| lang | abstains on a correct top answer | abstains when it is not |")
            rows.append("| --- | --- | --- |")
            for lang, a in sorted(self.abstain.items()):
                rows.append(f"| {lang} | {a['answerable']:.1%} | {a['unanswerable']:.1%} |")
        return "\n".join(rows)

    def to_dict(self) -> dict[str, Any]:
        """JSON shape of the report."""
        return {
            "scores": [s.to_dict() for _, s in sorted(self.scores.items(), key=_order)],
            "abstention": self.abstain,
            "skipped_queries": self.skipped,
        }


MODE_ORDER = {"keyword": 0, "embedding": 1, "hybrid": 2}


def _order(item: tuple[tuple[str, str], Score]) -> tuple[str, int]:
    (lang, mode), _ = item
    return (lang, MODE_ORDER.get(mode, 9))


def evaluate(
    suggester: Suggester,
    queries: Sequence[Any],
    modes: Sequence[Mode] = ("keyword", "embedding", "hybrid"),
    progress: Callable[[int], None] | None = None,
) -> Report:
    """Rank every query in every mode and average the metrics per language (and overall)."""
    report = Report()
    known = set(suggester.position)
    usable = [q for q in queries if set(q.gold) & known]
    report.skipped = len(queries) - len(usable)
    vecs = suggester.encode([q.text for q in usable]) if set(modes) - {"keyword"} else None
    langs = {q.lang for q in usable}
    counts: dict[str, list[int]] = defaultdict(lambda: [0, 0, 0, 0])
    for n, q in enumerate(usable):
        lang = q.lang or suggester.default_lang
        qvec = None if vecs is None else vecs[n]
        for mode in modes:
            ranked = suggester.rank(q.text, mode=mode, lang=lang, qvec=qvec)
            ids = [suggester.articles[c.index].id for c in ranked[:10]]
            metrics = query_metrics(ids, q.gold)
            report.score(lang, mode).add(metrics)
            if len(langs) > 1:
                report.score("all", mode).add(metrics)
            if mode == "hybrid":
                _count_abstention(suggester, ranked, set(q.gold), counts[lang])
        if progress:
            progress(n + 1)
    for lang, (ans, ans_abst, unans, unans_abst) in counts.items():
        report.abstain[lang] = {
            "answerable": ans_abst / ans if ans else 0.0,
            "unanswerable": unans_abst / unans if unans else 0.0,
        }
    return report


def _count_abstention(
    suggester: Suggester, ranked: Sequence[Any], gold: set[str], c: list[int]
) -> None:
    """Abstention with the answer in the KB, and as if it were not (gold articles left out)."""
    threshold = suggester.fusion.abstain_below
    ids = [suggester.articles[x.index].id for x in ranked]
    if ranked and ids[0] in gold:
        c[0] += 1
        c[1] += ranked[0].confidence < threshold
    rest = [x for x, aid in zip(ranked, ids, strict=True) if aid not in gold]
    c[2] += 1
    c[3] += not rest or rest[0].confidence < threshold
