"""Articles as read and validated by an earlier run, kept in .kb/cache by the bytes of each file."""

from __future__ import annotations

import dataclasses
import hashlib
import logging
import os
import pickle
from pathlib import Path
from typing import Any

from kb.core.article import Article
from kb.core.errors import ArticleError, display_path
from kb.core.schema import Context
from kb.core.settings import Settings

log = logging.getLogger(__name__)
VERSION = 1
Result = tuple[Article | None, list[ArticleError]]
# what a build changes on the settings without changing how an article reads
VOLATILE = {"site_dir", "internal_site_dir", "warnings"}


class ArticleCache:
    """Per file: a digest of its bytes and what reading it gave (article and problems).

    Parsing the YAML front matter of a thousand articles is most of loading a KB (about 0.25 s);
    an entry is reused only for the same bytes under the same settings, validation date and kb
    code, so a cached result is the one reading the file again would give.
    """

    def __init__(
        self, path: Path, fingerprint: str, entries: dict[str, tuple[str, Result]]
    ) -> None:
        self.path = path
        self.fingerprint = fingerprint
        self._old = entries
        self._new: dict[str, tuple[str, Result]] = {}
        self._missed: dict[str, str] = {}  # file -> digest, until put

    @classmethod
    def open(cls, settings: Settings, ctx: Context) -> ArticleCache:
        """The cache of this KB (empty when missing, unreadable or made under other settings)."""
        path = settings.cache_dir / "articles.pickle"
        fingerprint = _fingerprint(settings, ctx)
        entries: dict[str, tuple[str, Result]] = {}
        try:
            with path.open("rb") as f:
                data = pickle.load(f)
            if data.get("version") == VERSION and data.get("fingerprint") == fingerprint:
                entries = data["entries"]
        except FileNotFoundError:
            pass
        except Exception as exc:  # a damaged or foreign file is only a cache: read everything
            log.debug("article cache %s ignored: %s", path, exc)
        return cls(path, fingerprint, entries)

    def get(self, rel: str, data: bytes) -> Result | None:
        """What reading the file `rel` with these bytes gave last time, or None."""
        digest = hashlib.sha256(data).hexdigest()
        entry = self._old.get(rel)
        if entry is None or entry[0] != digest:
            self._missed[rel] = digest
            return None
        self._new[rel] = entry
        return entry[1]

    def put(self, rel: str, result: Result) -> None:
        """Remember what reading `rel` gave, after a `get` that missed."""
        digest = self._missed.pop(rel, None)
        if digest is not None:
            self._new[rel] = (digest, result)

    def save(self) -> None:
        """Write the entries of this run when they differ from the stored ones."""
        if self._new.keys() == self._old.keys() and all(
            self._new[k] is self._old[k] for k in self._new
        ):
            return
        data = {"version": VERSION, "fingerprint": self.fingerprint, "entries": self._new}
        tmp = self.path.with_name(f"{self.path.name}.{os.getpid()}.tmp")
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            with tmp.open("wb") as f:
                pickle.dump(data, f, protocol=pickle.HIGHEST_PROTOCOL)
            os.replace(tmp, self.path)
        except OSError as exc:  # a read-only checkout: read every file each time
            log.debug("article cache %s not written: %s", self.path, exc)
            tmp.unlink(missing_ok=True)


def _fingerprint(settings: Settings, ctx: Context) -> str:
    """What reading an article depends on besides its bytes: settings, date, cwd and kb's code."""
    parts: list[Any] = [
        (f.name, getattr(settings, f.name))
        for f in dataclasses.fields(settings)
        if f.name not in VOLATILE
    ]
    parts.append(ctx)
    parts.append(display_path(settings.docs_dir))  # problems name files relative to the cwd
    parts.append(code_fingerprint(Path(__file__).resolve().parents[1]))
    return hashlib.sha256(repr(parts).encode("utf-8")).hexdigest()


def code_fingerprint(package: Path) -> str:
    """A digest of every module of the package at `package`, subpackages included (name, mtime, size)."""
    parts = []
    for module in sorted(package.rglob("*.py")):
        st = module.stat()
        parts.append((module.relative_to(package).as_posix(), st.st_mtime_ns, st.st_size))
    return hashlib.sha256(repr(parts).encode("utf-8")).hexdigest()
