"""Search for the built help site: Pagefind (one index per `<html lang>`) and the kb index."""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextlib
import importlib
import importlib.util
import json
import logging
import os
import shutil
import tempfile
import threading
from pathlib import Path
from typing import Any

from kb.core.collection import KnowledgeBase
from kb.core.errors import KBError
from kb.site.fast.cut import CutPages, copy_cut, pagefind_html

log = logging.getLogger(__name__)
BUNDLE = "pagefind"


class PagefindStream:
    """A Pagefind index fed page by page while MkDocs renders, on an event loop in its own thread.

    The Pagefind service is a separate process, so its parsing and indexing run on another core
    while this one renders. `finish` waits for every page and writes the bundle.
    """

    def __init__(self, site_dir: Path, mirror: Path | None = None) -> None:
        try:
            from pagefind.index import IndexConfig, PagefindIndex
        except ImportError:  # pragma: no cover - pagefind is a dependency of the site extra
            raise KBError("browser search needs Pagefind: pip install 'pagefind[bin]'") from None
        self.site_dir = site_dir
        self.paths: set[str] = set()
        self._pending: list[concurrent.futures.Future[int]] = []
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, name="pagefind", daemon=True)
        self._thread.start()
        config = IndexConfig(output_path=str(site_dir / BUNDLE), exclude_selectors=[".headerlink"])
        self._index = PagefindIndex(config=config)
        self._ready = self._submit(self._start())
        # the cut pages kept for the next build (see kb.site_cut); None: cut into a temporary folder
        self.cut = CutPages.open(mirror) if mirror is not None else None

    async def _start(self) -> None:
        await self._index.__aenter__()
        service = getattr(self._index, "_service", None)
        task = getattr(service, "_poll_task", None)
        if service is not None and task is not None and hasattr(service, "_responses"):
            task.cancel()  # it sleeps 0.1 s before each response: 100 s for 1,000 pages
            service._poll_task = asyncio.get_running_loop().create_task(_read_responses(service))

    def _submit(self, coro: Any) -> concurrent.futures.Future[Any]:
        return asyncio.run_coroutine_threadsafe(coro, self._loop)

    async def _add(self, path: str, html: str | None) -> int:
        await asyncio.wrap_future(self._ready)
        if html is None:
            html = (self.site_dir / path).read_text(encoding="utf-8")
        if self.cut is not None:
            cut = self.cut.put(path, html)
        else:
            cut = pagefind_html(html) if "data-pagefind-body" in html else None
        if cut is None:
            return 0
        await self._index.add_html_file(content=cut, url=page_url(path))
        return 1

    def add_unchanged(self, paths: list[str]) -> None:
        """Index pages already on disk in one directory pass: much faster than page by page."""
        paths = [p for p in paths if p not in self.paths]
        self.paths.update(paths)
        self._pending.append(self._submit(self._add_unchanged(paths)))

    async def _add_unchanged(self, paths: list[str]) -> int:
        await asyncio.wrap_future(self._ready)
        if self.cut is not None:
            result = await self._index.add_directory(str(self.cut.reuse(self.site_dir, paths)))
            return int(result.get("page_count", 0))
        # Copies of the pages, cut to what Pagefind indexes, beside the site: Pagefind reads them
        # on its own threads.
        shadow = Path(tempfile.mkdtemp(prefix=".kb-pagefind-", dir=self.site_dir.parent))
        try:
            folders: set[Path] = set()
            for path in paths:
                copy_cut(self.site_dir / path, shadow / path, folders)
            if not paths:
                return 0
            result = await self._index.add_directory(str(shadow))
            return int(result.get("page_count", 0))
        finally:
            shutil.rmtree(shadow, ignore_errors=True)

    def add(self, path: str, html: str | None = None) -> None:
        """Index the page written to `path` (relative to the site); read it from disk if no html."""
        if path in self.paths:
            return
        self.paths.add(path)
        self._pending.append(self._submit(self._add(path, html)))

    def finish(self) -> int:
        """Index the site's remaining HTML files, wait for all pages, write the bundle; return the count."""
        pages = []
        for folder, dirs, names in os.walk(self.site_dir):
            if folder == str(self.site_dir):
                dirs[:] = [d for d in dirs if d != BUNDLE]
            pages += [os.path.join(folder, name) for name in names if name.endswith(".html")]
        for page in sorted(pages):
            self.add(Path(page).relative_to(self.site_dir).as_posix())
        try:
            count = sum(future.result() for future in self._pending)
            self._submit(self._write_and_close()).result()
        except Exception as exc:  # the service reports problems as plain exceptions
            self.abort()
            raise KBError(f"{self.site_dir}: Pagefind could not index the site: {exc}") from None
        self._stop()
        if self.cut is not None:
            self.cut.close(self.site_dir, self.paths)
            self.cut = None
        log.info("pagefind: indexed %d pages in %s", count, self.site_dir)
        return count

    async def _write_and_close(self) -> None:
        await write_bundle(self._index, self.site_dir / BUNDLE)
        await self._index.__aexit__(RuntimeError, None, None)  # stop the service; nothing to write

    def abort(self) -> None:
        """Stop the Pagefind service without writing anything."""
        if not self._thread.is_alive():
            return
        for future in self._pending:
            future.cancel()
        with contextlib.suppress(Exception):
            self._ready.result()
            self._submit(self._index.__aexit__(RuntimeError, None, None)).result(timeout=10)
        self._stop()
        if self.cut is not None:
            self.cut.close(None, self.paths)
            self.cut = None

    def _stop(self) -> None:
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join()
        self._loop.close()


async def write_bundle(index: Any, out: Path) -> None:
    """Write the Pagefind bundle of `index` into `out` ourselves, every file complete.

    Pagefind's own write answers before its last writes reach the disk (tokio files dropped
    unflushed) and the client then terminates the service: now and then pagefind-entry.json
    or a fragment came out empty. So the files are fetched from the service and written here.
    A bundle already in `out` (a rebuild's hard links to the live site) is updated: files with
    the same bytes are kept, the others unlinked before writing, so the live site never changes;
    after a one-article edit that leaves all but a handful of about a thousand files alone.
    """
    reader = getattr(getattr(getattr(index, "_service", None), "_backend", None), "stdout", None)
    if reader is None or not hasattr(reader, "_limit"):  # a client we do not know: its own write
        shutil.rmtree(out, ignore_errors=True)  # it would write through the hard links
        await index.write_files()
        return
    reader._limit = max(reader._limit, 1 << 31)  # the reply holds the whole bundle
    update_files(out, {file["path"]: file["content"] for file in await index.get_files()})
    json.loads((out / "pagefind-entry.json").read_text(encoding="utf-8"))  # complete, or raise


def update_files(out: Path, files: dict[str, bytes]) -> int:
    """Make `out` hold exactly `files` (relative path to bytes); return how many were written.

    A file already there with the same bytes is kept; any other is unlinked before it is
    written, never written through (it may be a hard link into the live site).
    """
    written = 0
    folders: set[Path] = set()
    for rel, content in files.items():
        path = out / rel
        try:
            if path.stat().st_size == len(content) and path.read_bytes() == content:
                continue
            path.unlink()
        except FileNotFoundError:
            pass
        if path.parent not in folders:
            path.parent.mkdir(parents=True, exist_ok=True)
            folders.add(path.parent)
        path.write_bytes(content)
        written += 1
    for folder, _, names in os.walk(out, topdown=False):
        for name in names:
            path = Path(folder, name)
            if path.relative_to(out).as_posix() not in files:
                path.unlink()
        with contextlib.suppress(OSError):
            if folder != str(out):
                os.rmdir(folder)  # only when empty
    return written


def page_url(path: str) -> str:
    """The URL Pagefind gives the page at `path`: index.html dropped, as with --site."""
    url = "/" + path
    return url[: -len("index.html")] if url.endswith("/index.html") else url


async def _read_responses(service: Any) -> None:
    """Resolve the Pagefind service's pending requests as soon as each response arrives."""
    import base64

    while True:
        try:
            output = await service._backend.stdout.readuntil(b",")
        except asyncio.IncompleteReadError:  # the service has exited
            return
        resp = json.loads(base64.b64decode(output[:-1]))
        if resp is None:
            continue
        message_id = resp.get("message_id")
        payload = resp.get("payload", {})
        if message_id is None and payload.get("original_message"):
            message_id = (json.loads(payload["original_message"]) or {}).get("message_id")
        future = service._responses.get(message_id)
        if future is None or future.done():
            continue
        if payload.get("type") == "Error":
            future.set_exception(Exception(payload.get("message"), payload.get("original_message")))
        else:
            future.set_result(payload)


def build_search_index(kb: KnowledgeBase) -> None:
    """Bring the kb search index (.kb/index) in line with the KB."""
    from kb.search.index import build_index

    build_index(kb)


class IndexProcess:
    """build_search_index(kb) in a forked child, so it runs on another core while MkDocs renders."""

    def __init__(self, process: Any, reader: Any) -> None:
        self.process = process
        self.reader = reader

    @classmethod
    def start(cls, kb: KnowledgeBase) -> IndexProcess | None:
        """Fork the indexer; None where forking is unsafe (threads running) or unavailable."""
        import multiprocessing
        import threading

        if threading.active_count() > 1 or "fork" not in multiprocessing.get_all_start_methods():
            return None
        ctx = multiprocessing.get_context("fork")
        reader, writer = ctx.Pipe(duplex=False)
        process = ctx.Process(target=_index_child, args=(kb, writer), name="kb-index")
        process.start()
        writer.close()
        return cls(process, reader)

    def join(self) -> None:
        """Wait for the child; raise KBError with its message when it failed."""
        try:
            message: str | None = self.reader.recv()
        except EOFError:  # the child closed the pipe without a message: it succeeded or died
            message = None
        self.wait()
        if message is None and self.process.exitcode != 0:
            message = f"the indexing process died (exit code {self.process.exitcode})"
        if message is not None:
            raise KBError(f"the search index was not built: {message}")

    def wait(self) -> None:
        """Wait for the child to end and release its pipe."""
        self.process.join()
        self.reader.close()


def _index_child(kb: KnowledgeBase, writer: Any) -> None:
    try:
        build_search_index(kb)
    except KBError as exc:
        writer.send(str(exc))
    except Exception as exc:  # report it to the parent; a traceback goes to stderr
        log.debug("the search index failed", exc_info=True)
        writer.send(f"{type(exc).__name__}: {exc}")
    writer.close()
