"""`kb import`: move articles in from Zendesk Guide, Freshdesk, a Markdown site or HTML pages."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from kb.authoring.importers import SOURCES, run_import
from kb.core.errors import display_path

if TYPE_CHECKING:
    from kb.authoring.importers.write import Result

HELP = "Import articles from Zendesk, Freshdesk, a Jekyll/Hugo/MkDocs site or HTML pages."


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Declare the options of `kb import`."""
    parser.add_argument("source", choices=SOURCES, help="what the export comes from")
    parser.add_argument(
        "export", help="the export: a JSON file or folder of them, or the site's folder"
    )
    parser.add_argument(
        "--into", default=".", metavar="DIR", help="the KB folder (made when it has no mkdocs.yml)"
    )
    parser.add_argument("--name", help="the site name of a new KB")
    parser.add_argument(
        "--lang", metavar="CODE", help="the language of articles the export gives none (Freshdesk)"
    )
    parser.add_argument(
        "--dry-run", action="store_true", help="report what would be imported; write nothing"
    )
    parser.add_argument("--report", metavar="FILE", help="also write the report to FILE")


def run(args: argparse.Namespace) -> int:
    """Import, store the votes, print one report line per article and problem."""
    target = Path(args.into)
    result = run_import(
        args.source,
        Path(args.export),
        target,
        name=args.name,
        dry_run=args.dry_run,
        lang=args.lang,
    )
    if result.votes and not args.dry_run:
        result.lines += store_votes(target, args.source, result)
    for line in result.lines:
        print(line)
    if args.report:
        Path(args.report).write_text("\n".join(result.lines) + "\n", encoding="utf-8")
    verb = "would import" if args.dry_run else "imported"
    print(
        f"kb import: {verb} {result.added + result.updated + result.unchanged} articles "
        f"({result.added} new, {result.updated} updated, {result.unchanged} unchanged), "
        f"{result.skipped} skipped",
        file=sys.stderr,
    )
    if not args.dry_run:
        where = display_path(target)
        go = "" if where in (".", "") else f"cd {where} && "
        print(
            f"next: {go}kb check --strict, then commit the import and list that commit in "
            ".git-blame-ignore-revs (git rev-parse HEAD >> .git-blame-ignore-revs) so kb stale "
            "keeps each article's own dates",
            file=sys.stderr,
        )
    return 0


def store_votes(target: Path, source: str, result: Result) -> list[str]:
    """The export's votes into the KB's feedback store, replacing those of an earlier import."""
    from kb.core.settings import Settings
    from kb.server.feedback import open_store

    settings = Settings.load(target / "mkdocs.yml")
    with open_store(settings) as store:
        for article, lang, up, down, when in result.votes:
            store.replace_imported(article, source, up, down, lang=lang, when=when)
    total = sum(up + down for _, _, up, down, _ in result.votes)
    shown = display_path(settings.layout.feedback)
    return [f"{shown}:1: votes: {total} votes on {len(result.votes)} articles kept as history"]
