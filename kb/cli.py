"""The `kb` command line: parse, call the core, print; KBError becomes one message and an exit code."""

from __future__ import annotations

import argparse
import importlib
import logging
import sys
from collections.abc import Sequence

from kb import __version__
from kb.core.errors import KBError, UsageError

# each name is a module in kb.commands with HELP, add_arguments(parser) and run(args) -> int;
# command modules import heavy libraries inside run(), so `kb check` never pays for torch
COMMANDS = (
    "init",
    "check",
    "new",
    "build",
    "serve",
    "index",
    "search",
    "suggest",
    "eval",
    "stale",
    "translation",
    "import",
)
MODULES = {"import": "import_"}  # `import` is a Python keyword


def build_parser(only: str | None = None) -> argparse.ArgumentParser:
    """Return the argument parser with every available command (`only`: just that one)."""
    parser = argparse.ArgumentParser(
        prog="kb", description="Knowledge base and self-service help centre generator."
    )
    parser.add_argument("--version", action="version", version=f"kb {__version__}")
    parser.add_argument("-v", "--verbose", action="store_true", help="log progress to stderr")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name in COMMANDS if only is None else (only,):
        try:
            module = importlib.import_module(f"kb.commands.{MODULES.get(name, name)}")
        except ModuleNotFoundError as exc:
            if exc.name == f"kb.commands.{MODULES.get(name, name)}":
                continue
            raise
        doc = module.HELP
        p = sub.add_parser(name, help=doc, description=doc)
        module.add_arguments(p)
        p.set_defaults(run=module.run)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the kb command line and return its exit code."""
    argv = list(sys.argv[1:] if argv is None else argv)
    # the command named on the line is the only module imported (about 0.1 s of a cold start);
    # anything else (no command, a typo, --help alone) gets the parser of every command
    named = next((a for a in argv if not a.startswith("-")), None)
    parser = build_parser(named if named in COMMANDS else None)
    args = parser.parse_args(argv)
    logging.basicConfig(
        level=logging.INFO if args.verbose else logging.WARNING, format="kb: %(message)s"
    )
    if not getattr(args, "run", None):
        parser.print_help()
        return 2
    try:
        return int(args.run(args) or 0)
    except UsageError as exc:
        print(f"kb {args.command}: {exc}", file=sys.stderr)
        return 2
    except KBError as exc:
        print(f"kb {args.command}: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print(f"kb {args.command}: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
