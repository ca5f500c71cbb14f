"""Browser search for the built help site: a Pagefind index per `<html lang>`, with stemming."""

from __future__ import annotations

import asyncio
import logging
from pathlib import Path

from kb.errors import KBError

log = logging.getLogger(__name__)
BUNDLE = "pagefind"


def build_pagefind(site_dir: Path) -> int:
    """Index every page of `site_dir` that marks its body with data-pagefind-body; return the count."""
    try:
        from pagefind.index import IndexConfig, PagefindIndex
    except ImportError:  # pragma: no cover - pagefind is a dependency of the site extra
        raise KBError("browser search needs Pagefind: pip install 'pagefind[bin]'") from None

    async def run() -> int:
        config = IndexConfig(output_path=str(site_dir / BUNDLE), exclude_selectors=[".headerlink"])
        async with PagefindIndex(config=config) as index:
            result = await index.add_directory(str(site_dir))
            return int(result.get("page_count", 0))

    try:
        count = asyncio.run(run())
    except Exception as exc:  # the service reports problems as plain exceptions
        raise KBError(f"{site_dir}: Pagefind could not index the site: {exc}") from None
    log.info("pagefind: indexed %d pages in %s", count, site_dir)
    return count
