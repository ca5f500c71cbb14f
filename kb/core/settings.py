"""One Settings object, read from the `kb` entry of mkdocs.yml, shared by the CLI and the plugin."""

from __future__ import annotations

import dataclasses
import datetime as dt
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from kb.core.appearance import Appearance, read_appearance
from kb.core.cache import Caches, Layout
from kb.core.configfile import ConfigFile, Key
from kb.core.contact import read_contact
from kb.core.errors import ArticleError, SettingsError, UsageError
from kb.core.schema import (
    FIELD_BY_NAME,
    LANG_RE,
    Context,
    Invalid,
    check_value,
    did_you_mean,
)


@dataclass
class Category:
    """A category of the help site; titles and descriptions may differ per language."""

    slug: str
    title: dict[str, str]
    description: dict[str, str] = field(default_factory=dict)
    icon: str = ""

    def title_in(self, lang: str, default_lang: str = "en") -> str:
        """Return the title in `lang`, falling back to the default language, then the slug."""
        return self.title.get(lang) or self.title.get(default_lang) or self.slug

    def description_in(self, lang: str, default_lang: str = "en") -> str:
        """Return the description in `lang`, falling back to the default language."""
        return self.description.get(lang) or self.description.get(default_lang) or ""


@dataclass
class Settings:
    """Site-wide kb settings; paths are absolute."""

    root: Path = field(default_factory=Path.cwd)
    config_file: Path | None = None
    docs_dir: Path = field(default_factory=lambda: Path.cwd() / "articles")
    site_dir: Path = field(default_factory=lambda: Path.cwd() / "site")
    site_name: str = "Help Centre"
    site_url: str = ""
    default_lang: str = "en"
    languages: tuple[str, ...] = ()
    defaults: dict[str, Any] = field(default_factory=dict)
    categories: dict[str, Category] = field(default_factory=dict)
    featured: tuple[str, ...] = ()
    popular: tuple[str, ...] = ()
    support: dict[str, str] = field(default_factory=dict)  # in the default language
    appearance: Appearance = field(default_factory=Appearance)  # strings, contact, footer
    contact: dict[str, str] = field(default_factory=dict)  # resolved `contact`: {} means no page
    feedback_url: str = ""
    internal_site_dir: Path = field(default_factory=lambda: Path.cwd() / "site-internal")
    kb_dir: Path = field(default_factory=lambda: Path.cwd() / ".kb")
    synonyms_file: Path = field(default_factory=lambda: Path.cwd() / "search" / "synonyms.yml")
    queries_file: Path = field(default_factory=lambda: Path.cwd() / "search" / "queries.yml")
    model: str = "auto"  # MiniLM for English, multilingual-e5-small for the other languages
    model_backend: str = (
        "auto"  # auto (ONNX Runtime if it loads and agrees), onnx, onnx-int8, torch
    )
    model_languages: tuple[str, ...] = ("en",)
    max_article_kb: int = 1024
    assets: tuple[str, ...] = ("assets",)  # folders below docs_dir published as they are
    parallel: bool = True  # false: one process, none of kb's speed machinery
    cache: bool = True  # false: no caches kept in .kb/cache between runs
    faq_schema: bool = False  # seo.faq_schema: FAQPage JSON-LD on `faq` articles
    today: dt.date | None = None
    warnings: list[ArticleError] = field(default_factory=list)
    source: ConfigFile | None = None  # the mkdocs.yml read, for the lines of its keys

    @property
    def layout(self) -> Layout:
        """Every path kb keeps below kb_dir (.kb/)."""
        return Layout(self.kb_dir)

    @property
    def index_dir(self) -> Path:
        """Where the Whoosh indexes live."""
        return self.layout.index

    @property
    def caches(self) -> Caches:
        """The cache folder (.kb/cache) and its files."""
        return self.layout.caches

    @property
    def cache_dir(self) -> Path:
        """Where embedding vectors and other caches live."""
        return self.caches.root

    def context(self) -> Context:
        """Return what front-matter validation needs from the settings."""
        return Context(
            languages=self.languages,
            categories=tuple(self.categories),
            today=self.today or dt.date.today(),
        )

    def category_title(self, slug: str, lang: str) -> str:
        """Return the display title of a category slug in `lang`."""
        cat = self.categories.get(slug)
        return cat.title_in(lang, self.default_lang) if cat else slug.replace("-", " ").capitalize()

    @classmethod
    def load(cls, path: Path | str | None = None) -> Settings:
        """Read settings from a mkdocs.yml, or default settings for a bare articles folder."""
        target = Path(path) if path is not None else Path("mkdocs.yml")
        if target.is_dir():
            config = target / "mkdocs.yml"
            if config.is_file():
                return cls.from_mkdocs(config)
            parent_config = target.resolve().parent / "mkdocs.yml"
            if parent_config.is_file():
                settings = cls.from_mkdocs(parent_config)
                settings.docs_dir = target.resolve()
                return settings
            root = target.resolve().parent
            return cls(root=root, docs_dir=target.resolve(), **_roots(root))
        if not target.exists():
            raise UsageError(
                f"{target}: no such file or folder (give a mkdocs.yml or an articles folder)"
            )
        return cls.from_mkdocs(target)

    @classmethod
    def from_mkdocs(cls, config_file: Path) -> Settings:
        """Read the mkdocs.yml at `config_file` and its `kb` plugin entry."""
        source = ConfigFile.read(config_file)
        return cls.from_config(source.data, config_file, source.plugin_entry()[0], source)

    @classmethod
    def from_config(
        cls,
        config: dict[str, Any],
        config_file: Path,
        options: dict[str, Any],
        source: ConfigFile | None = None,
    ) -> Settings:
        """Build settings from a parsed mkdocs config and the options of its `kb` plugin entry."""
        root = config_file.resolve().parent
        s = cls(root=root, config_file=config_file.resolve(), **_roots(root))
        s.source = source or ConfigFile(config_file)
        s.docs_dir = root / str(config.get("docs_dir") or "docs")
        s.site_dir = root / str(config.get("site_dir") or "site")
        s.site_name = str(config.get("site_name") or s.site_name)
        s.site_url = str(config.get("site_url") or "")
        _apply_options(s, options, _Where(s.source))
        return s


class _Where:
    """`mkdocs.yml:LINE` of a kb option, for its problems."""

    def __init__(self, source: ConfigFile) -> None:
        self.source = source
        self.base = source.plugin_entry()[1]

    def __call__(self, *keys: Key) -> str:
        return self.source.where(*self.base, *keys)

    def warn(self, s: Settings, keys: tuple[Key, ...], message: str) -> None:
        name = "kb." + ".".join(str(k) for k in keys)
        s.warnings.append(self.source.problem((*self.base, *keys), name, message, "warning"))


def _roots(root: Path) -> dict[str, Any]:
    return {
        "site_dir": root / "site",
        "internal_site_dir": root / "site-internal",
        "kb_dir": root / ".kb",
        "synonyms_file": root / "search" / "synonyms.yml",
        "queries_file": root / "search" / "queries.yml",
    }


@dataclass(frozen=True)
class Option:
    """One setting of the `kb` entry in mkdocs.yml: its name and what it does."""

    name: str
    help: str


# every kb setting, declared once: validated below, declared to MkDocs by kb.site.config
OPTIONS: tuple[Option, ...] = (
    Option("languages", "the KB's language codes (default: `[default_lang]`)"),
    Option("default_lang", "the language of the site root and of articles without `lang` (`en`)"),
    Option("categories", "`slug: {title, description, icon}`; title and description per language"),
    Option("defaults", "front-matter values for articles without them, such as `review_every: 1y`"),
    Option("featured", "ids of the articles on each language's home page"),
    Option("popular", "ids of the popular articles (default: those linked to the most tickets)"),
    Option(
        "support",
        "the contact block: `email`, `url`, `phone`, `hours`, each one text or one per language",
    ),
    Option(
        "strings",
        "the site's interface strings per language: `nl: {site_name: ..., hero_title: ...}`",
    ),
    Option("footer", "`links` (title per language, url), `legal` notice, `logo`, `generator`"),
    Option("feedback_url", 'where "Was this helpful?" posts its votes, e.g. `/api/feedback`'),
    Option("contact", "the contact page: `to` helpdesk/email/server, `url`, `method`, `webhook`"),
    Option("synonyms", "the search synonyms file (`search/synonyms.yml`)"),
    Option("queries", "the golden search queries (`search/queries.yml`), run by `kb check`"),
    Option(
        "model",
        "the suggester's model: `auto` (MiniLM for English, multilingual-e5-small for the rest)",
    ),
    Option("model_backend", "what runs the model: `auto`, `torch`, `onnx` or `onnx-int8`"),
    Option(
        "model_languages",
        "the languages a named sentence-transformers model understands (`[en]`)",
    ),
    Option("max_article_kb", "the largest article file accepted, in KB (`1024`)"),
    Option(
        "assets",
        "folders of files published as they are (`[assets]`); other files only when linked",
    ),
    Option("kb_dir", "where kb keeps its search index and caches (`.kb`)"),
    Option(
        "internal_site_dir", "where `kb build --internal` writes the agents' site (`site-internal`)"
    ),
    Option(
        "parallel",
        "`false`: one process, none of kb's speed machinery (builds, `kb suggest`) (`true`)",
    ),
    Option("cache", "`false`: no cached articles, templates, cut pages or stale answers (`true`)"),
    Option("seo", "search engines: `faq_schema: true` adds FAQPage JSON-LD to `faq` articles"),
)
PATH_OPTIONS = {
    "internal_site_dir": "internal_site_dir",
    "kb_dir": "kb_dir",
    "synonyms": "synonyms_file",
    "queries": "queries_file",
}
SIMPLE_OPTIONS = ("default_lang", "feedback_url", "model", "model_backend")
SWITCHES = ("parallel", "cache")
MODEL_BACKENDS = ("auto", "torch", "onnx", "onnx-int8")
# `enabled` is MkDocs' own switch for any plugin: accepted, never kb's to read
KNOWN_OPTIONS = (*(o.name for o in OPTIONS), "enabled")


def _apply_options(s: Settings, options: dict[str, Any], at: _Where) -> None:
    if not isinstance(options, dict):
        raise SettingsError(f"{at()}: plugins.kb: must be a mapping of settings")
    for key in options:
        if key not in KNOWN_OPTIONS:
            at.warn(s, (key,), "unknown setting, ignored" + did_you_mean(key, KNOWN_OPTIONS))
    for key, attr in PATH_OPTIONS.items():
        if key in options:
            setattr(s, attr, s.root / str(options[key]))
    for key in SIMPLE_OPTIONS:
        if key in options:
            setattr(s, key, str(options[key]))
    for key in SWITCHES:
        if key in options:
            if not isinstance(options[key], bool):
                raise SettingsError(f"{at(key)}: kb.{key}: must be true or false")
            setattr(s, key, options[key])
    if s.model_backend not in MODEL_BACKENDS:
        raise SettingsError(
            f"{at('model_backend')}: kb.model_backend: {s.model_backend!r} is not one of "
            + ", ".join(MODEL_BACKENDS)
        )
    s.languages = tuple(_str_list(options.get("languages", [s.default_lang]), at, "languages"))
    for n, lang in enumerate(s.languages):
        if not LANG_RE.match(lang):
            keys = ("languages", n) if "languages" in options else ("default_lang",)
            raise SettingsError(
                f"{at(*keys)}: kb.languages: {lang!r} is not a language code such as en, nl or sv"
            )
    if s.default_lang not in s.languages:
        raise SettingsError(
            f"{at('default_lang')}: kb.default_lang: {s.default_lang!r} is not in kb.languages"
        )
    s.model_languages = tuple(
        _str_list(options.get("model_languages", ["en"]), at, "model_languages")
    )
    s.featured = tuple(_str_list(options.get("featured", []), at, "featured"))
    s.popular = tuple(_str_list(options.get("popular", []), at, "popular"))
    s.assets = tuple(
        a.strip("/") for a in _str_list(options.get("assets", list(s.assets)), at, "assets")
    )
    for n, folder in enumerate(s.assets):
        if not folder or folder.startswith(".") or ".." in folder.split("/"):
            keys = ("assets", n) if "assets" in options else ("assets",)
            raise SettingsError(
                f"{at(*keys)}: kb.assets: {folder!r} is not a folder below docs_dir"
            )
    size = options.get("max_article_kb", s.max_article_kb)
    if isinstance(size, bool) or not isinstance(size, int) or size < 1:
        raise SettingsError(
            f"{at('max_article_kb')}: kb.max_article_kb: must be a whole number of KB, such as 1024"
        )
    s.max_article_kb = size
    s.appearance = read_appearance(
        options, s.languages, s.default_lang, at, lambda keys, msg: at.warn(s, keys, msg)
    )
    s.support = s.appearance.support_in(s.default_lang, s.default_lang)
    if options.get("contact") not in (None, False):
        s.contact = read_contact(options["contact"], s.support, at)
    s.categories = _categories(options.get("categories", {}) or {}, s, at)
    s.defaults = _defaults(options.get("defaults", {}) or {}, s, at)
    s.faq_schema = _seo(options.get("seo", {}) or {}, at)


def _seo(value: Any, at: _Where) -> bool:
    """The `seo` mapping's one switch, `faq_schema` (kb.site.seo)."""
    faq = value.get("faq_schema", False) if isinstance(value, dict) and len(value) <= 1 else None
    if not isinstance(faq, bool) or set(value) - {"faq_schema"}:
        raise SettingsError(f"{at('seo')}: kb.seo: must be a mapping such as {{faq_schema: true}}")
    return faq


def _str_list(value: Any, at: _Where, key: str) -> list[str]:
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list) or not all(isinstance(v, str | int) for v in value):
        raise SettingsError(f"{at(key)}: kb.{key}: must be a list of names")
    return [str(v) for v in value]


def _localised(value: Any, default_lang: str) -> dict[str, str]:
    if isinstance(value, dict):
        return {str(k): str(v) for k, v in value.items() if v is not None and str(v).strip()}
    return {default_lang: str(value)} if value else {}


def _categories(value: Any, s: Settings, at: _Where) -> dict[str, Category]:
    if isinstance(value, list):
        value = {str(v): {} for v in value}
    if not isinstance(value, dict):
        raise SettingsError(
            f"{at('categories')}: kb.categories: must map a slug to its title and description"
        )
    out = {}
    shorthand = all(not spec for spec in value.values())  # `[account, billing]`: slug titles
    for slug, spec in value.items():
        spec = spec if isinstance(spec, dict) else {"title": spec}
        keys: tuple[Key, ...] = ("categories", str(slug))
        title = _localised(spec.get("title"), s.default_lang)
        shown = str(slug).replace("-", " ").capitalize()
        if shorthand:
            pass
        elif not title:
            at.warn(s, keys, f"no title; the site shows {shown!r} (give `title:` per language)")
        elif len(s.languages) > 1:
            missing = [lang for lang in s.languages if lang not in title]
            if missing and s.default_lang in title:
                at.warn(
                    s,
                    (*keys, "title"),
                    f"no title in {', '.join(missing)}; the {s.default_lang} title is shown",
                )
            elif missing:
                at.warn(s, (*keys, "title"), f"no title in {', '.join(missing)}")
        out[str(slug)] = Category(
            slug=str(slug),
            title=title or {s.default_lang: shown},
            description=_localised(spec.get("description", ""), s.default_lang),
            icon=str(spec.get("icon", "")),
        )
    return out


def _defaults(value: Any, s: Settings, at: _Where) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise SettingsError(
            f"{at('defaults')}: kb.defaults: must map front-matter fields to default values"
        )
    out: dict[str, Any] = {}
    ctx = dataclasses.replace(s.context(), today=None)
    for key, raw in value.items():
        where = at("defaults", str(key))
        if key not in FIELD_BY_NAME or key in ("id", "title"):
            raise SettingsError(f"{where}: kb.defaults.{key}: not a field that can have a default")
        try:
            out[key] = check_value(key, raw, ctx)
        except Invalid as exc:
            raise SettingsError(f"{where}: kb.defaults.{key}: {exc.message}") from None
    return out


def settings_reference() -> str:
    """The kb settings as a Markdown table (docs/site.md embeds it; a test keeps it current)."""
    rows = ["| setting | what it does (default) |", "| --- | --- |"]
    rows += [f"| `{o.name}` | {o.help} |" for o in OPTIONS]
    return "\n".join(rows) + "\n"
