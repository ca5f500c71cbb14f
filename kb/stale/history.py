"""Git lookups for staleness: when each article last changed, and earlier versions of a file.

Every function degrades quietly: outside a git work tree (or without git) they return nothing,
and callers fall back to the file's modification time or to "old text unknown".
"""

from __future__ import annotations

import datetime as dt
import logging
import os
import shutil
import subprocess
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path

log = logging.getLogger(__name__)
SEP = "\x1e"  # record separator in our git log formats


@dataclass(frozen=True)
class Version:
    """One committed version of a file."""

    commit: str
    date: dt.date
    path: str  # path at that commit, relative to the repository root
    text: str


def _git(args: list[str], cwd: Path) -> str | None:
    if shutil.which("git") is None:
        return None
    try:
        done = subprocess.run(
            ["git", *args],
            cwd=cwd,
            capture_output=True,
            text=True,
            encoding="utf-8",
            errors="replace",
            env={**os.environ, "GIT_PAGER": "cat", "LC_ALL": "C"},
            check=False,
        )
    except OSError as exc:
        log.info("git %s failed: %s", " ".join(args), exc)
        return None
    if done.returncode != 0:
        log.info("git %s: %s", " ".join(args), done.stderr.strip())
        return None
    return done.stdout


class GitHistory:
    """Git history of one articles folder (every lookup is empty outside a work tree)."""

    def __init__(self, docs_dir: Path) -> None:
        self.docs_dir = Path(docs_dir).resolve()

    @cached_property
    def root(self) -> Path | None:
        """The repository root, or None when the folder is not in a git work tree."""
        if not self.docs_dir.is_dir():
            return None
        out = _git(["rev-parse", "--show-toplevel"], self.docs_dir)
        return Path(out.strip()).resolve() if out else None

    def _rel(self, path: Path) -> str:
        assert self.root is not None
        return Path(path).resolve().relative_to(self.root).as_posix()

    @cached_property
    def dirty(self) -> set[str]:
        """Paths below the articles folder (relative to it) with uncommitted changes."""
        if self.root is None:
            return set()
        out = _git(
            ["status", "--porcelain", "-z", "--untracked-files=all", "--", "."], self.docs_dir
        )
        found: set[str] = set()
        prefix = self._rel(self.docs_dir)
        for entry in (out or "").split("\0"):
            if len(entry) < 4:
                continue
            repo_path = entry[3:]
            if prefix and prefix != "." and repo_path.startswith(prefix + "/"):
                found.add(repo_path[len(prefix) + 1 :])
            elif not prefix or prefix == ".":
                found.add(repo_path)
        return found

    @cached_property
    def last_changes(self) -> dict[str, dt.date]:
        """Date of the last commit touching each file, keyed by path below the articles folder."""
        if self.root is None:
            return {}
        out = _git(
            ["log", "--relative", "--name-only", f"--format={SEP}%cs", "--", "."], self.docs_dir
        )
        dates: dict[str, dt.date] = {}
        for record in (out or "").split(SEP):
            lines = [ln for ln in record.splitlines() if ln.strip()]
            if not lines:
                continue
            try:
                day = dt.date.fromisoformat(lines[0].strip())
            except ValueError:
                continue
            for name in lines[1:]:
                dates.setdefault(name.strip(), day)
        return dates

    def last_changed(self, rel_path: str) -> tuple[dt.date | None, str]:
        """When a file below the articles folder last changed, and where that date came from."""
        path = self.docs_dir / rel_path
        if rel_path not in self.dirty and rel_path in self.last_changes:
            return self.last_changes[rel_path], "git"
        try:
            mtime = path.stat().st_mtime
        except OSError:
            return None, "unknown"
        return dt.datetime.fromtimestamp(mtime).date(), "file"

    def versions(self, path: Path) -> Iterator[Version]:
        """Committed versions of a file, newest first, following renames."""
        if self.root is None:
            return
        rel = self._rel(path)
        out = _git(
            ["log", "--follow", "--name-only", f"--format={SEP}%H %cs", "--", rel], self.root
        )
        for record in (out or "").split(SEP):
            lines = [ln for ln in record.splitlines() if ln.strip()]
            if len(lines) < 2:
                continue
            commit, _, day = lines[0].partition(" ")
            at = lines[-1].strip()
            text = _git(["show", f"{commit}:{at}"], self.root)
            if text is None:
                continue
            try:
                date = dt.date.fromisoformat(day.strip())
            except ValueError:
                continue
            yield Version(commit, date, at, text)

    def find_version(self, path: Path, match: Callable[[str], bool]) -> Version | None:
        """The newest committed version of a file whose text satisfies `match`, or None."""
        for version in self.versions(path):
            if match(version.text):
                return version
        return None
