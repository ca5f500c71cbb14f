"""Errors that name the file, line and field they are about."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any


class KBError(Exception):
    """Base class of every error kb reports to a user without a traceback."""


@dataclass(frozen=True, order=True)
class ArticleError:
    """One problem in one file: printed as `path:line: field: message`."""

    path: str
    line: int
    field: str
    message: str
    severity: str = "error"

    def __str__(self) -> str:
        prefix = "" if self.severity == "error" else f"{self.severity}: "
        return f"{self.path}:{self.line}: {self.field}: {prefix}{self.message}"

    def to_dict(self) -> dict[str, Any]:
        """Return the error as a JSON-ready dict."""
        return asdict(self)

    @property
    def is_error(self) -> bool:
        """True for an error, False for a warning."""
        return self.severity == "error"


class ValidationFailed(KBError):
    """The knowledge base has errors; carries every one of them, not just the first."""

    def __init__(self, errors: Iterable[ArticleError]) -> None:
        self.errors = sorted(errors)
        count = len(self.errors)
        lines = "\n".join(str(e) for e in self.errors)
        super().__init__(
            f"{count} error{'s' if count != 1 else ''} in the knowledge base:\n{lines}"
        )


class SettingsError(KBError):
    """The `kb` settings in mkdocs.yml are wrong."""


def display_path(path: Path | str, root: Path | None = None) -> str:
    """Return `path` relative to `root` (or the working directory) when it lies below it."""
    p = Path(path)
    for base in (root, Path.cwd()):
        if base is None:
            continue
        try:
            return p.resolve().relative_to(base.resolve()).as_posix()
        except (ValueError, OSError):
            continue
    return p.as_posix()


class UsageError(KBError):
    """The command was called wrongly (exit code 2)."""
