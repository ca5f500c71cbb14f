"""What Pagefind indexes of each page, cut from the built HTML and kept between builds."""

from __future__ import annotations

import contextlib
import json
import os
import shutil
from pathlib import Path

BODY_END = "<!--kb:pagefind-body-end-->"  # theme/main.html puts it after the data-pagefind-body div
VERSION = 1  # of pagefind_html's output and the manifest: another version starts over


def pagefind_html(html: str) -> str:
    """What Pagefind needs of a page: `<html lang>`, the head and the data-pagefind-body element.

    Pagefind indexes only that element (and its language and metadata), so the header, nav,
    feedback form and scripts around it are cut before it parses the page: about half of its
    indexing time. The bundle is byte-for-byte the same (tested). A page without the theme's end
    marker (a theme override) is passed whole.
    """
    body = html.find("data-pagefind-body")
    end = html.find(BODY_END, body)
    head_end = html.find("</head>")
    if body < 0 or end < 0 or not 0 <= head_end < body:
        return html
    start = html.rfind("<", 0, body)
    return f"<!DOCTYPE html>\n{html[html.find('<html') : head_end]}</head><body>{html[start:end]}</body></html>"


def _identity(path: Path) -> list[int]:
    """The file a page is: device, inode, modification time and size."""
    st = path.stat()
    return [st.st_dev, st.st_ino, st.st_mtime_ns, st.st_size]


class CutPages:
    """A folder of pages cut for Pagefind, mirroring the site, kept from one build to the next.

    A rebuild hard-links the previous site, so a page it keeps is the very file (device, inode,
    mtime, size) its mirrored copy was cut from: the copy is used as it is. Cutting and writing
    about a thousand pages again took a third of a one-article rebuild. The manifest is removed
    while a build runs and written back when it ends, so a killed build leaves no stale copy
    behind; a lock keeps a second build out (it cuts into a temporary folder instead).
    """

    def __init__(self, root: Path, lock: int, entries: dict[str, list[int]]) -> None:
        self.root = root
        self.pages = root / "pages"
        self._lock = lock
        self._entries = entries  # page path -> identity + [1 if it has a Pagefind body else 0]
        self._written: set[str] = set()  # pages cut in this build; identified when it ends
        self._folders: set[Path] = set()
        self.held: dict[str, str] | None = None  # cut copies waiting for a directory pass to end

    @classmethod
    def open(cls, root: Path) -> CutPages | None:
        """Take the mirror at `root`; None when another build holds it or it cannot be written."""
        try:
            import fcntl
        except ImportError:  # pragma: no cover - not on Windows: a temporary folder each build
            return None
        try:
            root.mkdir(parents=True, exist_ok=True)
            lock = os.open(root / ".lock", os.O_RDWR | os.O_CREAT, 0o644)
        except OSError:
            return None
        try:
            fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            os.close(lock)
            return None
        manifest = root / "manifest.json"
        try:
            data = json.loads(manifest.read_text(encoding="utf-8"))
            entries = data["pages"] if data.get("version") == VERSION else None
            entries = entries if isinstance(entries, dict) else None
            manifest.unlink()
        except (OSError, ValueError, KeyError, AttributeError):
            entries = None
        if entries is None:  # first use, another version, or a build that never ended
            shutil.rmtree(root / "pages", ignore_errors=True)
            entries = {}
        return cls(root, lock, entries)

    def reuse(self, site_dir: Path, paths: list[str]) -> Path:
        """Make the mirror hold the cut copies of exactly these pages of `site_dir`; return it."""
        wanted = set(paths)
        for path in [p for p in self._entries if p not in wanted]:
            self._drop(path)
        for path in paths:
            identity = _identity(site_dir / path)
            entry = self._entries.get(path)
            if entry is not None and entry[:4] == identity:
                continue
            self._drop(path)
            html = (site_dir / path).read_text(encoding="utf-8")
            if "data-pagefind-body" in html:
                self._write(path, pagefind_html(html))
            self._entries[path] = [*identity, int(path in self._written)]
            self._written.discard(path)
        self.pages.mkdir(parents=True, exist_ok=True)
        return self.pages

    def put(self, path: str, html: str) -> str | None:
        """Cut a page about to be written to the site and keep the copy; None if not indexed.

        While a directory pass over the mirror runs (see `hold`), the copy waits in memory, so
        Pagefind never finds a page in the folder that it is also sent on its own.
        """
        self._drop(path)
        if "data-pagefind-body" not in html:  # Pagefind skips it
            return None
        cut = pagefind_html(html)
        if self.held is not None:
            self.held[path] = cut
        else:
            self._write(path, cut)
        return cut

    def hold(self) -> None:
        """Keep new copies in memory until `release` (a directory pass is about to start)."""
        if self.held is None:
            self.held = {}

    def release(self) -> None:
        """Write the copies kept in memory."""
        held, self.held = self.held or {}, None
        for path, cut in held.items():
            self._write(path, cut)

    def _write(self, path: str, cut: str) -> None:
        target = self.pages / path
        if target.parent not in self._folders:
            target.parent.mkdir(parents=True, exist_ok=True)
            self._folders.add(target.parent)
        target.write_text(cut, encoding="utf-8")
        self._written.add(path)

    def _drop(self, path: str) -> None:
        if self._entries.pop(path, [0])[-1] or path in self._written:
            (self.pages / path).unlink(missing_ok=True)
        self._written.discard(path)
        if self.held is not None:
            self.held.pop(path, None)

    def close(self, site_dir: Path | None, paths: set[str]) -> None:
        """Record the pages this build wrote to `site_dir` and release the mirror.

        With no `site_dir` (a failed build) the copies made in this build are dropped.
        """
        try:
            if site_dir is None:
                self.held = None
                for path in sorted(self._written):
                    self._drop(path)
            else:
                self.release()
            for path in [p for p in self._entries if p not in paths]:
                self._drop(path)
            if site_dir is not None:
                self._record(site_dir, paths)
            tmp = self.root / "manifest.json.tmp"
            tmp.write_text(json.dumps({"version": VERSION, "pages": self._entries}), "utf-8")
            os.replace(tmp, self.root / "manifest.json")
        except OSError:
            pass  # no manifest: the next build starts over
        finally:
            with contextlib.suppress(OSError):
                os.close(self._lock)

    def _record(self, site_dir: Path, paths: set[str]) -> None:
        for path in paths:
            if path in self._entries:
                continue
            try:
                identity = _identity(site_dir / path)
            except FileNotFoundError:  # indexed but not written (another plugin dropped it)
                self._drop(path)
                continue
            self._entries[path] = [*identity, int(path in self._written)]
        self._written.clear()
