"""The build's speed machinery, all of it behind one object and one switch (`parallel: false`).

With `parallel: true`, the default, a build
- builds the kb search index in a forked process while MkDocs renders (indexer);
- on `kb build`, renders every other page in a forked second renderer (split);
- feeds Pagefind each page as it is rendered, from a thread of its own, and on a rebuild
  indexes the unchanged pages from cut copies kept in .kb/cache (stream, cut), whose new
  copies a detached process writes after the build;
- asks each MkDocs file once whether it changed, and lists the theme's templates without
  walking Material's 14,000 hidden icons (templates).
`kb build` also links the previous site in with `cp -al` and deletes old sites in the background
(kb.site.output). With `parallel: false` none of this runs and nothing of MkDocs or Pagefind is
patched: one process renders every page, then the written site is indexed by Pagefind in one
pass (kb.site.pagefind), then the kb search index is built. The pages and the Pagefind records
are the same either way (tests/split_cases.py; tests/test_site_fast.py checks the switch).
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import Any

from kb.core.collection import KnowledgeBase
from kb.core.settings import Settings
from kb.search.index import build_index
from kb.site.fast.indexer import IndexProcess
from kb.site.fast.split import RenderSplit
from kb.site.fast.stream import PagefindStream
from kb.site.fast.templates import skip_hidden_theme_folders
from kb.site.pagefind import index_site

SPLIT_SAFE_PLUGINS = {"kb"}  # plugins that keep no state across pages: safe to render in two


class Fast:
    """One build's helpers: the index process, the second renderer and the Pagefind stream.

    `enabled` is the `parallel` setting; `split` is True for the dirty builds `kb build` drives
    (only those can share pages out between two renderers); `pagefind` builds browser search.
    """

    def __init__(
        self, settings: Settings, internal: bool, *, enabled: bool, split: bool, pagefind: bool
    ) -> None:
        self.settings = settings
        self.internal = internal
        self.enabled = enabled
        self.may_split = split
        self.pagefind = pagefind
        self.indexer: IndexProcess | None = None
        self.split: RenderSplit | None = None
        self.stream: PagefindStream | None = None

    @property
    def child(self) -> bool:
        """True in the forked second renderer of a build."""
        return self.split is not None and self.split.child

    # -- the build's stages, in order ----------------------------------------------------------
    def configure(self, config: Any) -> None:
        """At on_config: the theme's templates listed without hidden folders."""
        if self.enabled:
            skip_hidden_theme_folders(config.theme)

    def index(self, kb: KnowledgeBase) -> None:
        """As soon as the KB is loaded: start building its search index in another process."""
        if self.enabled:
            self.indexer = IndexProcess.start(kb)

    def remember_changes(self, files: Iterable[Any], generated: set[str]) -> None:
        """Ask each source file once whether it changed: MkDocs asks often, three stats each."""
        if not self.enabled:
            return
        for file in files:
            if file.abs_src_path is not None and file.src_uri not in generated:
                modified = file.is_modified()
                setattr(file, "is_modified", lambda m=modified: m)  # noqa: B010

    def render(self, config: Any, files: Any, site_dir: Path, kept: set[str]) -> None:
        """Before MkDocs renders: fork the second renderer, start feeding Pagefind.

        `kept` are the pages of a rebuild that MkDocs will not render again.
        """
        if not self.enabled:
            return
        if self.may_split and not set(config.plugins) - SPLIT_SAFE_PLUGINS:
            pages = [f for f in files if f.is_documentation_page() and f.is_modified()]
            others = [f for f in files if not f.is_documentation_page()]
            self.split = RenderSplit.start(pages, others)
            if self.child and self.indexer is not None:
                self.indexer.reader.close()  # the parent's helper: the child leaves it alone
                self.indexer = None
        if self.pagefind and not self.child:
            caches = self.settings.caches
            mirror = caches.pagefind(self.internal) if self.settings.cache else None
            self.stream = PagefindStream(site_dir, mirror)
            if kept:
                self.stream.add_unchanged(sorted(kept))
            if self.split is not None:
                self.split.receive(self.stream.add)

    def page(self, path: str, html: str) -> None:
        """A page MkDocs rendered (`path` below the site): to Pagefind, or to the parent."""
        if self.stream is not None:
            self.stream.add(path, html)
        elif self.child and self.pagefind:
            assert self.split is not None
            self.split.send_page(path, html)

    def join(self) -> None:
        """After the render: wait for the second renderer (in it, this ends the process).

        KBError when it failed; its warnings are logged here.
        """
        split, self.split = self.split, None
        if split is not None:
            if split.child:
                split.finish_child()
            split.join()

    def finish(self, kb: KnowledgeBase, site_dir: Path) -> None:
        """After the render: write browser search and the kb index; KBError when either failed."""
        stream, self.stream = self.stream, None
        if stream is not None:  # on a rebuild it updates the previous bundle, mostly unchanged
            stream.finish()
        elif self.pagefind:
            index_site(site_dir)
        indexer, self.indexer = self.indexer, None
        if indexer is not None:
            indexer.join()
        else:
            build_index(kb)

    def abort(self, error: BaseException | None = None) -> None:
        """Stop the helpers of a failed build; a second renderer reports `error` and exits."""
        if self.split is not None and self.split.child:
            self.split.finish_child(f"{type(error).__name__}: {error}" if error else "aborted")
        if self.split is not None:
            self.split.abort()
            self.split = None
        if self.stream is not None:
            self.stream.abort()
            self.stream = None
        if self.indexer is not None:
            self.indexer.wait()  # it finishes its atomic swap
            self.indexer = None
