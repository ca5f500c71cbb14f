"""`kb serve`: the built help site plus the HTTP API; `--live` previews the site with live reload."""

from __future__ import annotations

import argparse
import json
import logging
import os
import sys
from typing import TYPE_CHECKING, Any

from kb.commands import add_config_argument, load_settings
from kb.core.errors import UsageError

if TYPE_CHECKING:
    from kb.core.settings import Settings
    from kb.server.app import ServerOptions

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


def default_origins(site_url: str) -> list[str]:
    """The origin of the site's URL, the one browser origin allowed by default."""
    from urllib.parse import urlsplit

    parts = urlsplit(site_url)
    return [f"{parts.scheme}://{parts.netloc}"] if parts.scheme and parts.netloc else []


def run(args: argparse.Namespace) -> int:
    """Serve until interrupted."""
    settings = load_settings(args.config)
    if args.live:
        from kb.site.plugin import serve

        serve(settings, args.host, args.port, internal=args.internal)
        return 0
    if args.internal:
        raise UsageError("--internal only applies to --live; the API takes a bearer token instead")
    import uvicorn

    from kb.server.app import ServerOptions, create_app
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
        return _run_workers(args, settings, options, where, common)
    print(f"kb serve: loading {settings.docs_dir} ...", file=sys.stderr)
    app = create_app(settings, options)
    snap = app.state.holder.current
    for problem in snap.problems:
        print(f"kb serve: warning: {problem}", file=sys.stderr)
    print(where, file=sys.stderr)
    uvicorn.run(app, **common)
    return 0


def _run_workers(
    args: argparse.Namespace,
    settings: Settings,
    options: ServerOptions,
    where: str,
    common: dict[str, Any],
) -> int:
    """Run `args.workers` processes on one socket; each builds its app through worker_app()."""
    import uvicorn

    from kb.server.app import WORKER_ENV
    from kb.server.ratelimit import SharedBuckets
    from kb.server.snapshot import pid_alive

    serve_dir = settings.kb_dir / "serve"
    for stale in serve_dir.glob("ratelimit-*.bin"):  # left by a server that was killed
        pid = stale.stem.rpartition("-")[2]
        if pid.isdigit() and not pid_alive(int(pid)):
            stale.unlink(missing_ok=True)
    rate_file = serve_dir / f"ratelimit-{os.getpid()}.bin"
    SharedBuckets.create(rate_file).close()
    options.rate_file = str(rate_file)
    config = os.path.abspath(args.config) if args.config else None
    os.environ[WORKER_ENV] = json.dumps({"config": config, "options": options.to_json()})
    # the workers share one listening socket; libuv (uvloop) otherwise lets whichever wakes first
    # accept every waiting connection, so one worker can end up with most keep-alive clients
    os.environ.setdefault("UV_TCP_SINGLE_ACCEPT", "1")
    print(
        f"kb serve: {args.workers} workers loading {settings.docs_dir} (each its own model) ...",
        file=sys.stderr,
    )
    print(where, file=sys.stderr)
    try:
        uvicorn.run("kb.server.app:worker_app", factory=True, workers=args.workers, **common)
    finally:
        rate_file.unlink(missing_ok=True)
    return 0
