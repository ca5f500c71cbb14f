"""What Pagefind indexes of each page, cut from the built HTML and kept between builds."""

from __future__ import annotations

import contextlib
import os
import shutil
from pathlib import Path

from kb.core import cache, fs

BODY_END = (
    "<!--kb:pagefind-body-end-->"  # theme/kb-base.html puts it after the data-pagefind-body div
)
VERSION = 2  # of pagefind_html's output and the manifest: another version starts over
FORK_MIN = 50  # new copies worth writing in a forked process after the build


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


class CutPages:
    """A folder of pages cut for Pagefind, mirroring the site, kept from one build to the next.

    A rebuild hard-links the previous site, so a page it keeps is the very file (device, inode,
    mtime, size) its mirrored copy was cut from: the copy is indexed as it is. Cutting and writing
    about a thousand pages again took a third of a one-article rebuild. Pages rendered in a build
    are cut in memory and written when it ends; after a full build that is done by a forked
    process, so writing a thousand small files costs the build itself nothing. The manifest is
    removed while the mirror is in use and written back last, so a killed build leaves no stale
    copy behind; a lock keeps a second build out (it cuts into a temporary folder instead).
    """

    def __init__(self, root: Path, lock: int, entries: dict[str, list[int]]) -> None:
        self.root = root
        self.pages = root / "pages"
        self._lock = lock
        self._entries = entries  # page path -> identity + [1 if it has a Pagefind body else 0]
        self._held: dict[str, str | None] = {}  # pages rendered in this build: their cut copies

    @classmethod
    def open(cls, root: Path) -> CutPages | None:
        """Take the mirror at `root`; None when another build holds it or it cannot be written."""
        lock = fs.lock(root / ".lock", wait=0)
        if lock is None:
            return None
        manifest = root / "manifest.json"
        entries = cache.load(manifest, VERSION, "")
        entries = entries if isinstance(entries, dict) else None
        manifest.unlink(missing_ok=True)
        if entries is None:  # first use, another version, or a build that never ended
            shutil.rmtree(root / "pages", ignore_errors=True)
            entries = {}
        return cls(root, lock, entries)

    @staticmethod
    def wait(root: Path, timeout: float = 30.0) -> bool:
        """Wait until no build or writer holds the mirror at `root`; False on timeout."""
        lock = fs.lock(root / ".lock", wait=timeout)
        if lock is None:
            return False
        fs.unlock(lock)
        return True

    def reuse(self, site_dir: Path, paths: list[str]) -> Path:
        """Make the mirror hold the cut copies of exactly these pages of `site_dir`; return it."""
        wanted = set(paths)
        for path in [p for p in self._entries if p not in wanted]:
            self._drop(path)
        folders: set[Path] = set()
        for path in paths:
            identity = fs.file_identity(site_dir / path)
            entry = self._entries.get(path)
            if entry is not None and entry[:4] == identity:
                continue
            self._drop(path)
            body = copy_cut(site_dir / path, self.pages / path, folders)
            self._entries[path] = [*identity, int(body)]
        self.pages.mkdir(parents=True, exist_ok=True)
        return self.pages

    def put(self, path: str, html: str) -> str | None:
        """Cut a page about to be written to the site and keep the copy; None if not indexed."""
        cut = pagefind_html(html) if "data-pagefind-body" in html else None
        self._held[path] = cut
        return cut

    def _drop(self, path: str) -> None:
        if self._entries.pop(path, [0])[-1]:
            (self.pages / path).unlink(missing_ok=True)

    def close(self, site_dir: Path | None, paths: set[str]) -> None:
        """Record and write the pages this build wrote to `site_dir`; release the mirror.

        With no `site_dir` (a failed build) nothing is written: the copies made for earlier
        builds stay, each valid while its page file is unchanged.
        """
        held, self._held = self._held, {}
        try:
            copies: dict[str, str | None] = {}
            if site_dir is not None:
                for path in [p for p in self._entries if p not in paths]:
                    self._drop(path)  # a page the site no longer has
                for path, cut in sorted(held.items()):
                    had_copy = self._entries.pop(path, [0])[-1]
                    try:
                        identity = fs.file_identity(site_dir / path)
                    except FileNotFoundError:  # indexed but not written (a plugin dropped it)
                        cut = None
                    else:
                        self._entries[path] = [*identity, int(cut is not None)]
                    if cut is not None or had_copy:
                        copies[path] = cut  # None: remove the old copy
            if len(copies) < FORK_MIN or not self._fork_writer(copies):
                self._write_all(copies)
        except OSError:
            pass  # no manifest: the next build starts over
        finally:
            fs.unlock(self._lock)

    def _write_all(self, copies: dict[str, str | None]) -> None:
        """Write (or with None remove) the copies, then the manifest."""
        folders: set[Path] = set()
        for path, cut in copies.items():
            target = self.pages / path
            target.unlink(missing_ok=True)
            if cut is not None:
                _write(target, cut, folders)
        if not cache.save(self.root / "manifest.json", VERSION, "", self._entries):
            raise OSError("the manifest was not written")

    def _fork_writer(self, copies: dict[str, str | None]) -> bool:
        """Write the copies in a detached process that holds the lock; False where unsafe."""
        if not fs.can_fork():
            return False
        child = os.fork()
        if child:
            os.waitpid(child, 0)
            return True
        try:  # the child: detach, start the writer, and leave at once (so it is never a zombie)
            os.setsid()
            if os.fork() == 0:
                with contextlib.suppress(OSError):
                    os.nice(19)  # a cache for the next build: never in the way of this one's end
                devnull = os.open(os.devnull, os.O_RDWR)
                for fd in (0, 1, 2):  # whoever reads the build's output must not wait for this
                    os.dup2(devnull, fd)
                os.closerange(3, self._lock)
                os.closerange(self._lock + 1, 1 << 16)
                self._write_all(copies)
        except BaseException:
            pass  # no manifest: the next build cuts again
        os._exit(0)


def copy_cut(page: Path, target: Path, folders: set[Path]) -> bool:
    """Write what Pagefind indexes of `page` to `target`; False (nothing written) if it has none."""
    html = page.read_text(encoding="utf-8")
    if "data-pagefind-body" not in html:  # Pagefind skips it
        return False
    _write(target, pagefind_html(html), folders)
    return True


def _write(target: Path, text: str, folders: set[Path]) -> None:
    if target.parent not in folders:
        target.parent.mkdir(parents=True, exist_ok=True)
        folders.add(target.parent)
    target.write_text(text, encoding="utf-8")
