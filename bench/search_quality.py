"""Search quality on the evaluation sets: Recall@1/5/10 and MRR@10 per set (keyword search only).

Usage: python bench/search_quality.py [--data ../shared/evaldata] [--sets swefaq,nlfaq,...]
The Dutch set, nlfaq, is kept in this repository (evaldata/nlfaq); the others in ../shared.
A name of kb.suggest.evalsets.EVAL_SETS that is no folder (nlfaq-en, nlfaq-mixed, gnome-sv-en:
questions in one language, answers partly or only in English) is read from that table; only
its answerable questions count here.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

from kb.core.collection import KnowledgeBase
from kb.search.searcher import index_in_memory
from kb.suggest.evalsets import EVAL_SETS, Query, load_jsonl_kb, load_queries

DEFAULT_DATA = Path(__file__).resolve().parents[2] / "shared" / "evaldata"
OWN_DATA = Path(__file__).resolve().parents[1] / "evaldata"  # sets kept in this repository
BASELINE = {"swefaq": 0.55, "doc2dial": 0.60, "stackfaq": 0.80, "nlfaq": 0.67}
SETS = "swefaq,doc2dial,stackfaq,nlfaq,nlfaq-en,nlfaq-mixed,gnome-sv-en"


def load_set(name: str, data: Path) -> tuple[KnowledgeBase, list[Query]]:
    """A set's KB and answerable questions: a folder of data (or of evaldata/), else EVAL_SETS."""
    folder = data / name if (data / name).is_dir() else OWN_DATA / name
    if folder.is_dir() or name not in EVAL_SETS:
        return load_jsonl_kb(folder / "articles.jsonl"), load_queries(folder / "queries.jsonl")
    named = EVAL_SETS[name]
    return named.load(), [q for q in load_queries(name) if q.gold]


def evaluate(kb: KnowledgeBase, queries: list[Query]) -> dict[str, float]:
    """Index one set in memory, run its queries and return the metrics."""
    with index_in_memory(kb.articles, kb.settings) as searcher:
        r1 = r5 = r10 = mrr = 0.0
        started = time.perf_counter()
        for q in queries:
            ids = searcher.search(q.text, lang=q.lang, limit=10).ids()
            ranks = [ids.index(g) + 1 for g in q.gold if g in ids]
            best = min(ranks) if ranks else None
            r1 += best is not None and best <= 1
            r5 += best is not None and best <= 5
            r10 += best is not None
            mrr += 1 / best if best else 0.0
        elapsed = time.perf_counter() - started
    n = len(queries) or 1
    return {
        "articles": len(kb.articles),
        "queries": len(queries),
        "R@1": r1 / n,
        "R@5": r5 / n,
        "R@10": r10 / n,
        "MRR@10": mrr / n,
        "ms/query": 1000 * elapsed / n,
    }


def main() -> int:
    """Print a Markdown table of the metrics per set."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA)
    parser.add_argument("--sets", default=SETS)
    args = parser.parse_args()
    print("| set | articles | queries | R@1 | R@5 | R@10 | MRR@10 | baseline MRR@10 | ms/query |")
    print("| --- | --- | --- | --- | --- | --- | --- | --- | --- |")
    for name in args.sets.split(","):
        m = evaluate(*load_set(name, args.data))
        print(
            f"| {name} | {m['articles']} | {m['queries']} | {m['R@1']:.2f} | {m['R@5']:.2f} | "
            f"{m['R@10']:.2f} | {m['MRR@10']:.3f} | {BASELINE.get(name, float('nan')):.2f} | "
            f"{m['ms/query']:.1f} |"
        )
        sys.stdout.flush()
    return 0


if __name__ == "__main__":
    sys.exit(main())
