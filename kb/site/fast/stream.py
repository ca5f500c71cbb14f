"""Pagefind fed page by page while MkDocs renders, from an event loop in a thread of its own."""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextlib
import json
import logging
import os
import shutil
import threading
from pathlib import Path
from typing import Any

from kb.core import fs
from kb.core.errors import KBError
from kb.site.fast.cut import CutPages, copy_cut, pagefind_html
from kb.site.pagefind import BUNDLE, new_index, write_bundle

log = logging.getLogger(__name__)


class PagefindStream:
    """A Pagefind index fed page by page while MkDocs renders, on an event loop in its own thread.

    The Pagefind service is a separate process, so its parsing and indexing run on another core
    while this one renders. `finish` waits for every page and writes the bundle.
    """

    def __init__(self, site_dir: Path, mirror: Path | None = None) -> None:
        self.site_dir = site_dir
        self.paths: set[str] = set()
        self._pending: list[concurrent.futures.Future[int]] = []
        self._index = new_index(site_dir)
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, name="pagefind", daemon=True)
        self._thread.start()
        self._ready = self._submit(self._start())
        # the cut pages kept for the next build (kb.site.fast.cut); None: cut into a temporary folder
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
        shadow = fs.scratch_folder(".kb-pagefind-", self.site_dir.parent)
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
