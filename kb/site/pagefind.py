"""Browser search: the Pagefind bundle of a built site, one index per `<html lang>`.

Without kb's speed machinery (`parallel: false`) the written site is indexed in one directory
pass, as `pagefind --site` does; kb.site.fast.stream feeds Pagefind while MkDocs renders.
Either way the bundle is written by `write_bundle`, every file complete.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import shutil
from pathlib import Path
from typing import Any

from kb.core.errors import KBError

BUNDLE = "pagefind"  # the bundle's folder in the site
EXCLUDE = [".headerlink"]  # the permalink signs after headings are not text


def new_index(site_dir: Path) -> Any:
    """A Pagefind index (not started) that writes `site_dir`'s bundle."""
    try:
        from pagefind.index import IndexConfig, PagefindIndex
    except ImportError:  # pragma: no cover - pagefind is a dependency of the site extra
        raise KBError("browser search needs Pagefind: pip install 'pagefind[bin]'") from None
    config = IndexConfig(output_path=str(site_dir / BUNDLE), exclude_selectors=EXCLUDE)
    return PagefindIndex(config=config)


def index_site(site_dir: Path) -> int:
    """Index the pages written to `site_dir` in one pass and write the bundle; the page count."""
    try:
        return asyncio.run(_index_site(site_dir))
    except KBError:
        raise
    except Exception as exc:  # the service reports problems as plain exceptions
        raise KBError(f"{site_dir}: Pagefind could not index the site: {exc}") from None


async def _index_site(site_dir: Path) -> int:
    index = new_index(site_dir)
    await index.__aenter__()
    try:
        result = await index.add_directory(str(site_dir))
        await write_bundle(index, site_dir / BUNDLE)
    finally:
        await index.__aexit__(RuntimeError, None, None)  # stop the service; nothing to write
    return int(result.get("page_count", 0))


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
