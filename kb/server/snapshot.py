"""What the API server serves from, as immutable snapshots swapped atomically after each build.

A Snapshot holds one build: the KB, an open searcher over one index generation, the suggesters and
a hard-linked copy of the built site. A request takes the current snapshot when it starts and
keeps it to the end, so a rebuild never pulls files or index segments from under it; the old
snapshot is closed once its last request has finished.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import shutil
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from kb.core import fs
from kb.core.cache import SITE_STAMP
from kb.core.errors import KBError
from kb.search.index import generations

if TYPE_CHECKING:
    from kb.core.collection import KnowledgeBase
    from kb.core.settings import Settings
    from kb.search.searcher import Searcher
    from kb.suggest.embedders import Embedder
    from kb.suggest.suggester import Suggester

log = logging.getLogger(__name__)
Marker = tuple[Any, ...]
SNAPSHOT_KEY = "kb.snapshot"  # where a request's snapshot is kept in its ASGI scope
SEARCH_CACHE = 2048  # search results kept per build: help-centre queries repeat a lot


def build_marker(settings: Settings) -> Marker:
    """What changes when `kb build` finishes: the live index generation and the site's stamp."""
    current = generations(settings.index_dir).current_name()
    try:
        st = (settings.site_dir / SITE_STAMP).stat()
        site: Any = (st.st_ino, st.st_mtime_ns, os.stat(settings.site_dir).st_ino)
    except OSError:
        site = None
    return (current, site)


def search_key(query: str, **kwargs: Any) -> Any:
    """The cache key of one search."""
    return (query, tuple(sorted(kwargs.items())))


def render_json(content: Any) -> bytes:
    """JSON bytes exactly as Starlette's JSONResponse renders `content`."""
    return json.dumps(
        content, ensure_ascii=False, allow_nan=False, indent=None, separators=(",", ":")
    ).encode("utf-8")


# -- snapshots -------------------------------------------------------------------------------------
@dataclass
class Snapshot:
    """One build as served: KB, searcher, suggesters and site folder; never changed once made."""

    marker: Marker
    kb: KnowledgeBase | None = None
    searcher: Searcher | None = None
    suggesters: dict[bool, Suggester] = field(default_factory=dict)  # internal? -> suggester
    site: Path | None = None  # a private hard-linked copy of the built site
    problems: list[str] = field(default_factory=list)
    loaded_at: float = field(default_factory=time.time)
    search_lock: threading.Lock = field(default_factory=threading.Lock)
    # guards the cache only, held for a lookup or an insert, never while searching
    cache_lock: threading.Lock = field(default_factory=threading.Lock)
    cache: OrderedDict[Any, bytes] = field(default_factory=OrderedDict)  # recent search answers
    cache_hits: int = 0
    users: int = 0
    retired: bool = False

    @property
    def generation(self) -> str | None:
        """The index generation this snapshot searches."""
        return self.searcher.generation.name if self.searcher is not None else None

    def search(self, query: str, **kwargs: Any) -> Any:
        """Search under the lock (uncached: the API caches the JSON answers, see search_json)."""
        if self.searcher is None:
            raise KBError("no search index yet; run kb build")
        with self.search_lock:
            return self.searcher.search(query, **kwargs)

    def cached_json(self, key: Any) -> bytes | None:
        """The cached JSON answer for `key`, if any; never waits for a running search."""
        with self.cache_lock:
            found = self.cache.get(key)
            if found is not None:
                self.cache.move_to_end(key)
                self.cache_hits += 1
            return found

    def search_json(self, query: str, **kwargs: Any) -> bytes:
        """The search results as JSON bytes, from the cache or searched under the lock."""
        key = search_key(query, **kwargs)
        found = self.cached_json(key)
        if found is not None:
            return found
        if self.searcher is None:
            raise KBError("no search index yet; run kb build")
        with self.search_lock:
            found = self.cached_json(key)  # a request just before this one may have searched it
            if found is not None:
                return found
            body = render_json(self.searcher.search(query, **kwargs).to_dict())
        with self.cache_lock:
            self.cache[key] = body
            if len(self.cache) > SEARCH_CACHE:
                self.cache.popitem(last=False)
        return body

    def close(self) -> None:
        """Release the index files and delete the site copy."""
        if self.searcher is not None:
            with self.search_lock:
                self.searcher.close()
        if self.site is not None:
            shutil.rmtree(self.site, ignore_errors=True)


class SnapshotHolder:
    """The current snapshot; requests acquire it and release it when they are done."""

    def __init__(self, first: Snapshot) -> None:
        self._lock = threading.Lock()
        self.current = first
        self.swaps = 0

    def acquire(self) -> Snapshot:
        """Take the current snapshot for one request."""
        with self._lock:
            snap = self.current
            snap.users += 1
            return snap

    def release(self, snap: Snapshot) -> None:
        """Give a snapshot back; close it if it was replaced and this was its last user."""
        with self._lock:
            snap.users -= 1
            done = snap.retired and snap.users == 0
        if done:
            snap.close()

    @contextlib.contextmanager
    def using(self) -> Iterator[Snapshot]:
        """`with holder.using() as snap:` for code outside a request."""
        snap = self.acquire()
        try:
            yield snap
        finally:
            self.release(snap)

    def swap(self, new: Snapshot) -> None:
        """Make `new` current; the old one closes after its last request."""
        with self._lock:
            old, self.current = self.current, new
            old.retired = True
            idle = old.users == 0
            self.swaps += 1
        if idle:
            old.close()

    def close(self) -> None:
        """Retire the current snapshot (at shutdown)."""
        with self._lock:
            snap = self.current
            snap.retired = True
            idle = snap.users == 0
        if idle:
            snap.close()


# -- loading a snapshot ----------------------------------------------------------------------------
def copy_site(site_dir: Path, into: Path) -> Path:
    """Hard-link the built site into `into` (a copy where links are impossible); return it."""
    marker_before = _stamp_id(site_dir)
    tmp = into.with_name(into.name + ".tmp")
    shutil.rmtree(tmp, ignore_errors=True)
    try:
        fs.link_tree(site_dir, tmp, copy=True)
    except OSError as exc:
        shutil.rmtree(tmp, ignore_errors=True)
        raise KBError(f"{site_dir}: changed while being read ({exc})") from None
    if _stamp_id(site_dir) != marker_before:
        shutil.rmtree(tmp, ignore_errors=True)
        raise KBError(f"{site_dir}: changed while being read")
    os.replace(tmp, into)
    return into


def _stamp_id(site_dir: Path) -> Any:
    try:
        return os.stat(site_dir).st_ino, (site_dir / SITE_STAMP).stat().st_mtime_ns
    except OSError:
        return None


class Loader:
    """Makes snapshots of the current build for one server process."""

    def __init__(
        self,
        settings: Settings,
        embedder: Embedder | None,
        *,
        serve_site: bool = True,
        with_model: bool = True,
    ) -> None:
        self.settings = settings
        self.embedder = embedder
        self.serve_site = serve_site
        self.with_model = with_model
        self.copies = settings.layout.server_copies(os.getpid())
        self._n = 0

    def load(self, marker: Marker | None = None) -> Snapshot:
        """Load the KB, index, embeddings and site as they are now."""
        from kb.core.collection import KnowledgeBase

        marker = marker if marker is not None else build_marker(self.settings)
        snap = Snapshot(marker=marker)
        try:
            snap.kb = KnowledgeBase.load(self.settings)
        except KBError as exc:
            snap.problems.append(f"knowledge base: {exc}")
        self._open_index(snap)
        if snap.kb is not None and snap.searcher is not None:
            self._suggesters(snap)
        if self.serve_site:
            self._site(snap)
        log.info("serving index %s, site %s", snap.generation, snap.site)
        return snap

    def _open_index(self, snap: Snapshot) -> None:
        from kb.search.searcher import open_searcher

        try:
            snap.searcher = open_searcher(self.settings)
            for lang in snap.searcher.languages():  # open every part now, while its files exist
                for internal in (False, True):
                    snap.searcher.search("help", lang=lang, limit=1, internal=internal)
        except KBError as exc:
            snap.problems.append(f"search index: {exc}")
            if snap.searcher is not None:
                snap.searcher.close()
            snap.searcher = None

    def _suggesters(self, snap: Snapshot) -> None:
        from kb.suggest.suggester import Suggester

        assert snap.kb is not None and snap.searcher is not None
        chunks = None  # embedded once, for both audiences
        for internal in (False, True):
            suggester = Suggester.from_settings(
                self.settings,
                kb=snap.kb,
                internal=internal,
                searcher=snap.searcher,
                lock=snap.search_lock,
                embedder=self.embedder,
                with_model=self.embedder is not None and self.with_model,
                chunks=chunks,
            )
            chunks = suggester.chunks
            snap.suggesters[internal] = suggester

    def _site(self, snap: Snapshot) -> None:
        site = self.settings.site_dir
        if not (site / SITE_STAMP).is_file() and not (site / "index.html").is_file():
            # the agents' server serves the internal site folder (kb serve --internal)
            internal = site.resolve() == self.settings.internal_site_dir.resolve()
            command = "kb build --internal" if internal else "kb build"
            snap.problems.append(f"site: {site} is not built yet; run {command}")
            return
        self._n += 1
        try:
            snap.site = copy_site(site, self.copies / f"site-{self._n}")
        except KBError as exc:
            snap.problems.append(f"site: {exc}")

    def cleanup(self) -> None:
        """Remove this process's site copies and those of servers that are gone."""
        shutil.rmtree(self.copies, ignore_errors=True)
        parent = self.copies.parent
        if not parent.is_dir():
            return
        for child in parent.iterdir():
            if child.name.isdigit() and not fs.pid_alive(int(child.name)):
                shutil.rmtree(child, ignore_errors=True)


class Watcher:
    """Polls the build marker; when it changed and then held still, loads and swaps a snapshot."""

    def __init__(
        self,
        holder: SnapshotHolder,
        loader: Loader,
        interval: float = 1.0,
        on_swap: Callable[[Snapshot], None] | None = None,
    ) -> None:
        self.holder = holder
        self.loader = loader
        self.interval = interval
        self.on_swap = on_swap
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def check(self) -> bool:
        """Swap in a new snapshot when the build changed and is stable; True when swapped."""
        seen = build_marker(self.loader.settings)
        if seen == self.holder.current.marker:
            return False
        time.sleep(min(self.interval, 0.5))  # a build writes the index, then swaps the site
        if build_marker(self.loader.settings) != seen:
            return False
        if fs.held(self.loader.settings.layout.build_lock):
            return False  # a kb build is still running: its index may be new, its site not yet
        try:
            snap = self.loader.load(seen)
        except Exception:  # a broken build must never stop the server: keep serving the old one
            log.exception("could not load the new build; still serving the previous one")
            self.holder.current.marker = seen  # do not retry the same build in a loop
            return False
        current = self.holder.current
        lost = [n for n in ("kb", "searcher") if getattr(snap, n) is None and getattr(current, n)]
        if lost:  # e.g. an article broken again right after the build: keep the good build
            log.warning("not switching to the new build: %s", "; ".join(snap.problems))
            snap.close()
            current.marker = seen
            return False
        self.holder.swap(snap)
        if self.on_swap is not None:
            self.on_swap(snap)
        log.info("picked up a new build: index %s", snap.generation)
        return True

    def start(self) -> None:
        """Poll in a background thread."""
        self._thread = threading.Thread(target=self._run, name="kb-watch", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        while not self._stop.wait(self.interval):
            try:
                self.check()
            except Exception:
                log.exception("build watcher failed; retrying")

    def stop(self) -> None:
        """Stop polling."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=5)
