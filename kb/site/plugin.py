"""The `kb` MkDocs plugin: each MkDocs event handed to the site model, the rebuild and kb.site.fast."""

from __future__ import annotations

import contextlib
import html
import logging
import os
from pathlib import Path
from typing import Any

import jinja2
from mkdocs.config.defaults import MkDocsConfig
from mkdocs.exceptions import PluginError
from mkdocs.plugins import BasePlugin
from mkdocs.structure.files import File, Files
from mkdocs.structure.nav import Navigation
from mkdocs.structure.pages import Page
from mkdocs.utils.templates import TemplateContext

from kb.core.collection import KnowledgeBase
from kb.core.configfile import ConfigFile
from kb.core.errors import KBError
from kb.core.fs import write_atomic, write_changed
from kb.core.settings import Settings
from kb.site import LOGGER
from kb.site.config import KBPluginConfig, kb_options
from kb.site.fast import Fast
from kb.site.html import mermaid_html, sop_html, write_alias_pages, write_redirects
from kb.site.incremental import Rebuild
from kb.site.model import SiteModel
from kb.site.published import write_manifest
from kb.site.seo import Sitemap, robots_txt
from kb.site.theme import bring_extensions, bring_theme
from kb.site.vocab import write_vocab

log = logging.getLogger(f"{LOGGER}.plugins.kb")
AUDIENCE_ENV = "KB_AUDIENCE"  # "internal" builds the agents' site with plain `mkdocs build/serve`


class KBPlugin(BasePlugin[KBPluginConfig]):
    """Loads and validates the KB once per build, filters by audience and feeds the theme."""

    supports_multiple_instances = False

    def __init__(self) -> None:
        self.settings: Settings | None = None
        self.kb: KnowledgeBase | None = None
        self.model: SiteModel | None = None
        self.rebuild: Rebuild | None = None
        self.fast: Fast | None = None
        self.failure: KBError | None = None  # what made the build fail, for kb build to report
        self.kb_build = False  # set by kb build (kb.site.build): a dirty build it drives
        self.published_before: tuple[Path, bytes | None] | None = None  # put back if it fails
        self.env: jinja2.Environment | None = None  # the theme's, for each language's 404 page

    @property
    def internal(self) -> bool:
        """True when building the agents' site."""
        return bool(self.config.internal) or os.environ.get(AUDIENCE_ENV) == "internal"

    def _fail(self, exc: KBError) -> PluginError:
        self.failure = exc
        return PluginError(str(exc))

    def on_config(self, config: MkDocsConfig) -> MkDocsConfig:
        """Read the kb settings; quiet MkDocs' note about pages left out of the bounded nav."""
        config_file = Path(config.config_file_path or "mkdocs.yml")
        try:
            source = ConfigFile.read(config_file) if config_file.is_file() else None
            settings = Settings.from_config(
                dict(config), config_file, kb_options(self.config), source
            )
            bring_theme(config, settings)
        except KBError as exc:
            raise self._fail(exc) from exc
        bring_extensions(config, settings)
        settings.site_dir = Path(config.site_dir)
        self.settings = settings
        config.validation.nav.omitted_files = logging.DEBUG
        config.validation.nav.absolute_links = logging.DEBUG
        if self.fast is not None:  # a failed build before this one, in the same process
            self.fast.abort()
        self.published_before = None
        self.fast = Fast(
            settings,
            self.internal,
            enabled=settings.parallel,
            split=self.kb_build,
            pagefind=self.config.pagefind,
        )
        self.fast.configure(config)
        return config

    def on_files(self, files: Files, config: MkDocsConfig) -> Files:
        """Load the KB, drop every article this build must not show, add generated pages."""
        assert self.settings is not None and self.fast is not None
        try:
            self.kb = KnowledgeBase.load(self.settings)
        except KBError as exc:
            raise self._fail(exc) from exc
        self.fast.index(self.kb)
        model = self.model = SiteModel(self.kb, internal=self.internal)
        for file in list(files):
            if model.excludes(file):
                files.remove(file)
        for uri, page in model.pages.items():
            if files.get_file_from_path(uri) is None:
                files.append(File.generated(config, uri, content=page.markdown()))
        config.nav = model.nav()
        site_dir = Path(config.site_dir)
        rebuild = self.rebuild = Rebuild.compare(
            model, self.settings, site_dir, background=self.settings.parallel
        )
        if rebuild.incremental:
            self.fast.remember_changes(files, set(model.pages))
        rebuild.keep(model, site_dir, files)
        self.fast.render(config, files, site_dir, rebuild.kept)
        return files

    def on_env(self, env: Any, /, *, config: MkDocsConfig, files: Files) -> Any:
        """Cache compiled templates in .kb/cache: compiling the theme costs more than a rebuild."""
        assert self.settings is not None and self.fast is not None
        if self.fast.child:  # the parent writes the 404 page, the sitemap and extra templates
            config.theme.static_templates.clear()
            config.extra_templates.clear()
        self.env = env
        env.globals["kb_sitemap"] = Sitemap(self.model)  # read by theme/sitemap.xml
        if not self.settings.cache:
            return env
        folder = self.settings.caches.templates
        try:
            folder.mkdir(parents=True, exist_ok=True)
        except OSError:
            return env  # a read-only checkout: compile every time
        env.bytecode_cache = jinja2.FileSystemBytecodeCache(str(folder))
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
        # Material prints front-matter values as they are (`<title>{{ page.meta.title }}`) and
        # MkDocs does not autoescape: every front-matter string reaches its templates escaped
        page.meta = {k: html.escape(v) if isinstance(v, str) else v for k, v in page.meta.items()}
        return context

    def on_template_context(
        self, context: TemplateContext, /, *, template_name: str, config: MkDocsConfig
    ) -> TemplateContext:
        """The 404 page in the default language, and each other language's in its own folder."""
        if template_name != "404.html" or self.model is None or self.env is None:
            return context
        settings = self.model.settings
        for lang in settings.languages:
            if lang == settings.default_lang:
                continue
            own = {**context, "kb": self.model.not_found_context(lang)}
            page = self.env.get_template(template_name).render(own)
            write_atomic(Path(config.site_dir) / lang / "404.html", page)
        kb = self.model.not_found_context(settings.default_lang)
        context["kb"] = kb  # type: ignore[typeddict-unknown-key]
        return context

    def on_post_page(self, output: str, /, *, page: Page, config: MkDocsConfig) -> str:
        """Unlink the page's previous output before MkDocs writes it; send it to Pagefind."""
        assert self.rebuild is not None and self.fast is not None
        self.rebuild.before_write(page.file.abs_dest_path)
        self.fast.page(page.file.dest_uri, output)
        return output

    def on_post_build(self, config: MkDocsConfig) -> None:
        """Write redirects, the browser search index and the kb search index; stamp the output.

        `kb build` of the public site then records the URLs it published (kb.site.published).
        """
        assert self.kb is not None and self.rebuild is not None and self.fast is not None
        assert self.model is not None
        site_dir = Path(config.site_dir)
        try:
            self.fast.join()
            default = self.kb.settings.default_lang
            write_redirects(default, site_dir)
            others = [lang for lang in self.kb.settings.languages if lang != default]
            for warning in write_alias_pages(self.model.articles, site_dir, others):
                log.warning(warning)
            self.fast.finish(self.kb, site_dir)
            write_changed(site_dir / "robots.txt", robots_txt(self.kb.settings, self.internal))
            if self.config.pagefind:  # browser search's typo fixes (kb.site.vocab)
                write_vocab(
                    self.model.articles,
                    self.kb.settings.languages,
                    self.kb.settings.synonyms_file,
                    site_dir,
                    self.kb.settings.caches.vocab if self.kb.settings.cache else None,
                )
        except KBError as exc:
            raise self._fail(exc) from exc
        self.rebuild.write_stamp(site_dir)
        if self.kb_build and not self.internal:
            self._record_published()

    def _record_published(self) -> None:
        """Write .kb/published.json, keeping the old bytes in case MkDocs fails the build after."""
        assert self.kb is not None
        path = self.kb.settings.layout.published
        try:
            self.published_before = (path, path.read_bytes() if path.is_file() else None)
            write_manifest(self.kb, path)
        except OSError as exc:
            log.warning(f"{path}: the published URLs are not recorded: {exc.strerror or exc}")

    def on_build_error(self, error: Exception) -> None:
        """Stop the helpers of a failed build; the index process finishes its atomic swap.

        A manifest of published URLs this build wrote (strict mode fails after on_post_build)
        is put back as it was.
        """
        if self.fast is not None:
            self.fast.abort(error)
        before, self.published_before = self.published_before, None
        if before is not None:
            path, data = before
            with contextlib.suppress(OSError):
                if data is None:
                    path.unlink(missing_ok=True)
                else:
                    write_atomic(path, data)
