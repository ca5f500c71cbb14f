"""`kb stale`: find stale content and content gaps from review dates, git, tickets and feedback."""

from __future__ import annotations

import argparse
import datetime as dt
import sys
from pathlib import Path

from kb.commands import add_config_argument, load_settings
from kb.core.collection import KnowledgeBase
from kb.core.errors import UsageError, display_path

HELP = "Report stale articles, outdated translations, ticket drift, content gaps and KCS figures."


def _date(value: str) -> dt.date:
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a date as YYYY-MM-DD, got {value!r}") from None


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Declare the options of `kb stale`."""
    parser.add_argument("--tickets", metavar="FILE", help="ticket history (CSV, JSON or JSONL)")
    parser.add_argument("--since", type=_date, metavar="DATE", help="only tickets from this date")
    parser.add_argument(
        "--today", type=_date, metavar="DATE", help="the date to judge by (default: today)"
    )
    parser.add_argument(
        "--format",
        choices=("text", "json", "html", "markdown"),
        default="text",
        help="a table (default), JSON, one HTML page, or a Markdown summary to post",
    )
    parser.add_argument("--output", "-o", metavar="FILE", help="write the report to FILE")
    parser.add_argument(
        "--strict", action="store_true", help="exit 1 when any finding has severity error"
    )
    parser.add_argument(
        "--min-confidence",
        type=float,
        metavar="X",
        help="also count suggestions below this confidence as 'no good article'",
    )
    parser.add_argument(
        "--no-duplicates",
        action="store_true",
        help="skip the near-duplicate check (it embeds every article)",
    )
    parser.add_argument(
        "--dask",
        metavar="ADDRESS",
        help="answer tickets on Dask workers: a scheduler (tcp://host:8786), local or local:N",
    )
    parser.add_argument(
        "--partition-size",
        type=_positive,
        metavar="N",
        help="tickets per partition sent to a Dask worker (default 1000)",
    )
    add_config_argument(parser)


def _positive(value: str) -> int:
    if not value.isdigit() or int(value) < 1:
        raise argparse.ArgumentTypeError(f"expected a whole number of 1 or more, got {value!r}")
    return int(value)


def run(args: argparse.Namespace) -> int:
    """Gather the signals, run the rules, print or write the report."""
    from kb.stale.report import article_info, render
    from kb.stale.run import analyse

    settings = load_settings(args.config)
    if args.tickets and not Path(args.tickets).is_file():
        raise UsageError(f"--tickets: {args.tickets}: no such file")
    if args.partition_size and not args.dask:
        raise UsageError("--partition-size needs --dask")
    if args.since and args.today and args.since > args.today:
        raise UsageError(f"--since {args.since} is after --today {args.today}")
    kb = KnowledgeBase.load(settings)
    res = analyse(
        settings,
        kb,
        tickets_file=args.tickets,
        since=args.since,
        today=args.today,
        min_confidence=args.min_confidence,
        duplicates=not args.no_duplicates,
        dask=args.dask,
        partition_size=args.partition_size,
    )
    text = render(res, len(kb.articles), args.format, settings.site_name, article_info(kb))
    if args.output:
        out = Path(args.output)
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_text(text, encoding="utf-8")
        print(f"kb stale: wrote {display_path(out)}", file=sys.stderr)
    else:
        sys.stdout.write(text)
    for e in res.ticket_errors[:5]:
        print(f"kb stale: skipped ticket row: {e}", file=sys.stderr)
    if res.ticket_error_count > 5:
        print(f"kb stale: … and {res.ticket_error_count - 5} more bad rows", file=sys.stderr)
    return 1 if args.strict and res.counts()["error"] else 0
