"""`kb check`: validate the whole knowledge base at once."""

from __future__ import annotations

import argparse
import json
import sys

from kb.commands import load_settings
from kb.core.collection import KnowledgeBase
from kb.core.errors import ArticleError

HELP = "Validate every article and report each problem as path:line: field: message."


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Declare the options of `kb check`."""
    parser.add_argument(
        "path", nargs="?", default="mkdocs.yml", help="a mkdocs.yml or an articles folder"
    )
    parser.add_argument("--strict", action="store_true", help="treat warnings as failures")
    parser.add_argument("--format", choices=("text", "json"), default="text")


def extra_checks(kb: KnowledgeBase) -> list[ArticleError]:
    """Checks beyond the articles themselves (golden queries, published URLs) when their files exist."""
    from kb.authoring.templates import placeholder_problems
    from kb.site.checks import config_problems
    from kb.site.published import gone_urls

    problems: list[ArticleError] = config_problems(kb.settings)
    for article in kb.articles:
        for line, fld, message in placeholder_problems(article):
            problems.append(ArticleError(kb.display(article), line, fld, message, "warning"))
    if not kb.errors:  # an article that did not read would count as gone
        problems += gone_urls(kb)
    if kb.settings.queries_file.is_file() and not kb.errors:
        from kb.search.golden import check_golden_queries

        problems += check_golden_queries(kb)
    return problems


def run(args: argparse.Namespace) -> int:
    """Check the KB and print the problems; exit 1 on errors (or warnings with --strict)."""
    settings = load_settings(args.path)
    kb = KnowledgeBase.scan(settings)
    for problem in extra_checks(kb):
        (kb.errors if problem.is_error else kb.warnings).append(problem)
    failed = bool(kb.errors) or (args.strict and bool(kb.warnings))
    if args.format == "json":
        report = {
            "ok": not failed,
            "files": kb.files_checked,
            "articles": len(kb.articles),
            "errors": [e.to_dict() for e in kb.errors],
            "warnings": [w.to_dict() for w in kb.warnings],
        }
        print(json.dumps(report, indent=2, ensure_ascii=False))
    else:
        for problem in sorted(kb.errors + kb.warnings):
            print(problem)
        print(
            f"kb check: {kb.files_checked} files, {_count(len(kb.errors), 'error')}, "
            f"{_count(len(kb.warnings), 'warning')}",
            file=sys.stderr,
        )
    return 1 if failed else 0


def _count(n: int, word: str) -> str:
    return f"{n} {word}{'' if n == 1 else 's'}"
