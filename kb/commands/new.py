"""`kb new`: write a new, valid article from a template built from the schema."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from kb.authoring.new import create_article
from kb.commands import add_config_argument, load_settings
from kb.core.collection import KnowledgeBase
from kb.core.errors import UsageError, display_path
from kb.core.schema import TYPES
from kb.core.settings import Settings

HELP = "Write a new article (solution, faq, sop, troubleshooting) from a template."


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Declare the options of `kb new`."""
    parser.add_argument("type", nargs="?", choices=TYPES, help="kind of article")
    parser.add_argument("title", nargs="?", help="title of the article")
    parser.add_argument("--lang", help="language (default: the site's default language)")
    parser.add_argument("--category", help="category slug")
    parser.add_argument(
        "--translation-of", metavar="ID", help="start a translation of this article"
    )
    parser.add_argument("--department", help="department (SOPs)")
    parser.add_argument("--id", dest="article_id", help="id to use (default: from the title)")
    parser.add_argument("--from-ticket", metavar="FILE", help="ticket file to draft from")
    parser.add_argument("--ticket", metavar="ID", help="ticket id in --from-ticket")
    parser.add_argument("--from-gap", metavar="ID", help="content-gap cluster to draft from")
    parser.add_argument(
        "--tickets", dest="gap_tickets", metavar="FILE", help="ticket history for --from-gap"
    )
    add_config_argument(parser)


def run(args: argparse.Namespace) -> int:
    """Create the article file and print its path."""
    settings = load_settings(args.config)
    kb = KnowledgeBase.scan(settings)
    draft = _draft_from_source(args, settings, kb)
    kind = args.type or draft.get("type") or "solution"
    title = args.title or draft.get("title")
    if not title:
        raise UsageError('give a title: kb new TYPE "Title"')
    new = create_article(kb, kind, title, args, draft)
    print(f"kb new: wrote a {kind} draft ({new.id})", file=sys.stderr)
    print(display_path(new.path))
    return 0


def _draft_from_source(
    args: argparse.Namespace, settings: Settings, kb: KnowledgeBase
) -> dict[str, Any]:
    if args.from_ticket:
        if not args.ticket:
            raise UsageError("--from-ticket needs --ticket ID")
        from kb.authoring.drafts import draft_from_ticket

        return draft_from_ticket(Path(args.from_ticket), args.ticket, settings)
    if args.from_gap:
        from kb.authoring.drafts import draft_from_gap

        return draft_from_gap(args.from_gap, args.gap_tickets, settings, kb)
    return {}
