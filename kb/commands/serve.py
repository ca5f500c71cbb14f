"""`kb serve`: the built help site plus the HTTP API; `--live` previews the site with live reload."""

from __future__ import annotations

import argparse
import getpass
import logging
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

from kb.commands import add_config_argument, load_settings
from kb.core.errors import UsageError

if TYPE_CHECKING:
    from kb.core.settings import Settings

HELP = "Serve the built site and the HTTP API (search, suggest, webhooks, feedback)."
DRAFTER = "kb.authoring.pasted:ticket_draft"  # the ticket assistant's drafts (kb.server.assist)


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
        "--internal",
        action="store_true",
        help="serve the agents' site (site-internal/, from kb build --internal) and the API, "
        "sign-in required for every URL; with --live: preview the agents' site",
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
        help="trust X-Forwarded-For and X-Forwarded-Proto from these proxy addresses or "
        "networks (comma-separated)",
    )
    parser.add_argument(
        "--proxy-user",
        default="",
        metavar="HEADER",
        help="with --internal and --proxy: the header in which the proxy names the signed-in "
        "user (e.g. X-Forwarded-User from oauth2-proxy); ignored from other addresses",
    )
    parser.add_argument(
        "--users",
        default=None,
        metavar="FILE",
        help="with --internal: the agents' credentials file (default .kb/users)",
    )
    parser.add_argument(
        "--session-hours",
        type=float,
        default=12.0,
        metavar="H",
        help="with --internal: how long a sign-in lasts (default 12)",
    )
    parser.add_argument(
        "--write-drafts",
        action="store_true",
        help="with --internal: the ticket assistant writes its drafts below the articles folder "
        "(a writable checkout) as well as offering them for download",
    )
    parser.add_argument(
        "--add-user",
        default=None,
        metavar="NAME",
        help="add an agent to the credentials file, or change their password (read from "
        "stdin, asked twice on a terminal), then exit",
    )
    parser.add_argument(
        "--remove-user",
        default=None,
        metavar="NAME",
        help="remove an agent from the credentials file (ending their sessions), then exit",
    )


def run(args: argparse.Namespace) -> int:
    """Serve until interrupted."""
    settings = load_settings(args.config)
    if args.live:
        from kb.site.build import serve

        serve(settings, args.host, args.port, internal=args.internal)
        return 0
    if args.add_user or args.remove_user:
        return _users(args, settings)
    if args.proxy_user and not (args.internal and args.proxy):
        raise UsageError("--proxy-user: needs --internal and --proxy (the proxy's addresses)")
    if args.session_hours <= 0:
        raise UsageError("--session-hours: must be more than 0")
    if args.write_drafts and not args.internal:
        raise UsageError("--write-drafts: only with --internal (the ticket assistant)")

    from kb.server.app import create_app
    from kb.server.auth import TrustedProxies
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
        internal=args.internal,
        users_file=args.users,
        session_hours=args.session_hours,
        proxy=args.proxy,
        proxy_user=args.proxy_user,
        drafter=DRAFTER if args.internal else "",
        write_drafts=args.write_drafts,
    )
    try:
        TrustedProxies(args.proxy)
    except ValueError as exc:
        raise UsageError(str(exc)) from None
    site, signin = (
        ("the agents' site at ", "sign in at /auth/sign-in, ") if args.internal else ("", "")
    )
    where = (
        f"kb serve: {site}http://{args.host}:{args.port}/ ({signin}API at /api/, "
        f"description at /api/openapi.json); Ctrl+C stops"
    )
    if args.internal:
        _warn_without_users(settings, args)
    common: dict[str, Any] = {
        "host": args.host,
        "port": args.port,
        "log_level": "info" if logging.getLogger().isEnabledFor(logging.INFO) else "warning",
        "proxy_headers": False,  # the app applies --proxy itself (kb.server.auth.ProxyMiddleware)
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


def _users_file(args: argparse.Namespace, settings: Settings) -> Path:
    return Path(args.users) if args.users else settings.layout.users


def _users(args: argparse.Namespace, settings: Settings) -> int:
    """--add-user NAME or --remove-user NAME."""
    from kb.server import credentials

    path = _users_file(args, settings)
    if args.remove_user:
        if not credentials.remove_user(path, args.remove_user):
            raise UsageError(f"--remove-user: no user {args.remove_user!r} in {path}")
        print(f"kb serve: removed {args.remove_user} from {path}", file=sys.stderr)
        return 0
    name = credentials.check_name(args.add_user)
    if sys.stdin.isatty():
        password = getpass.getpass(f"password for {name}: ")
        if getpass.getpass("again: ") != password:
            raise UsageError("the two passwords differ")
    else:
        password = sys.stdin.readline(credentials.MAX_PASSWORD + 2).rstrip("\r\n")
    new = credentials.add_user(path, name, password)
    print(
        f"kb serve: {'added' if new else 'changed the password of'} {name} in {path}",
        file=sys.stderr,
    )
    return 0


def _warn_without_users(settings: Settings, args: argparse.Namespace) -> None:
    from kb.server.credentials import read_users

    path = _users_file(args, settings)
    if not args.proxy_user and not read_users(path):
        print(
            f"kb serve: warning: nobody can sign in: no users in {path}; "
            f"add one with kb serve --internal --add-user NAME",
            file=sys.stderr,
        )
