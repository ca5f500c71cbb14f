"""`kb index`: build or update the search indexes in .kb/index."""

from __future__ import annotations

import argparse
import json

from kb.commands import add_config_argument, load_settings
from kb.core.collection import KnowledgeBase
from kb.core.errors import display_path

HELP = "Build or update the search index (.kb/index); only changed articles are re-indexed."


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Declare the options of `kb index`."""
    parser.add_argument("--full", action="store_true", help="rebuild everything from scratch")
    parser.add_argument("--json", action="store_true", help="print the report as JSON")
    add_config_argument(parser)


def run(args: argparse.Namespace) -> int:
    """Load the KB, update the index and print what changed."""
    from kb.search.index import build_index

    settings = load_settings(args.config)
    kb = KnowledgeBase.load(settings)
    report = build_index(kb, settings, full=args.full)
    if args.json:
        data = {
            "added": report.added,
            "updated": report.updated,
            "removed": report.removed,
            "unchanged": report.unchanged,
            "full": report.full,
            "generation": report.generation,
            "seconds": round(report.seconds, 3),
            "path": display_path(settings.index_dir),
        }
        print(json.dumps(data, indent=2))
    else:
        print(f"kb index: {display_path(settings.index_dir)}: {report}")
    return 0
