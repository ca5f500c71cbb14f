"""The help-centre theme: Material overrides in kb's theme/ folder, and what a build stamps of it."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

THEME_DIR = Path(__file__).resolve().parents[2] / "theme"


def theme_files() -> Iterator[Path]:
    """Every file of the theme, in a stable order."""
    for path in sorted(THEME_DIR.rglob("*")):
        if path.is_file():
            yield path
