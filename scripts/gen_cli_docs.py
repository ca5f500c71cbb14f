"""Write docs/cli.md from the `--help` of every kb command (tests/test_docs.py checks it is current)."""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def render() -> str:
    """Return the command reference as Markdown."""
    os.environ["COLUMNS"] = "100"
    from kb.cli import build_parser

    parser = build_parser()
    parts = [
        "# Command reference\n",
        "Generated from `kb --help` by `python scripts/gen_cli_docs.py`; a test fails when it is stale.\n",
        "```\n" + parser.format_help() + "```\n",
    ]
    sub = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    for name, command in sub.choices.items():
        parts.append(f"## kb {name}\n")
        parts.append("```\n" + command.format_help() + "```\n")
    return "\n".join(parts)


if __name__ == "__main__":
    (ROOT / "docs" / "cli.md").write_text(render(), encoding="utf-8")
    print("wrote docs/cli.md")
