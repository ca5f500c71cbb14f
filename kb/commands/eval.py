"""`kb eval`: measure keyword, embedding and hybrid ranking on labelled questions."""

from __future__ import annotations

import argparse
import dataclasses
import hashlib
import json
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from kb.commands import add_config_argument
from kb.core.errors import UsageError
from kb.core.settings import Settings

if TYPE_CHECKING:
    from kb.suggest.suggester import Mode, Suggester

HELP = "Measure Recall@1/5/10, MRR@10 and nDCG@10 per language for keyword, embedding and hybrid."


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Declare the options of `kb eval`."""
    parser.add_argument(
        "--queries",
        required=True,
        metavar="Q.jsonl",
        help='questions: {"id", "text", "gold", "lang"}',
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
    from kb.suggest.evalsets import load_queries
    from kb.suggest.evaluate import evaluate
    from kb.suggest.suggester import MODES

    modes = [m.strip() for m in args.modes.split(",") if m.strip()]
    bad = [m for m in modes if m not in MODES]
    if bad or not modes:
        raise UsageError(f"--modes: unknown {', '.join(bad) or 'none'} (use {', '.join(MODES)})")
    queries = load_queries(args.queries)
    suggester = _suggester(args)
    bar = None
    if sys.stderr.isatty():
        from kb.commands.suggest import Progress

        bar = Progress(len(queries))
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


def _settings(config: str, langs: tuple[str, ...]) -> Settings:
    """Settings for an evaluation set: the project's model settings, the set's languages."""
    base = Settings.load(config) if Path(config).exists() else Settings()
    # the set is a KB of its own: the project's model settings apply, its synonyms do not
    return dataclasses.replace(
        base,
        languages=langs,
        default_lang=langs[0],
        synonyms_file=base.kb_dir / "no-synonyms.yml",
        warnings=[],
    )


def _suggester(args: argparse.Namespace) -> Suggester:
    from kb.suggest.suggester import Suggester

    if not args.articles:
        from kb.commands import load_settings

        return Suggester.open(load_settings(args.config), internal=not args.public)
    from kb.search.searcher import index_in_memory
    from kb.suggest.embedders import embed_articles, settings_embedder
    from kb.suggest.evalsets import load_jsonl_kb
    from kb.suggest.suggester import SearcherRanker

    probe = load_jsonl_kb(args.articles)
    settings = _settings(args.config, probe.settings.languages)
    kb = load_jsonl_kb(args.articles, settings)
    embedder = settings_embedder(settings)
    path = Path(args.articles).resolve()
    namespace = "eval-" + hashlib.sha256(str(path).encode()).hexdigest()[:10]
    chunks = embed_articles(kb.articles, embedder, settings.cache_dir, namespace=namespace)
    return Suggester(
        kb.articles,
        keyword=SearcherRanker(index_in_memory(kb.articles, settings), internal=False),
        embedder=embedder,
        chunks=chunks,
        model_languages=settings.model_languages,
        languages=settings.languages,
        default_lang=settings.default_lang,
    )
