"""One module per `kb` command: HELP, add_arguments(parser) and run(args) -> int."""

from __future__ import annotations

import argparse
from pathlib import Path

from kb.core.settings import Settings


def add_config_argument(parser: argparse.ArgumentParser) -> None:
    """Add the `--config` option naming the mkdocs.yml (or articles folder) to use."""
    parser.add_argument(
        "--config",
        "-f",
        default="mkdocs.yml",
        metavar="PATH",
        help="the mkdocs.yml with the kb settings, or an articles folder (default: ./mkdocs.yml)",
    )


def load_settings(path: str | Path | None) -> Settings:
    """Read the settings a command runs with."""
    return Settings.load(path)
