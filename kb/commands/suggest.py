"""`kb suggest`: articles for a ticket (text or stdin), or JSON Lines for a whole ticket export."""

from __future__ import annotations

import argparse
import json
import sys
from typing import IO, TYPE_CHECKING

from kb.commands import add_config_argument, load_settings
from kb.commands._output import Progress, suggestions_table
from kb.core.errors import UsageError

if TYPE_CHECKING:
    from kb.suggest.ahead import Ahead
    from kb.suggest.suggester import Suggester
    from kb.suggest.tickets import Ticket

HELP = "Suggest articles for a support ticket (text, stdin, or a helpdesk export with --tickets)."
BATCH = 64


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Declare the options of `kb suggest`."""
    parser.add_argument("text", nargs="?", help="the ticket text (default: read from stdin)")
    parser.add_argument(
        "--tickets", metavar="FILE", help="a CSV, JSON or JSONL ticket file: one JSON line each"
    )
    parser.add_argument(
        "--limit", "-k", type=int, default=5, metavar="K", help="suggestions per ticket (default 5)"
    )
    parser.add_argument("--json", action="store_true", help="print JSON instead of a table")
    parser.add_argument("--lang", help="the ticket's language (default: guessed from the text)")
    parser.add_argument(
        "--public",
        action="store_true",
        help="suggest public articles only (what a customer may see); default: agents' view",
    )
    parser.add_argument("--output", "-o", metavar="FILE", help="write to FILE instead of stdout")
    add_config_argument(parser)


def run(args: argparse.Namespace) -> int:
    """Open the suggester once, then answer one ticket or every ticket of a file."""
    if args.limit < 1:
        raise UsageError("--limit must be at least 1")
    if args.tickets and args.text:
        raise UsageError("give either ticket text or --tickets FILE, not both")
    settings = load_settings(args.config)
    if args.lang and args.lang not in settings.languages:
        raise UsageError(f"--lang {args.lang!r} is not one of: {', '.join(settings.languages)}")
    text, lang, ahead, embedder = "", "", None, None
    if not args.tickets:
        from kb.core.lang import guess_lang
        from kb.suggest.ahead import Ahead
        from kb.suggest.cleaning import clean_text
        from kb.suggest.embedders import settings_embedder

        text = clean_text(args.text if args.text is not None else _stdin())
        if not text.strip():
            raise UsageError('give the ticket text: kb suggest "text", on stdin, or --tickets FILE')
        lang = args.lang or guess_lang(text, settings.languages, settings.default_lang)
        # the ticket is embedded by a second process while this one loads the KB and searches
        embedder = settings_embedder(settings)  # one, for this process and the child
        ahead = Ahead.start(settings, embedder, text, lang)
    try:
        from kb.suggest.suggester import Suggester

        suggester = Suggester.from_settings(settings, internal=not args.public, embedder=embedder)
        out: IO[str] = open(args.output, "w", encoding="utf-8") if args.output else sys.stdout  # noqa: SIM115
        try:
            if args.tickets:
                return _batch(suggester, args, out)
            return _single(suggester, text, lang, ahead, args, out)
        finally:
            if out is not sys.stdout:
                out.close()
    finally:
        if ahead is not None:
            ahead.close()


def _stdin() -> str:
    if sys.stdin is None or sys.stdin.isatty():
        raise UsageError('give the ticket text: kb suggest "text", on stdin, or --tickets FILE')
    return sys.stdin.read()


def _single(
    suggester: Suggester,
    text: str,
    lang: str,
    ahead: Ahead | None,
    args: argparse.Namespace,
    out: IO[str],
) -> int:
    vector = ahead.vector if ahead is not None else None
    result = suggester.suggest(text, lang=lang, k=args.limit, ahead=vector)
    if args.json:
        print(json.dumps(result.to_dict(), ensure_ascii=False, indent=2), file=out)
    else:
        print(suggestions_table(result), file=out)
    return 0


def _batch(suggester: Suggester, args: argparse.Namespace, out: IO[str]) -> int:
    from kb.suggest.tickets import read_tickets

    tf = read_tickets(args.tickets)
    for error in tf.errors:
        print(f"kb suggest: {error}", file=sys.stderr)
    bar = Progress(len(tf.tickets)) if sys.stderr.isatty() else None
    done = 0
    for start in range(0, len(tf.tickets), BATCH):
        chunk: list[Ticket] = tf.tickets[start : start + BATCH]
        results = suggester.suggest_many(
            [t.text for t in chunk], [args.lang or t.lang for t in chunk], k=args.limit
        )
        for ticket, result in zip(chunk, results, strict=True):
            print(json.dumps(result.to_dict(ticket=ticket.id), ensure_ascii=False), file=out)
        out.flush()
        done += len(chunk)
        if bar:
            bar.update(done)
    if bar:
        bar.close()
    print(
        f"kb suggest: {len(tf.tickets)} tickets, {len(tf.errors)} bad rows skipped",
        file=sys.stderr,
    )
    return 1 if tf.errors else 0
