"""`kb serve`: the built help site plus the HTTP API; `--live` previews the site with live reload."""

from __future__ import annotations

import argparse
import logging
import sys
from typing import TYPE_CHECKING, Any

from kb.commands import add_config_argument, load_settings
from kb.core.errors import UsageError

if TYPE_CHECKING:
    pass

HELP = "Serve the built site and the HTTP API (search, suggest, webhooks, feedback)."


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Declare the options of `kb serve`."""
    add_config_argument(parser)
    parser.add_argument("--host", default="127.0.0.1", help="address to listen on")
    parser.add_argument("--port", type=int, default=8000, help="port to listen on")
    parser.add_argument(
        "--live",
        action="store_true",
        help="preview the site with live reload instead (mkdocs serve; no API)",
    )
    parser.add_argument(
        "--internal", action="store_true", help="with --live: preview the agents' site"
    )
    parser.add_argument(
        "--cors-origin",
        action="append",
        default=[],
        metavar="ORIGIN",
        help="an origin allowed to call the API from a browser, e.g. https://help.example.com "
        "(repeatable; default: the origin of site_url)",
    )
    parser.add_argument(
        "--rate-limit",
        default="10/s",
        metavar="RATE",
        help="requests per client to search, suggest and webhooks without a token "
        "(e.g. 10/s, 600/min, off; default 10/s, bursts of 3 s worth)",
    )
    parser.add_argument(
        "--feedback-rate",
        default="60/min",
        metavar="RATE",
        help="feedback votes per client (default 60/min)",
    )
    parser.add_argument(
        "--wait-for-model",
        action="store_true",
        help="load the model before answering (default: answer at once, suggestions by "
        "keywords until the model is in)",
    )
    parser.add_argument(
        "--max-body", type=int, default=64, metavar="KB", help="largest request body (default 64)"
    )
    parser.add_argument(
        "--max-pending",
        type=int,
        default=64,
        metavar="N",
        help="suggest calls allowed in progress; more get 503 'busy' (default 64)",
    )
    parser.add_argument(
        "--workers",
        type=int,
        default=1,
        metavar="N",
        help="server processes, each with its own index and model (default 1; rate limits are "
        "shared between them, --max-pending counts per process)",
    )
    parser.add_argument(
        "--no-model",
        action="store_true",
        help="suggest by keywords only (skip loading the embedding model)",
    )
    parser.add_argument(
        "--proxy",
        default="",
        metavar="IPS",
        help="trust X-Forwarded-For from these proxy addresses (comma-separated) for rate limits",
    )


def run(args: argparse.Namespace) -> int:
    """Serve until interrupted."""
    settings = load_settings(args.config)
    if args.live:
        from kb.site.build import serve

        serve(settings, args.host, args.port, internal=args.internal)
        return 0
    if args.internal:
        raise UsageError("--internal only applies to --live; the API takes a bearer token instead")

    from kb.server.app import create_app
    from kb.server.options import ServerOptions, default_origins
    from kb.server.ratelimit import parse_rate

    if args.max_body < 1:
        raise UsageError("--max-body: must be at least 1 (KB)")
    if args.workers < 1:
        raise UsageError("--workers: must be at least 1")
    feedback = parse_rate(args.feedback_rate)
    options = ServerOptions(
        max_body=args.max_body * 1024,
        cors_origins=args.cors_origin or default_origins(settings.site_url),
        rates={
            "api": parse_rate(args.rate_limit),
            "feedback": parse_rate(args.feedback_rate, burst=max(1.0, feedback.per_second * 10)),
        },
        with_model=not args.no_model,
        model_in_background=not args.wait_for_model,
        max_pending=max(1, args.max_pending),
    )
    where = (
        f"kb serve: http://{args.host}:{args.port}/ (API at /api/, "
        f"description at /api/openapi.json); Ctrl+C stops"
    )
    common: dict[str, Any] = {
        "host": args.host,
        "port": args.port,
        "log_level": "info" if logging.getLogger().isEnabledFor(logging.INFO) else "warning",
        "proxy_headers": bool(args.proxy),
        "forwarded_allow_ips": args.proxy or None,
        "access_log": False,
    }
    if args.workers > 1:
        from kb.server.workers import run_workers

        print(
            f"kb serve: {args.workers} workers loading {settings.docs_dir} (each its own model) ...",
            file=sys.stderr,
        )
        print(where, file=sys.stderr)
        run_workers(settings, options, args.config, args.workers, common)
        return 0
    print(f"kb serve: loading {settings.docs_dir} ...", file=sys.stderr)
    app = create_app(settings, options)
    snap = app.state.holder.current
    for problem in snap.problems:
        print(f"kb serve: warning: {problem}", file=sys.stderr)
    print(where, file=sys.stderr)
    from kb.server import serving

    serving.run(app, **common)  # uvicorn with kb's header and body timeouts
    return 0
