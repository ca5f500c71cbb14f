"""The `.kb/` folder: one declared layout, and one way to key and store what a cache keeps.

A cache entry is valid for what it was made from, never for a time: the bytes or identity of
its input files, plus a fingerprint of the settings and of kb's own code. Each cache file
carries its format version and that key; `load` gives it back only when both match.
"""

from __future__ import annotations

import functools
import hashlib
import json
import logging
import os
import pickle
import re
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from kb.core import fs

log = logging.getLogger(__name__)
PACKAGE = Path(__file__).resolve().parents[1]  # the kb package
SITE_STAMP = ".kb-build"  # written last into a built site: its structure hash and page hashes


@dataclass(frozen=True)
class Caches:
    """`.kb/cache/`: what can be deleted at any time, costing only time; each file and its owner.

    ``articles.pickle`` (core.reading), articles as read, by file bytes;
    ``embeddings-MODEL-SET.npz`` (suggest.chunks), section vectors, by the text embedded;
    ``onnx/`` (suggest.onnx), the embedding model exported to ONNX, by the model's files;
    ``stale-tickets.sqlite`` (stale.store), ticket vectors by text and model, answers by KB state;
    ``pagefind/AUDIENCE/`` (site.fast.cut), pages cut for Pagefind, by each page's identity;
    ``stopwords-LANG.json`` (suggest.evidence), a language's stop words, by the lists' versions;
    ``templates/`` (site), compiled Jinja templates, checked by Jinja itself;
    ``vocab.pickle`` (site.vocab), each article's words for browser search, by its text.
    """

    root: Path

    @property
    def articles(self) -> Path:
        """Articles as read and validated, per file."""
        return self.root / "articles.pickle"

    def embeddings(self, model_id: str, namespace: str = "kb") -> Path:
        """Section vectors of one model for one set of articles (the KB, or an evaluation set)."""
        return self.root / f"embeddings-{slug(model_id)}-{namespace}.npz"

    @property
    def onnx(self) -> Path:
        """ONNX exports of the embedding model."""
        return self.root / "onnx"

    @property
    def tickets(self) -> Path:
        """`kb stale`'s ticket store: vectors by text, model and language; answers by KB state."""
        return self.root / "stale-tickets.sqlite"

    def pagefind(self, internal: bool) -> Path:
        """The pages of one audience's site, cut to what Pagefind indexes."""
        return self.root / "pagefind" / ("internal" if internal else "public")

    def stopwords(self, lang: str) -> Path:
        """A language's stop words as stopwords-iso and Snowball list them."""
        return self.root / f"stopwords-{slug(lang)}.json"

    @property
    def templates(self) -> Path:
        """Jinja's bytecode cache of the theme."""
        return self.root / "templates"

    @property
    def vocab(self) -> Path:
        """Each article's words and stems for browser search's vocabulary."""
        return self.root / "vocab.pickle"


@dataclass(frozen=True)
class Layout:
    """Every path kb keeps below its folder (`kb_dir`, `.kb/` by default), and what owns it.

    ``index/`` (search.index), the search indexes: CURRENT and its generations;
    ``cache/`` (Caches), what can be deleted at any time;
    ``serve/PID/`` (server.snapshot), the builds a running server serves;
    ``serve/ratelimit-PID.bin`` (server.workers), rate limits shared by server workers;
    ``feedback.db`` (server.feedback), readers' votes;
    ``events.db`` (server.events), searches and contact-page events, without personal data;
    ``requests.db`` (server.contact), contact requests sent to kb serve (personal data);
    ``agents.db`` (server.kcs), agents' links of articles to tickets and their flags;
    ``published.json`` (site.published), the URLs the last public `kb build` published;
    ``build.lock`` (commands.build), held while `kb build` runs, so no server takes half a build;
    ``users`` (server.credentials), agents' names and scrypt password hashes (0600);
    ``session.key`` (server.credentials), the secret that signs sign-in sessions (0600).
    """

    root: Path

    @property
    def index(self) -> Path:
        """The Whoosh indexes, one generation folder per build."""
        return self.root / "index"

    @property
    def caches(self) -> Caches:
        """The cache folder and its files."""
        return Caches(self.root / "cache")

    @property
    def serve(self) -> Path:
        """What running servers keep: their copies of the build and shared rate limits."""
        return self.root / "serve"

    def server_copies(self, pid: int) -> Path:
        """The site copies of the server process `pid`."""
        return self.serve / str(pid)

    def rate_file(self, pid: int) -> Path:
        """The rate-limit table of the server (supervisor) `pid` and its workers."""
        return self.serve / f"ratelimit-{pid}.bin"

    @property
    def build_lock(self) -> Path:
        """Locked for as long as a `kb build` writes the index and the site."""
        return self.root / "build.lock"

    @property
    def feedback(self) -> Path:
        """The feedback database."""
        return self.root / "feedback.db"

    @property
    def events(self) -> Path:
        """The site analytics database (searches, clicks, deflections)."""
        return self.root / "events.db"

    @property
    def requests(self) -> Path:
        """The contact requests database."""
        return self.root / "requests.db"

    @property
    def agents(self) -> Path:
        """The agents' KCS events database (links and flags)."""
        return self.root / "agents.db"

    @property
    def published(self) -> Path:
        """The public URLs of the last public build, which `kb check` keeps served."""
        return self.root / "published.json"

    @property
    def users(self) -> Path:
        """The agents' credentials file of `kb serve --internal`."""
        return self.root / "users"

    @property
    def session_key(self) -> Path:
        """The secret that signs the session cookies of `kb serve --internal`."""
        return self.root / "session.key"


def slug(name: str) -> str:
    """A name safe in a file name: runs of other characters become "_"."""
    return re.sub(r"[^\w.-]+", "_", name).strip("_")


# -- keys ----------------------------------------------------------------------------------------
def digest(*parts: str | bytes, size: int = 24) -> str:
    """The key of what a cache entry was made from: sha256 of the parts, NUL between them."""
    h = hashlib.sha256()
    for i, part in enumerate(parts):
        if i:
            h.update(b"\x00")
        h.update(part.encode("utf-8") if isinstance(part, str) else part)
    return h.hexdigest()[:size]


def tree_identity(root: Path) -> str:
    """A digest of the name, size and mtime of every file below `root` (code, model files)."""
    rows = []
    for path in sorted(root.rglob("*")):
        if path.is_file():
            st = path.stat()
            rows.append(f"{path.relative_to(root).as_posix()}:{st.st_size}:{st.st_mtime_ns}")
    return digest(*rows, size=64)


@functools.lru_cache(maxsize=64)
def package_version(package: str, missing: str = "-") -> str:
    """An installed distribution's version, for cache keys; `missing` when it is not installed.

    Read off the name of its `NAME-VERSION.dist-info` folder on sys.path, as importlib.metadata
    finds it: importing importlib.metadata costs a cold `kb suggest` 30-40 ms. A distribution
    installed some other way (an .egg-info) is asked of importlib.metadata.
    """
    want = _dist_name(package)
    for entry in sys.path:
        for name in _listing(entry or "."):
            if name.endswith(".dist-info"):
                dist, _, version = name[: -len(".dist-info")].partition("-")
                if version and _dist_name(dist) == want:
                    return version
    import importlib.metadata as metadata

    try:
        return metadata.version(package)
    except metadata.PackageNotFoundError:
        return missing


def _dist_name(name: str) -> str:
    return re.sub(r"[-_.]+", "_", name).lower()


@functools.lru_cache(maxsize=64)
def _listing(folder: str) -> tuple[str, ...]:
    try:
        return tuple(sorted(os.listdir(folder)))
    except OSError:  # a zip file on sys.path, or gone
        return ()


def code_fingerprint(package: Path = PACKAGE) -> str:
    """A digest of every module of the package at `package`, subpackages included."""
    parts = []
    for module in sorted(package.rglob("*.py")):
        st = module.stat()
        parts.append(f"{module.relative_to(package).as_posix()}:{st.st_mtime_ns}:{st.st_size}")
    return digest(*parts, size=64)


# -- stored caches -------------------------------------------------------------------------------
def load(path: Path, version: int, key: str) -> Any:
    """What `save` stored at `path` under this format version and key; None when there is none.

    A missing, damaged or foreign file is only a cache: it is read as empty.
    """
    try:
        if path.suffix == ".json":
            data = json.loads(path.read_text(encoding="utf-8"))
        else:
            with path.open("rb") as handle:
                data = pickle.load(handle)
    except FileNotFoundError:
        return None
    except Exception as exc:  # unreadable: start afresh
        log.debug("cache %s ignored: %s", path, exc)
        return None
    if not isinstance(data, dict) or data.get("version") != version or data.get("key") != key:
        return None
    return data.get("data")


def save(path: Path, version: int, key: str, data: Any) -> bool:
    """Store `data` at `path` atomically (JSON for a .json file, else pickle); False if not written.

    A folder that cannot be written (a read-only checkout) only means no cache.
    """
    record = {"version": version, "key": key, "data": data}
    if path.suffix == ".json":
        raw: bytes = json.dumps(record, separators=(",", ":")).encode("utf-8")
    else:
        raw = pickle.dumps(record, protocol=pickle.HIGHEST_PROTOCOL)
    try:
        fs.write_atomic(path, raw)
    except OSError as exc:
        log.debug("cache %s not written: %s", path, exc)
        return False
    return True
