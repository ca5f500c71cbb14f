"""`kb init`: start a new knowledge base in a folder."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from kb.authoring.init import init_kb
from kb.core.errors import display_path

HELP = "Start a new knowledge base: mkdocs.yml, example articles, search files and CI."


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Declare the options of `kb init`."""
    parser.add_argument("dir", nargs="?", default=".", help="the folder to create (default: .)")
    parser.add_argument(
        "--lang",
        action="append",
        dest="languages",
        metavar="CODE",
        help="a language of the KB, repeatable (--lang en --lang nl); the first is the default",
    )
    parser.add_argument("--name", default="Help Centre", help='the site name ("Acme Help")')
    parser.add_argument("--force", action="store_true", help="write into a folder with files")


def run(args: argparse.Namespace) -> int:
    """Write the new KB and say what to run next."""
    target = Path(args.dir)
    created = init_kb(target, args.languages or ["en"], args.name, force=args.force)
    where = display_path(created.root)
    print(f"kb init: a new knowledge base in {where} ({len(created.files)} files)", file=sys.stderr)
    for lang in created.english_examples:
        print(
            f"kb init: no example text in {lang!r}: its examples are in English, to translate",
            file=sys.stderr,
        )
    go = "" if where in (".", "") else f"cd {where} && "
    print(f"next: {go}kb check --strict && kb build && kb serve", file=sys.stderr)
    return 0
