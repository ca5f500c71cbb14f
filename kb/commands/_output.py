"""What commands draw on a terminal: aligned tables and a progress bar."""

from __future__ import annotations

import sys
from typing import IO


class Progress:
    """A one-line progress bar on stderr (only drawn on a terminal)."""

    def __init__(self, total: int, stream: IO[str] | None = None) -> None:
        self.total = max(total, 1)
        self.stream = stream or sys.stderr

    def update(self, done: int) -> None:
        """Redraw the bar."""
        width = 30
        filled = int(width * done / self.total)
        self.stream.write(f"\r[{'#' * filled}{'.' * (width - filled)}] {done}/{self.total} tickets")
        self.stream.flush()

    def close(self) -> None:
        """End the bar's line."""
        self.stream.write("\n")
        self.stream.flush()
