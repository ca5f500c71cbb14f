"""Git lookups for staleness: when each article last changed, and earlier versions of a file.

Every function degrades quietly: outside a git work tree (or without git) they return nothing,
and callers fall back to the file's modification time or to "old text unknown".

Mechanical commits (an import, a mass reformat) listed in `.git-blame-ignore-revs`, or in the
file git config `blame.ignoreRevsFile` names, do not count as changes: the last change is the
newest commit not listed, followed back through renames made by listed commits.
"""

from __future__ import annotations

import datetime as dt
import logging
import re
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path

from kb.core.git import run_git

log = logging.getLogger(__name__)
SEP = "\x1e"  # record separator in our git log formats
IGNORE_REVS_FILE = ".git-blame-ignore-revs"  # the name git and GitHub use, at the repository root
FULL_LENGTHS = (40, 64)  # SHA-1 and SHA-256 object names
MIN_ABBREV = 7
HEX = re.compile(r"[0-9a-fA-F]+")


@dataclass(frozen=True)
class Version:
    """One committed version of a file."""

    commit: str
    date: dt.date
    path: str  # path at that commit, relative to the repository root
    text: str


def _parse_revs(text: str, origin: str = IGNORE_REVS_FILE) -> tuple[set[str], set[str]]:
    """Full and abbreviated commit ids (lower case) of an ignore-revs file; bad lines are logged."""
    full: set[str] = set()
    short: set[str] = set()
    for number, line in enumerate(text.splitlines(), 1):
        rev = line.split("#", 1)[0].strip()
        if not rev:
            continue
        if not HEX.fullmatch(rev) or len(rev) < MIN_ABBREV or len(rev) > max(FULL_LENGTHS):
            log.info("%s:%d: not a commit id, ignored: %r", origin, number, line.strip())
        elif len(rev) in FULL_LENGTHS:
            full.add(rev.lower())
        else:
            short.add(rev.lower())
    return full, short


def _changes(out: str) -> Iterator[tuple[str, dt.date | None, list[tuple[str, list[str]]]]]:
    """Commits of `git log -z --name-status --format=SEP%H %cs`: (sha, date, [(status, paths)])."""
    commit: tuple[str, dt.date | None] | None = None
    files: list[tuple[str, list[str]]] = []
    tokens = iter(out.split("\0"))
    for raw in tokens:
        token = raw.lstrip("\n")
        if token.startswith(SEP):
            if commit is not None:
                yield commit[0], commit[1], files
            sha, _, day = token[1:].partition(" ")
            try:
                date: dt.date | None = dt.date.fromisoformat(day.strip())
            except ValueError:
                date = None
            commit, files = (sha.strip().lower(), date), []
        elif token and commit is not None:
            count = 2 if token[0] in "RC" else 1
            paths = [next(tokens, "") for _ in range(count)]
            files.append((token[0], [p for p in paths if p]))
    if commit is not None:
        yield commit[0], commit[1], files


def _real_changes(
    commits: Iterable[tuple[str, dt.date | None, list[tuple[str, list[str]]]]],
    ignored: set[str] | frozenset[str],
) -> tuple[dict[str, dt.date], set[str]]:
    """Commits newest first -> each path's last change not in `ignored`, and paths only it touched."""
    dates: dict[str, dt.date] = {}
    claimed: set[str] = set()  # paths named by their newest commit: dated, or waiting for a date
    waiting: dict[str, set[str]] = {}  # an older path -> the newer paths that take its date
    for sha, day, files in commits:
        if day is None:
            continue
        skip = sha in ignored
        for status, paths in files:
            if not paths or status == "D":
                continue
            old, new = paths[0], paths[-1]
            targets = waiting.pop(new, set())
            if new not in claimed:
                claimed.add(new)
                targets.add(new)
            if not skip:
                for path in targets:
                    dates.setdefault(path, day)
            elif status != "A":  # an ignored commit: look further back, under the old name
                waiting.setdefault(old, set()).update(targets)
    return dates, claimed - dates.keys()


class GitHistory:
    """Git history of one articles folder (every lookup is empty outside a work tree)."""

    def __init__(self, docs_dir: Path) -> None:
        self.docs_dir = Path(docs_dir).resolve()

    @cached_property
    def root(self) -> Path | None:
        """The repository root, or None when the folder is not in a git work tree."""
        if not self.docs_dir.is_dir():
            return None
        out = run_git(["rev-parse", "--show-toplevel"], self.docs_dir)
        return Path(out.strip()).resolve() if out else None

    def _rel(self, path: Path) -> str:
        assert self.root is not None
        return Path(path).resolve().relative_to(self.root).as_posix()

    @cached_property
    def ignore_revs_files(self) -> list[Path]:
        """Files listing ignored commits: the root's `.git-blame-ignore-revs`, blame.ignoreRevsFile."""
        if self.root is None:
            return []
        found = [self.root / IGNORE_REVS_FILE]
        args = ["config", "--type=path", "--get-all", "blame.ignoreRevsFile"]
        for name in (run_git(args, self.root, quiet=True) or "").splitlines():
            path = self.root / name.strip()
            if name.strip() and path.resolve() not in {p.resolve() for p in found}:
                found.append(path)
        return found

    @cached_property
    def ignored_revs(self) -> frozenset[str]:
        """Full ids of the commits that do not count as changes (imports, mass reformats)."""
        full: set[str] = set()
        short: set[str] = set()
        for i, path in enumerate(self.ignore_revs_files):
            try:
                text = path.read_text(encoding="utf-8", errors="replace")
            except OSError as exc:
                if i or not isinstance(exc, FileNotFoundError):  # the root's file is optional
                    log.info("%s: unreadable, no commits ignored from it: %s", path, exc)
                continue
            more_full, more_short = _parse_revs(text, str(path))
            full |= more_full
            short |= more_short
        return frozenset(full | self._resolve(sorted(short)))

    def _resolve(self, revs: list[str]) -> set[str]:
        """Full ids of abbreviated commit ids; unknown and ambiguous ones are logged and dropped."""
        if not revs or self.root is None:
            return set()
        query = "".join(f"{rev}^{{commit}}\n" for rev in revs)
        answers = (
            run_git(["cat-file", "--batch-check"], self.root, stdin=query) or ""
        ).splitlines()
        found: set[str] = set()
        for rev, answer in zip(revs, answers + [""] * len(revs), strict=False):
            parts = answer.split()
            if len(parts) == 3 and parts[1] == "commit":
                found.add(parts[0].lower())
            else:
                why = parts[-1] if len(parts) == 2 else "not found"
                log.info("ignore-revs: %s is no commit here (%s), ignored", rev, why)
        return found

    @cached_property
    def dirty(self) -> set[str]:
        """Paths below the articles folder (relative to it) with uncommitted changes."""
        if self.root is None:
            return set()
        out = run_git(
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
    def _history(self) -> tuple[dict[str, dt.date], set[str]]:
        if self.root is None:
            return {}, set()
        out = run_git(
            ["log", "--relative", "-z", "--name-status", "-M", f"--format={SEP}%H %cs", "--", "."],
            self.docs_dir,
        )
        return _real_changes(_changes(out or ""), self.ignored_revs)

    @cached_property
    def last_changes(self) -> dict[str, dt.date]:
        """Date of the last commit not ignored touching each file, keyed by path below the articles folder."""
        return self._history[0]

    @cached_property
    def only_ignored(self) -> set[str]:
        """Paths below the articles folder that only ignored commits touched: no git date."""
        return self._history[1]

    def last_changed(self, rel_path: str) -> tuple[dt.date | None, str]:
        """When a file below the articles folder last changed, and where that date came from."""
        # "git": the last commit not ignored; "file": its mtime (outside git, uncommitted changes);
        # "ignored": None, only ignored commits touched it (rules then go by `reviewed`); "unknown".
        path = self.docs_dir / rel_path
        if rel_path not in self.dirty:
            if rel_path in self.last_changes:
                return self.last_changes[rel_path], "git"
            if rel_path in self.only_ignored:
                return None, "ignored"
        try:
            mtime = path.stat().st_mtime
        except OSError:
            return None, "unknown"
        return dt.datetime.fromtimestamp(mtime).date(), "file"

    def change_days(self, rel_path: str) -> list[dt.date]:
        """The days a file below the articles folder was committed (ignored commits not), oldest first."""
        if self.root is None:
            return []
        rel = self._rel(self.docs_dir / rel_path)
        out = run_git(["log", "--follow", "--format=%H %cs", "--", rel], self.root) or ""
        days = []
        for line in out.splitlines():
            sha, _, day = line.partition(" ")
            if sha.strip().lower() in self.ignored_revs:
                continue
            try:
                days.append(dt.date.fromisoformat(day.strip()))
            except ValueError:
                continue
        return sorted(days)

    def versions(self, path: Path) -> Iterator[Version]:
        """Committed versions of a file, newest first, following renames."""
        if self.root is None:
            return
        rel = self._rel(path)
        out = run_git(
            ["log", "--follow", "--name-only", f"--format={SEP}%H %cs", "--", rel], self.root
        )
        for record in (out or "").split(SEP):
            lines = [ln for ln in record.splitlines() if ln.strip()]
            if len(lines) < 2:
                continue
            commit, _, day = lines[0].partition(" ")
            at = lines[-1].strip()
            text = run_git(["show", f"{commit}:{at}"], self.root)
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
