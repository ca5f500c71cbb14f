"""The `kb` MkDocs plugin and the site build: the only module that imports mkdocs."""

from __future__ import annotations

import contextlib
import hashlib
import json
import logging
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import jinja2
from mkdocs.config import config_options as c
from mkdocs.config import load_config
from mkdocs.config.base import Config
from mkdocs.config.defaults import MkDocsConfig
from mkdocs.exceptions import Abort, MkDocsException, PluginError
from mkdocs.plugins import BasePlugin
from mkdocs.structure.files import File, Files
from mkdocs.structure.nav import Navigation
from mkdocs.structure.pages import Page
from mkdocs.utils.templates import TemplateContext

from kb.site.fast import pagefind as site_search
from kb.core.collection import KnowledgeBase
from kb.core.errors import KBError, UsageError
from kb.core.settings import KNOWN_OPTIONS, Settings
from kb.site.model import SiteModel, mermaid_html, sop_html
from kb.site.output import STAMP, Staging, discard
from kb.site.fast.pagefind import IndexProcess, build_search_index
from kb.site.fast.split import RenderSplit

log = logging.getLogger("mkdocs.plugins.kb")
AUDIENCE_ENV = "KB_AUDIENCE"  # "internal" builds the agents' site with plain `mkdocs build/serve`
THEME_DIR = Path(__file__).resolve().parents[2] / "theme"
SPLIT_SAFE_PLUGINS = {"kb"}  # plugins that keep no state across pages: safe to render in two


class _Any(c.BaseConfigOption[Any]):
    """Accept any value: kb.settings validates the kb options and names the file in its errors."""

    def run_validation(self, value: object) -> Any:
        return value


class KBPluginConfig(Config):
    """Options of the kb plugin: the kb settings plus build switches."""

    internal = c.Type(bool, default=False)
    pagefind = c.Type(bool, default=True)


for _name in KNOWN_OPTIONS:
    setattr(KBPluginConfig, _name, c.Optional(_Any()))
    KBPluginConfig._schema = (*KBPluginConfig._schema, (_name, getattr(KBPluginConfig, _name)))


class KBPlugin(BasePlugin[KBPluginConfig]):
    """Loads and validates the KB once per build, filters by audience and feeds the theme."""

    supports_multiple_instances = False

    def __init__(self) -> None:
        self.settings: Settings | None = None
        self.kb: KnowledgeBase | None = None
        self.model: SiteModel | None = None
        self.failure: KBError | None = None
        self.incremental: bool = False
        self.pagefind: site_search.PagefindStream | None = None
        self.indexer: IndexProcess | None = None
        self.stamp = ""
        self.page_hashes: dict[str, str] = {}
        self.kept: set[str] = set()  # pages of a dirty build that MkDocs will not render again
        self.parallel = False  # set by build_site: render in two processes (see kb.site_split)
        self.split: RenderSplit | None = None

    @property
    def internal(self) -> bool:
        """True when building the agents' site."""
        return bool(self.config.internal) or os.environ.get(AUDIENCE_ENV) == "internal"

    def on_config(self, config: MkDocsConfig) -> MkDocsConfig:
        """Read the kb settings; quiet MkDocs' note about pages left out of the bounded nav."""
        options = {k: v for k, v in self.config.items() if k in KNOWN_OPTIONS and v is not None}
        config_file = Path(config.config_file_path or "mkdocs.yml")
        try:
            self.settings = Settings.from_config(dict(config), config_file, options)
        except KBError as exc:
            self.failure = exc
            raise PluginError(str(exc)) from exc
        self.settings.site_dir = Path(config.site_dir)
        config.validation.nav.omitted_files = logging.DEBUG
        config.validation.nav.absolute_links = logging.DEBUG
        skip_hidden_theme_folders(config.theme)
        return config

    def on_files(self, files: Files, config: MkDocsConfig) -> Files:
        """Load the KB, drop every article this build must not show, add generated pages."""
        assert self.settings is not None
        try:
            self.kb = KnowledgeBase.load(self.settings)
        except KBError as exc:
            self.failure = exc
            raise PluginError(str(exc)) from exc
        self._stop_helpers()
        self.indexer = IndexProcess.start(self.kb)
        model = self.model = SiteModel(self.kb, internal=self.internal)
        for file in list(files):
            if file.is_documentation_page() and model.excludes(file.src_uri):
                files.remove(file)
        for uri, page in model.pages.items():
            if files.get_file_from_path(uri) is None:
                files.append(File.generated(config, uri, content=page.markdown()))
        config.nav = model.nav()
        self._check_previous_build(config, files)
        self._fork_renderer(config, files)
        if self.config.pagefind and not self.in_child:
            self._start_pagefind(config, files)
            if self.split is not None and self.pagefind is not None:
                self.split.receive(self.pagefind.add)
        return files

    @property
    def in_child(self) -> bool:
        """True in the forked second renderer of a build."""
        return self.split is not None and self.split.child

    def _fork_renderer(self, config: MkDocsConfig, files: Files) -> None:
        """Render every other page in a forked process when the build is large enough."""
        self.split = None
        if not self.parallel or set(config.plugins) - SPLIT_SAFE_PLUGINS:
            return
        pages = [f for f in files if f.is_documentation_page() and f.is_modified()]
        others = [f for f in files if not f.is_documentation_page()]
        self.split = RenderSplit.start(pages, others)
        if self.in_child and self.indexer is not None:
            self.indexer.reader.close()  # the parent's helper: the child leaves it alone
            self.indexer = None

    def _start_pagefind(self, config: MkDocsConfig, files: Files) -> None:
        """Start the Pagefind service; on a dirty build, feed it the pages MkDocs will not render."""
        assert self.model is not None
        assert self.settings is not None
        mirror = self.settings.cache_dir / "pagefind" / ("internal" if self.internal else "public")
        self.pagefind = site_search.PagefindStream(Path(config.site_dir), mirror)
        if not self.incremental:
            return
        self.pagefind.add_unchanged(sorted(self.kept))

    def _stop_helpers(self) -> None:
        """Stop a Pagefind service and wait for an index process left by an earlier, failed build."""
        if self.split is not None and not self.split.child:
            self.split.abort()
            self.split = None
        if self.pagefind is not None:
            self.pagefind.abort()
            self.pagefind = None
        if self.indexer is not None:
            self.indexer.wait()
            self.indexer = None

    def on_build_error(self, error: Exception) -> None:
        """Stop the helpers of a failed build; the index process finishes its atomic swap."""
        if self.split is not None and self.split.child:
            self.split.finish_child(f"{type(error).__name__}: {error}")
        self._stop_helpers()

    def _check_previous_build(self, config: MkDocsConfig, files: Files) -> None:
        """On a dirty build, start over when more than article bodies changed; else build in place.

        `kb build` hard-links the previous site into the new build folder, so every file the build
        rewrites is unlinked first: the live site keeps its own copy until the swap.
        """
        assert self.model is not None
        site_dir = Path(config.site_dir)
        stamp = site_dir / STAMP
        self.stamp = self._stamp()
        self.page_hashes = {uri: self._page_hash(uri) for uri in self.model.pages}
        self.kept = set()
        lines = stamp.read_text().splitlines() if stamp.is_file() else []
        self.incremental = bool(lines) and lines[0] == self.stamp
        pairs = (line.split(" ", 1) for line in lines[1:] if " " in line)
        previous = {uri: digest for digest, uri in pairs}
        if not self.incremental:
            if stamp.exists():
                discard(list(site_dir.iterdir()), beside=site_dir)
            return
        rewritten = [
            stamp,
            site_dir / "sitemap.xml",
            site_dir / "sitemap.xml.gz",
            site_dir / "404.html",
        ]
        for file in files:
            generated = file.abs_src_path is None or file.src_uri in self.model.pages
            if not generated:  # three stats per call, and MkDocs asks twice or more per file
                modified = file.is_modified()
                setattr(file, "is_modified", lambda m=modified: m)  # noqa: B010
            if file.is_documentation_page() and not generated:
                if not file.is_modified():
                    self.kept.add(file.dest_uri)
                continue  # unlinked in on_post_page, only when MkDocs renders it
            if (
                file.abs_src_path is None
                and file.is_documentation_page()
                and previous.get(file.src_uri, "") == self.page_hashes.get(file.src_uri)
                and Path(file.abs_dest_path).is_file()
            ):  # a generated page with the same Markdown and context as the one on disk
                setattr(file, "is_modified", lambda: False)  # noqa: B010 - MkDocs then skips it
                self.kept.add(file.dest_uri)
                continue
            if generated or file.is_modified():
                rewritten.append(Path(file.abs_dest_path))
        for path in rewritten:
            path.unlink(missing_ok=True)

    def on_post_page(self, output: str, /, *, page: Page, config: MkDocsConfig) -> str:
        """Unlink the page's previous output before MkDocs writes it (see _check_previous_build)."""
        if self.incremental:
            Path(page.file.abs_dest_path).unlink(missing_ok=True)
        if self.pagefind is not None:
            self.pagefind.add(page.file.dest_uri, output)
        elif self.in_child and self.config.pagefind:
            assert self.split is not None
            self.split.send_page(page.file.dest_uri, output)
        return output

    def _page_hash(self, uri: str) -> str:
        """What a generated page shows: its Markdown and its theme context."""
        assert self.model is not None
        page = self.model.pages[uri]
        context = json.dumps(self.model.page_context(uri), sort_keys=True, default=str)
        return hashlib.sha256((page.markdown() + "\0" + context).encode()).hexdigest()

    def _stamp(self) -> str:
        assert self.model is not None and self.settings is not None
        digest = hashlib.sha256(self.model.structure_hash().encode())
        for path in sorted(THEME_DIR.rglob("*")):
            if path.is_file():
                digest.update(path.as_posix().encode() + path.read_bytes())
        if self.settings.config_file:
            digest.update(self.settings.config_file.read_bytes())
        return digest.hexdigest()

    def on_env(self, env: Any, /, *, config: MkDocsConfig, files: Files) -> Any:
        """Cache compiled templates in .kb/cache: compiling the theme costs more than a rebuild."""
        assert self.settings is not None
        if self.in_child:  # the parent writes the 404 page, the sitemap and extra templates
            config.theme.static_templates.clear()
            config.extra_templates.clear()
        cache = self.settings.cache_dir / "templates"
        try:
            cache.mkdir(parents=True, exist_ok=True)
        except OSError:
            return env  # a read-only checkout: compile every time
        env.bytecode_cache = jinja2.FileSystemBytecodeCache(str(cache))
        return env

    def on_page_content(self, html: str, page: Page, config: MkDocsConfig, files: Files) -> str:
        """Mermaid blocks for the theme; SOP sections in their own blocks (purpose first, steps)."""
        assert self.model is not None
        html = mermaid_html(html)
        article = self.model.by_path.get(page.file.src_uri)
        if article is not None and article.type == "sop":
            return sop_html(html)
        return html

    def on_page_context(
        self, context: TemplateContext, /, *, page: Page, config: MkDocsConfig, nav: Navigation
    ) -> TemplateContext:
        """Hand the theme the page's kb context: article metadata, breadcrumbs, languages..."""
        assert self.model is not None
        context["kb"] = self.model.page_context(page.file.src_uri)  # type: ignore[typeddict-unknown-key]
        return context

    def on_post_build(self, config: MkDocsConfig) -> None:
        """Write the browser search index and the kb search index; stamp the output."""
        assert self.model is not None and self.kb is not None
        if self.split is not None:
            split, self.split = self.split, None
            if split.child:
                split.finish_child()
            self._join_renderer(split)
        site_dir = Path(config.site_dir)
        write_redirects(self.model, site_dir)
        pagefind, self.pagefind = self.pagefind, None
        if pagefind is not None:
            try:  # on a rebuild it updates the previous bundle: most of its files are unchanged
                pagefind.finish()
            except KBError as exc:
                self.failure = exc
                raise PluginError(str(exc)) from exc
        indexer, self.indexer = self.indexer, None
        try:
            if indexer is None:
                build_search_index(self.kb)
            else:
                indexer.join()
        except KBError as exc:
            self.failure = exc
            raise PluginError(str(exc)) from exc
        pages = "".join(f"{h} {uri}\n" for uri, h in sorted(self.page_hashes.items()))
        (site_dir / STAMP).write_text(f"{self.stamp}\n{pages}")

    def _join_renderer(self, split: RenderSplit) -> None:
        """Wait for the second renderer (it has sent its pages to Pagefind as it went)."""
        try:
            split.join()
        except KBError as exc:
            self.failure = exc
            raise PluginError(str(exc)) from exc


class ThemeLoader(jinja2.FileSystemLoader):
    """The theme's template loader, listing no file below a hidden folder.

    MkDocs lists a theme's files only to find its static assets and drops every path with a
    hidden part itself ('.*', '*/.*'); Material keeps 14,000 icons in `.icons`, so walking them
    took about 0.15 s of every build. Loading a template by name is unchanged.
    """

    def list_templates(self) -> list[str]:
        """Every template name not in a hidden folder and not itself hidden."""
        found: set[str] = set()
        for searchpath in self.searchpath:
            for dirpath, dirnames, filenames in os.walk(searchpath, followlinks=self.followlinks):
                dirnames[:] = [d for d in dirnames if not d.startswith(".")]
                for filename in filenames:
                    if filename.startswith("."):
                        continue
                    template = (
                        os.path.join(dirpath, filename)[len(searchpath) :]
                        .strip(os.path.sep)
                        .replace(os.path.sep, "/")
                    )
                    found.add(template[2:] if template[:2] == "./" else template)
        return sorted(found)


def skip_hidden_theme_folders(theme: Any) -> None:
    """Give the theme's Jinja environments a ThemeLoader (a plain FileSystemLoader's only)."""
    get_env = theme.get_env

    def env_with_theme_loader() -> jinja2.Environment:
        env = get_env()
        loader = env.loader
        if type(loader) is jinja2.FileSystemLoader:
            env.loader = ThemeLoader(loader.searchpath, loader.encoding, loader.followlinks)
        return env

    theme.get_env = env_with_theme_loader


def write_redirects(model: SiteModel, site_dir: Path) -> None:
    """Send /en/ (the default language's folder) to the site root, where its home lives."""
    target = site_dir / model.settings.default_lang / "index.html"
    if not target.exists():
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(
            '<!doctype html><meta charset="utf-8"><meta http-equiv="refresh" content="0; url=../">'
            '<link rel="canonical" href="../"><title>Redirecting</title>',
            encoding="utf-8",
        )


# -- the kb commands' entry points ----------------------------------------------------------------
def _load(settings: Settings, site_dir: Path, internal: bool) -> MkDocsConfig:
    if settings.config_file is None:
        raise UsageError("kb build needs a mkdocs.yml with the kb plugin (give --config PATH)")
    config = load_config(config_file=str(settings.config_file), site_dir=str(site_dir))
    plugin = config.plugins.get("kb")
    if not isinstance(plugin, KBPlugin):
        raise UsageError(f"{settings.config_file}: add the kb plugin under 'plugins:'")
    plugin.config.internal = internal
    return config


@contextlib.contextmanager
def _mkdocs_errors(config: MkDocsConfig) -> Iterator[None]:
    plugin = config.plugins["kb"]
    try:
        yield
    except (Abort, MkDocsException) as exc:
        if isinstance(plugin, KBPlugin) and plugin.failure is not None:
            raise plugin.failure from None
        raise KBError(f"the site build failed: {exc}") from None


class _DropDirtyWarning(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        return "'dirty' build" not in record.getMessage()


def build_site(
    settings: Settings, internal: bool = False, full: bool = False, staging: Staging | None = None
) -> Path:
    """Build the public (or internal) site beside its target, then swap it in; return the target.

    `staging` is the folder to build in when the caller started it early (see kb.site_output).
    """
    from mkdocs.commands.build import build

    staging = staging or Staging.for_site(settings, internal, full)
    pid = os.getpid()
    try:
        config = _load(settings, staging.folder, internal)
        plugin = config.plugins["kb"]
        assert isinstance(plugin, KBPlugin)
        plugin.parallel = True
        quiet = _DropDirtyWarning()
        logging.getLogger("mkdocs.commands.build").addFilter(quiet)
        staging.ready()
        try:
            with _mkdocs_errors(config):
                # dirty: MkDocs skips the pages whose is_modified() is False: the ones an
                # incremental build keeps and the other renderer's half (see kb.site_split)
                build(config, dirty=True)
        finally:
            logging.getLogger("mkdocs.commands.build").removeFilter(quiet)
        return staging.commit()
    finally:
        if os.getpid() != pid:  # a forked renderer never gets here normally; never cleans up
            os._exit(1)
        staging.close()


def serve(settings: Settings, host: str, port: int, internal: bool = False) -> None:
    """Preview the site with live reload (the agents' site with internal=True)."""
    from mkdocs.commands.serve import serve as mkdocs_serve

    if settings.config_file is None:
        raise UsageError("kb serve needs a mkdocs.yml with the kb plugin (give --config PATH)")
    if internal:
        os.environ[AUDIENCE_ENV] = "internal"
    try:
        mkdocs_serve(
            config_file=str(settings.config_file), dev_addr=f"{host}:{port}", livereload=True
        )
    except (Abort, MkDocsException) as exc:
        raise KBError(f"the preview failed: {exc}") from None
