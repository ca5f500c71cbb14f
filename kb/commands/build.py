"""`kb build`: build the public help site (or, with --internal, the agents' site) atomically."""

from __future__ import annotations

import argparse
import sys
import time

from kb.commands import add_config_argument, load_settings
from kb.core import fs

HELP = "Build the help site into site/ (or the agents' site into site-internal/ with --internal)."


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Declare the options of `kb build`."""
    add_config_argument(parser)
    parser.add_argument(
        "--internal",
        action="store_true",
        help="build the agents' site: internal articles and SOPs included and marked",
    )
    parser.add_argument(
        "--full",
        action="store_true",
        help="rebuild every page (default: re-render only edited articles when nothing else changed)",
    )


def run(args: argparse.Namespace) -> int:
    """Build the site; a failed build leaves the previous one untouched."""
    from kb.site.output import Staging

    settings = load_settings(args.config)
    start = time.perf_counter()
    # a running kb serve waits for the lock to be free before it takes up the new build
    with fs.locked(settings.layout.build_lock):
        # link in the previous build while MkDocs is imported and configured (kb.site.output)
        staging = Staging.for_site(settings, args.internal, args.full)
        try:
            from kb.site.build import build_site
        except BaseException:
            staging.close()
            raise
        target = build_site(settings, internal=args.internal, full=args.full, staging=staging)
    kind = "agents' site" if args.internal else "help site"
    print(
        f"kb build: {kind} written to {target} in {time.perf_counter() - start:.1f} s",
        file=sys.stderr,
    )
    return 0
