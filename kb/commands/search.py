"""`kb search`: search the index the way customers (or, with --internal, agents) do."""

from __future__ import annotations

import argparse
import html
import json
import re
import sys

from kb.commands import add_config_argument, load_settings
from kb.core.errors import UsageError

HELP = "Search the knowledge base: public articles, or everything published with --internal."
MARK = re.compile(r"<mark>(.*?)</mark>")


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Declare the options of `kb search`."""
    parser.add_argument("query", nargs="+", help="what to look for")
    parser.add_argument("--lang", help="search one language only (default: all)")
    parser.add_argument("--limit", type=int, default=10, help="number of hits (default: 10)")
    parser.add_argument(
        "--internal", action="store_true", help="agents' search: include internal articles"
    )
    parser.add_argument("--category", help="only articles in this category")
    parser.add_argument("--tag", help="only articles with this tag")
    parser.add_argument("--product", help="only articles about this product")
    parser.add_argument("--json", action="store_true", help="print the results as JSON")
    add_config_argument(parser)


def plain_snippet(snippet: str, bold: bool) -> str:
    """Turn a snippet's <mark> into terminal bold (or [brackets]) and unescape it."""
    marked = MARK.sub(r"\033[1m\1\033[0m" if bold else r"[\1]", snippet)
    return html.unescape(marked)


def run(args: argparse.Namespace) -> int:
    """Search and print a table of hits (or JSON); exit 1 when nothing was found."""
    from kb.search.searcher import open_searcher

    if args.limit < 1:
        raise UsageError("--limit must be at least 1")
    settings = load_settings(args.config)
    query = " ".join(args.query)
    with open_searcher(settings) as searcher:
        results = searcher.search(
            query,
            lang=args.lang,
            limit=args.limit,
            internal=args.internal,
            category=args.category,
            tag=args.tag,
            product=args.product,
        )
    if args.json:
        print(json.dumps(results.to_dict(), indent=2, ensure_ascii=False))
        return 0 if results.hits else 1
    bold = sys.stdout.isatty()
    if results.did_you_mean:
        print(f"Did you mean: {results.did_you_mean}")
    if not results.hits:
        print(f"No results for '{query}'.")
        return 1
    for n, hit in enumerate(results.hits, 1):
        print(f"{n:>2}. {hit.title}  ({hit.id} · {hit.lang} · {hit.score:.2f})")
        print(f"    {plain_snippet(hit.snippet, bold)}")
    if results.used_fallback:
        print("(no article has every word; showing articles with some of them)")
    return 0
