"""`kb translation`: record that a translation has caught up with its source (`sync`), or list status."""

from __future__ import annotations

import argparse
import sys

from kb.commands import add_config_argument, load_settings
from kb.core.collection import KnowledgeBase
from kb.core.errors import KBError, UsageError
from kb.core.translations import state, sync

HELP = "Translations: `sync ID` records that a translation matches its source again; `status` lists them."


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Declare the sub-commands of `kb translation`."""
    parser.add_argument("action", choices=("sync", "status"), help="what to do")
    parser.add_argument("ids", nargs="*", metavar="ID", help="translation ids (sync)")
    parser.add_argument("--all", action="store_true", help="sync every translation")
    add_config_argument(parser)


def run(args: argparse.Namespace) -> int:
    """Sync the named translations (or all), or print the status of every translation."""
    kb = KnowledgeBase.load(load_settings(args.config))
    translations = [a for a in kb.articles if a.translation_of]
    if args.action == "status":
        for a in translations:
            print(f"{a.id}\t{a.lang}\t{a.translation_of}\t{state(kb, a)}")
        return 0
    if args.all:
        targets = translations
    elif args.ids:
        targets = []
        for aid in args.ids:
            found = kb.get(aid)
            if found is None:
                raise KBError(f"no article with id {aid!r}")
            if not found.translation_of:
                raise UsageError(f"{aid!r} is not a translation (it has no translation_of)")
            targets.append(found)
    else:
        raise UsageError("name the translations to sync (kb translation sync ID …) or use --all")
    changed = 0
    for a in targets:
        if sync(kb, a):
            changed += 1
            print(
                f"kb translation: {kb.display(a)}: source_hash now matches '{a.translation_of}'",
                file=sys.stderr,
            )
    if not changed:
        print("kb translation: already in sync", file=sys.stderr)
    return 0
