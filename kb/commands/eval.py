"""`kb eval`: measure keyword, embedding and hybrid ranking on labelled questions."""

from __future__ import annotations

import argparse
import json
import sys
from typing import TYPE_CHECKING

from kb.commands import add_config_argument, load_settings
from kb.commands._output import Progress
from kb.core.errors import UsageError

if TYPE_CHECKING:
    from kb.suggest.suggester import Mode, Suggester

HELP = "Measure Recall@1/5/10, MRR@10 and nDCG@10 per language for keyword, embedding and hybrid."


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Declare the options of `kb eval`."""
    parser.add_argument(
        "--set",
        dest="eval_set",
        metavar="NAME",
        help="a named evaluation set of this repository's evaldata/ (its articles, questions "
        "and languages): nlfaq, nlfaq-en, nlfaq-mixed, gnome-sv-en",
    )
    parser.add_argument(
        "--queries",
        action="extend",
        nargs="+",
        metavar="Q.jsonl",
        help='questions: {"id", "text", "gold", "lang"}; several files may follow; questions '
        "with an empty gold are off-topic and measure abstention",
    )
    parser.add_argument(
        "--articles",
        metavar="A.jsonl",
        help='articles {"id", "title", "body", "lang"} to use as the KB (default: the current KB)',
    )
    parser.add_argument(
        "--modes",
        default="keyword,embedding,hybrid",
        help="comma-separated modes to measure (default: all three)",
    )
    parser.add_argument(
        "--public", action="store_true", help="the customers' view of the current KB (no internal)"
    )
    parser.add_argument("--json", action="store_true", help="print the report as JSON")
    add_config_argument(parser)


def run(args: argparse.Namespace) -> int:
    """Load the questions and the KB, rank every question in every mode, print the table."""
    from kb.suggest.evalsets import EVAL_SETS, load_queries, named_set, open_eval_set
    from kb.suggest.evaluate import evaluate
    from kb.suggest.suggester import MODES, Suggester

    modes = [m.strip() for m in args.modes.split(",") if m.strip()]
    bad = [m for m in modes if m not in MODES]
    if bad or not modes:
        raise UsageError(f"--modes: unknown {', '.join(bad) or 'none'} (use {', '.join(MODES)})")
    if args.eval_set:
        if named_set(args.eval_set) is None:
            raise UsageError(
                f"--set: no evaluation set {args.eval_set} (use {', '.join(EVAL_SETS)})"
            )
        args.articles = args.articles or args.eval_set
        args.queries = args.queries or [args.eval_set]
    if not args.queries:
        raise UsageError("give --queries Q.jsonl or --set NAME")
    queries = [q for path in args.queries for q in load_queries(path)]
    if args.articles:
        suggester = open_eval_set(args.articles, args.config)
    else:
        suggester = Suggester.from_settings(load_settings(args.config), internal=not args.public)
    bar = Progress(len(queries)) if sys.stderr.isatty() else None
    chosen: list[Mode] = [m for m in MODES if m in modes]
    report = evaluate(suggester, queries, modes=chosen, progress=bar.update if bar else None)
    if bar:
        bar.close()
    if args.json:
        print(json.dumps(report.to_dict(), indent=2))
        return 0
    where = args.articles or "the current KB"
    print(
        f"kb eval: {len(queries) - report.skipped} questions over {len(suggester.articles)} "
        f"articles ({where}); model {_model(suggester)}, trusted for "
        f"{', '.join(sorted(suggester.model_languages)) or 'no language'}"
    )
    if report.skipped:
        print(f"kb eval: {report.skipped} questions skipped: their gold articles are not in the KB")
    print(report.table())
    return 0


def _model(suggester: Suggester) -> str:
    return getattr(suggester.embedder, "model_id", "none")
