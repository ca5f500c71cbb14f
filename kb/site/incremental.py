"""Rebuilds: whether a build may keep the previous build's pages, and which pages it keeps.

A built site is stamped (`.kb-build`) with a hash of everything one page shows about other
pages (the site model's structure hash), the theme and mkdocs.yml, followed by a hash of each
generated page. When the stamp still matches, the previous build is kept: MkDocs, in dirty mode,
renders only the articles whose file is newer than their page, and the generated pages whose
Markdown or context changed. Anything else renders every page again.

`kb build` hard-links the previous site into the new build folder, so every file a build
rewrites is unlinked first: the live site keeps its own copy until the swap. Nothing here
imports MkDocs: files are duck-typed (`is_modified()`, `src_uri`, `abs_dest_path`...).
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from kb.core import fs
from kb.core.cache import SITE_STAMP, digest
from kb.core.settings import Settings
from kb.site.model import SiteModel
from kb.site.theme import theme_files

# what MkDocs writes on every build, whatever changed
ALWAYS_WRITTEN = ("sitemap.xml", "sitemap.xml.gz", "404.html")


def build_stamp(model: SiteModel, settings: Settings) -> str:
    """What every page of a build depends on: the site's structure, the theme and mkdocs.yml."""
    parts: list[str | bytes] = [model.structure_hash()]
    parts += [path.as_posix().encode() + path.read_bytes() for path in theme_files()]
    if settings.config_file:
        parts.append(settings.config_file.read_bytes())
    return digest(*parts, size=64)


def page_hash(model: SiteModel, uri: str) -> str:
    """What a generated page shows: its Markdown and its theme context."""
    context = json.dumps(model.page_context(uri), sort_keys=True, default=str)
    return digest(model.pages[uri].markdown(), context, size=64)


class Rebuild:
    """This build's stamp and page hashes; whether it builds over the previous one, and what it keeps."""

    def __init__(self, stamp: str, page_hashes: dict[str, str], incremental: bool) -> None:
        self.stamp = stamp
        self.page_hashes = page_hashes
        self.incremental = incremental
        self.kept: set[str] = set()  # pages (output paths) MkDocs will not render again
        self._previous: dict[str, str] = {}  # the previous build's hash of each generated page

    @classmethod
    def compare(
        cls, model: SiteModel, settings: Settings, site_dir: Path, *, background: bool = True
    ) -> Rebuild:
        """Compare with the build in `site_dir`; when it cannot be built over, clear it."""
        stamp_file = site_dir / SITE_STAMP
        lines = stamp_file.read_text().splitlines() if stamp_file.is_file() else []
        stamp = build_stamp(model, settings)
        hashes = {uri: page_hash(model, uri) for uri in model.pages}
        rebuild = cls(stamp, hashes, bool(lines) and lines[0] == stamp)
        pairs = (line.split(" ", 1) for line in lines[1:] if " " in line)
        rebuild._previous = {uri: made_from for made_from, uri in pairs}
        if not rebuild.incremental and stamp_file.exists():  # nothing of it is kept
            fs.discard(list(site_dir.iterdir()), beside=site_dir, background=background)
        return rebuild

    def keep(self, model: SiteModel, site_dir: Path, files: Iterable[Any]) -> None:
        """On a rebuild: mark what MkDocs will not render again, unlink what it writes anew."""
        if not self.incremental:
            return
        rewritten = [site_dir / SITE_STAMP, *(site_dir / name for name in ALWAYS_WRITTEN)]
        for file in files:
            generated = file.abs_src_path is None or file.src_uri in model.pages
            if file.is_documentation_page() and not generated:
                if not file.is_modified():
                    self.kept.add(file.dest_uri)
                continue  # unlinked in before_write, only when MkDocs renders it
            if (
                file.abs_src_path is None
                and file.is_documentation_page()
                and self._previous.get(file.src_uri, "") == self.page_hashes.get(file.src_uri)
                and Path(file.abs_dest_path).is_file()
            ):  # a generated page with the same Markdown and context as the one on disk
                setattr(file, "is_modified", lambda: False)  # noqa: B010 - MkDocs then skips it
                self.kept.add(file.dest_uri)
                continue
            if generated or file.is_modified():
                rewritten.append(Path(file.abs_dest_path))
        for path in rewritten:
            path.unlink(missing_ok=True)

    def before_write(self, dest: str) -> None:
        """Unlink a page's previous output before MkDocs writes it (it may be a hard link)."""
        if self.incremental:
            Path(dest).unlink(missing_ok=True)

    def write_stamp(self, site_dir: Path) -> None:
        """Stamp the finished build: written last, so a build that failed is never built over."""
        pages = "".join(f"{h} {uri}\n" for uri, h in sorted(self.page_hashes.items()))
        (site_dir / SITE_STAMP).write_text(f"{self.stamp}\n{pages}")
