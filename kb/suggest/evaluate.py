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
            rows.append(
                "| lang | off-topic questions | abstention precision | abstention recall "
                "| abstains on a right first answer | abstains with the answer left out |"
            )
            rows.append("| --- | --- | --- | --- | --- | --- |")
            for lang, a in sorted(self.abstain.items()):
                off = int(a["off_topic"])
                p, r = (f"{a['precision']:.1%}", f"{a['recall']:.1%}") if off else ("–", "–")
                rows.append(
                    f"| {lang} | {off} | {p} | {r} | {a['answerable']:.1%} "
                    f"| {a['unanswerable']:.1%} |"
                )
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
    """Rank every query in every mode and average the metrics per language (and overall).

    Queries with an empty `gold` are off-topic: no article answers them. They count only for
    abstention (hybrid), whose precision and recall per language are in `Report.abstain`.
    """
    report = Report()
    known = set(suggester.position)
    usable = [q for q in queries if not q.gold or set(q.gold) & known]
    report.skipped = len(queries) - len(usable)
    texts, qlangs = [q.text for q in usable], [q.lang or suggester.default_lang for q in usable]
    vecs = suggester.encode(texts, qlangs) if set(modes) - {"keyword"} else None
    langs = {q.lang for q in usable if q.gold}
    counts: dict[str, Counts] = defaultdict(Counts)
    for n, q in enumerate(usable):
        lang = qlangs[n]
        qvec = None if vecs is None else vecs[n]
        for mode in modes:
            if not q.gold and mode != "hybrid":
                continue
            ranked = suggester.rank(q.text, mode=mode, lang=lang, qvec=qvec)
            if mode == "hybrid":
                counts[lang].add(suggester, ranked, set(q.gold), lang)
            if not q.gold:
                continue
            ids = [suggester.articles[c.index].id for c in ranked[:10]]
            metrics = query_metrics(ids, q.gold)
            report.score(lang, mode).add(metrics)
            if len(langs) > 1:
                report.score("all", mode).add(metrics)
        if progress:
            progress(n + 1)
    report.abstain = {lang: c.figures() for lang, c in counts.items()}
    return report


@dataclass
class Counts:
    """Abstention counts of one language."""

    right: int = 0  # answerable questions whose first suggestion is right
    right_abstained: int = 0
    answerable_abstained: int = 0  # abstentions on answerable questions (right or not)
    off_topic: int = 0  # questions no article answers
    off_topic_abstained: int = 0
    left_out: int = 0  # answerable questions, asked as if their gold articles were missing
    left_out_abstained: int = 0

    def add(self, suggester: Suggester, ranked: Sequence[Any], gold: set[str], lang: str) -> None:
        """Count one question's hybrid ranking."""
        abstains = suggester.abstains(next(iter(ranked), None), lang)
        if not gold:
            self.off_topic += 1
            self.off_topic_abstained += abstains
            return
        ids = [suggester.articles[x.index].id for x in ranked]
        self.answerable_abstained += abstains
        if ranked and ids[0] in gold:
            self.right += 1
            self.right_abstained += abstains
        rest = [x for x, aid in zip(ranked, ids, strict=True) if aid not in gold]
        self.left_out += 1
        self.left_out_abstained += suggester.abstains(next(iter(rest), None), lang)

    def figures(self) -> dict[str, float]:
        """Rates: abstention precision and recall on off-topic questions, and its costs."""
        abstained = self.off_topic_abstained + self.answerable_abstained
        return {
            "off_topic": self.off_topic,
            "precision": self.off_topic_abstained / abstained if abstained else 1.0,
            "recall": self.off_topic_abstained / self.off_topic if self.off_topic else 0.0,
            "answerable": self.right_abstained / self.right if self.right else 0.0,
            "unanswerable": self.left_out_abstained / self.left_out if self.left_out else 0.0,
        }
