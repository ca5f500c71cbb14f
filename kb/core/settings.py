"""One Settings object, read from the `kb` entry of mkdocs.yml, shared by the CLI and the plugin."""

from __future__ import annotations

import dataclasses
import datetime as dt
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from kb.core.cache import Caches, Layout
from kb.core.errors import ArticleError, SettingsError, UsageError, display_path
from kb.core.schema import FIELD_BY_NAME, Context, Invalid, check_value, did_you_mean


class _ConfigLoader(yaml.SafeLoader):
    """Loads mkdocs.yml without executing its tags (`!!python/name:`, `!ENV`, `!relative`)."""


def _any_tag(loader: yaml.SafeLoader, suffix: str, node: yaml.Node) -> Any:
    if isinstance(node, yaml.ScalarNode):
        return loader.construct_scalar(node)
    if isinstance(node, yaml.SequenceNode):
        return loader.construct_sequence(node)
    return loader.construct_mapping(node)  # type: ignore[arg-type]


_ConfigLoader.add_multi_constructor("!", _any_tag)
_ConfigLoader.add_multi_constructor("tag:yaml.org,2002:python/", _any_tag)


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
    support: dict[str, str] = field(default_factory=dict)
    feedback_url: str = ""
    internal_site_dir: Path = field(default_factory=lambda: Path.cwd() / "site-internal")
    kb_dir: Path = field(default_factory=lambda: Path.cwd() / ".kb")
    synonyms_file: Path = field(default_factory=lambda: Path.cwd() / "search" / "synonyms.yml")
    queries_file: Path = field(default_factory=lambda: Path.cwd() / "search" / "queries.yml")
    model: str = "all-MiniLM-L6-v2"
    model_backend: str = (
        "auto"  # auto (ONNX Runtime if it loads and agrees), onnx, onnx-int8, torch
    )
    model_languages: tuple[str, ...] = ("en",)
    max_article_kb: int = 1024
    parallel: bool = True  # false: one process, none of kb's speed machinery
    cache: bool = True  # false: no caches kept in .kb/cache between runs
    today: dt.date | None = None
    warnings: list[ArticleError] = field(default_factory=list)

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
        try:
            text = config_file.read_text(encoding="utf-8")
            config = yaml.load(text, Loader=_ConfigLoader) or {}
        except (OSError, UnicodeDecodeError) as exc:
            raise SettingsError(f"{config_file}: cannot read: {exc}") from None
        except yaml.YAMLError as exc:
            mark = getattr(exc, "problem_mark", None)
            line = mark.line + 1 if mark else 1
            raise SettingsError(f"{config_file}:{line}: invalid YAML: {exc}") from None
        if not isinstance(config, dict):
            raise SettingsError(f"{config_file}:1: must be a YAML mapping")
        return cls.from_config(config, config_file, _plugin_entry(config))

    @classmethod
    def from_config(
        cls, config: dict[str, Any], config_file: Path, options: dict[str, Any]
    ) -> Settings:
        """Build settings from a parsed mkdocs config and the options of its `kb` plugin entry."""
        root = config_file.resolve().parent
        where = display_path(config_file)
        s = cls(root=root, config_file=config_file.resolve(), **_roots(root))
        s.docs_dir = root / str(config.get("docs_dir") or "docs")
        s.site_dir = root / str(config.get("site_dir") or "site")
        s.site_name = str(config.get("site_name") or s.site_name)
        s.site_url = str(config.get("site_url") or "")
        _apply_options(s, options, where)
        return s


def _roots(root: Path) -> dict[str, Any]:
    return {
        "site_dir": root / "site",
        "internal_site_dir": root / "site-internal",
        "kb_dir": root / ".kb",
        "synonyms_file": root / "search" / "synonyms.yml",
        "queries_file": root / "search" / "queries.yml",
    }


def _plugin_entry(config: dict[str, Any]) -> dict[str, Any]:
    plugins = config.get("plugins") or []
    if isinstance(plugins, dict):
        plugins = [{k: v} for k, v in plugins.items()]
    for entry in plugins:
        if entry == "kb":
            return {}
        if isinstance(entry, dict) and "kb" in entry:
            return entry["kb"] or {}
    return {}


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
    Option("support", "the contact block: `email`, `url`, `phone`, `hours`"),
    Option("feedback_url", 'where "Was this helpful?" posts its votes, e.g. `/api/feedback`'),
    Option("synonyms", "the search synonyms file (`search/synonyms.yml`)"),
    Option("queries", "the golden search queries (`search/queries.yml`), run by `kb check`"),
    Option("model", "the suggester's embedding model (`all-MiniLM-L6-v2`)"),
    Option("model_backend", "what runs the model: `auto`, `torch`, `onnx` or `onnx-int8`"),
    Option("model_languages", "the languages the model understands (`[en]`); elsewhere keywords"),
    Option("max_article_kb", "the largest article file accepted, in KB (`1024`)"),
    Option("kb_dir", "where kb keeps its search index and caches (`.kb`)"),
    Option(
        "internal_site_dir", "where `kb build --internal` writes the agents' site (`site-internal`)"
    ),
    Option("parallel", "`false`: build in one process, without kb's speed machinery (`true`)"),
    Option("cache", "`false`: no cached articles, templates, cut pages or stale answers (`true`)"),
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


def _apply_options(s: Settings, options: dict[str, Any], where: str) -> None:
    if not isinstance(options, dict):
        raise SettingsError(f"{where}: plugins.kb: must be a mapping of settings")
    for key in options:
        if key not in KNOWN_OPTIONS:
            s.warnings.append(
                ArticleError(
                    where,
                    1,
                    f"kb.{key}",
                    "unknown setting, ignored" + did_you_mean(key, KNOWN_OPTIONS),
                    "warning",
                )
            )
    for key, attr in PATH_OPTIONS.items():
        if key in options:
            setattr(s, attr, s.root / str(options[key]))
    for key in SIMPLE_OPTIONS:
        if key in options:
            setattr(s, key, str(options[key]))
    for key in SWITCHES:
        if key in options:
            if not isinstance(options[key], bool):
                raise SettingsError(f"{where}: kb.{key}: must be true or false")
            setattr(s, key, options[key])
    if s.model_backend not in MODEL_BACKENDS:
        raise SettingsError(
            f"{where}: kb.model_backend: {s.model_backend!r} is not one of "
            + ", ".join(MODEL_BACKENDS)
        )
    s.languages = tuple(_str_list(options.get("languages", [s.default_lang]), where, "languages"))
    if s.default_lang not in s.languages:
        raise SettingsError(f"{where}: kb.default_lang: {s.default_lang!r} is not in kb.languages")
    s.model_languages = tuple(
        _str_list(options.get("model_languages", ["en"]), where, "model_languages")
    )
    s.featured = tuple(_str_list(options.get("featured", []), where, "featured"))
    s.popular = tuple(_str_list(options.get("popular", []), where, "popular"))
    s.max_article_kb = int(options.get("max_article_kb", s.max_article_kb))
    support = options.get("support", {}) or {}
    if not isinstance(support, dict):
        raise SettingsError(
            f"{where}: kb.support: must be a mapping such as {{email: help@example.com}}"
        )
    s.support = {str(k): str(v) for k, v in support.items()}
    s.categories = _categories(options.get("categories", {}) or {}, where)
    s.defaults = _defaults(options.get("defaults", {}) or {}, s, where)


def _str_list(value: Any, where: str, key: str) -> list[str]:
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list) or not all(isinstance(v, str | int) for v in value):
        raise SettingsError(f"{where}: kb.{key}: must be a list of names")
    return [str(v) for v in value]


def _localised(value: Any, default_lang: str) -> dict[str, str]:
    if isinstance(value, dict):
        return {str(k): str(v) for k, v in value.items()}
    return {default_lang: str(value)} if value else {}


def _categories(value: Any, where: str) -> dict[str, Category]:
    if isinstance(value, list):
        value = {str(v): {} for v in value}
    if not isinstance(value, dict):
        raise SettingsError(f"{where}: kb.categories: must map a slug to its title and description")
    out = {}
    for slug, spec in value.items():
        spec = spec if isinstance(spec, dict) else {"title": spec}
        out[str(slug)] = Category(
            slug=str(slug),
            title=_localised(spec.get("title", str(slug).replace("-", " ").capitalize()), "en"),
            description=_localised(spec.get("description", ""), "en"),
            icon=str(spec.get("icon", "")),
        )
    return out


def _defaults(value: Any, s: Settings, where: str) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise SettingsError(f"{where}: kb.defaults: must map front-matter fields to default values")
    out: dict[str, Any] = {}
    ctx = dataclasses.replace(s.context(), today=None)
    for key, raw in value.items():
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
