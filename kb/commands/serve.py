"""`kb serve`: preview the help site with live reload while you write."""

from __future__ import annotations

import argparse

from kb.commands import add_config_argument, load_settings

HELP = "Preview the help site at http://HOST:PORT/ with live reload."


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Declare the options of `kb serve`."""
    add_config_argument(parser)
    parser.add_argument("--host", default="127.0.0.1", help="address to listen on (default: 127.0.0.1)")
    parser.add_argument("--port", type=int, default=8000, help="port to listen on (default: 8000)")
    parser.add_argument("--internal", action="store_true", help="preview the agents' site")


def run(args: argparse.Namespace) -> int:
    """Serve until interrupted."""
    from kb.mkdocs_plugin import serve

    serve(load_settings(args.config), args.host, args.port, internal=args.internal)
    return 0
