"""`kb check` on mkdocs.yml's site settings: the theme, its features and languages Material knows.

The build itself trusts what this reports: a theme kb cannot build on is an error here and in
the plugin; a language without Material strings builds with the nearest one and a warning here.
"""

from __future__ import annotations

import functools
import re
from pathlib import Path

from kb.core.errors import ArticleError
from kb.core.schema import did_you_mean
from kb.core.settings import Settings
from kb.site.i18n import material_dir, material_languages, ui_language

# Material 9's features (its documentation); those its templates test for are added below
FEATURES = (
    "announce.dismiss",
    "content.action.edit",
    "content.action.view",
    "content.code.annotate",
    "content.code.copy",
    "content.code.select",
    "content.footnote.tooltips",
    "content.lazy",
    "content.tabs.link",
    "content.tooltips",
    "header.autohide",
    "navigation.expand",
    "navigation.footer",
    "navigation.indexes",
    "navigation.instant",
    "navigation.instant.prefetch",
    "navigation.instant.preview",
    "navigation.instant.progress",
    "navigation.path",
    "navigation.prune",
    "navigation.sections",
    "navigation.tabs",
    "navigation.tabs.sticky",
    "navigation.top",
    "navigation.tracking",
    "search.highlight",
    "search.share",
    "search.suggest",
    "toc.follow",
    "toc.integrate",
)
TESTED = re.compile(r'"([a-z]+(?:\.[a-z]+)+)"\s+(?:not\s+)?in\s+features')


@functools.cache
def material_features() -> frozenset[str]:
    """Every feature name Material knows: its documented ones and those its templates test."""
    found = set(FEATURES)
    for path in Path(material_dir()).rglob("*.html"):
        found.update(TESTED.findall(path.read_text(encoding="utf-8", errors="replace")))
    return frozenset(found)


def config_problems(settings: Settings) -> list[ArticleError]:
    """Problems of mkdocs.yml's theme and languages, each with its line."""
    source = settings.source
    if source is None or not source.path.is_file():
        return []
    out: list[ArticleError] = []

    def problem(keys: tuple[str | int, ...], field: str, message: str, level: str) -> None:
        out.append(source.problem(keys, field, message, level))

    raw = source.data.get("theme")
    theme = {"name": raw} if isinstance(raw, str) else raw if isinstance(raw, dict) else {}
    name = theme.get("name")
    if name not in (None, "mkdocs", "material"):
        problem(
            ("theme", "name"),
            "theme.name",
            not_material(str(name)),
            "error",
        )
    custom = theme.get("custom_dir")
    if custom and not (source.path.parent / str(custom)).is_dir():
        problem(("theme", "custom_dir"), "theme.custom_dir", f"no such folder: {custom}", "error")
    language = theme.get("language")
    if language and not has_strings(str(language)):
        problem(
            ("theme", "language"),
            "theme.language",
            _no_strings(str(language)),
            "warning",
        )
    features = theme.get("features") or []
    if features and isinstance(features, list):
        known = material_features()
        for n, feature in enumerate(features):
            if str(feature) not in known:
                problem(
                    ("theme", "features", n),
                    "theme.features",
                    f"{feature!r} is not a Material feature"
                    + did_you_mean(str(feature), sorted(known)),
                    "warning",
                )
    base = source.plugin_entry()[1]
    for n, lang in enumerate(settings.languages):
        if not has_strings(lang):
            keys = (*base, "languages", n) if "languages" in source.plugin_entry()[0] else base
            problem(keys, "kb.languages", _no_strings(lang), "warning")
    return out


def not_material(name: str) -> str:
    """Why kb cannot build on the theme `name`."""
    return (
        f"kb's help centre is built on Material, not {name!r}: leave `theme:` out or use "
        "`name: material`"
    )


def _no_strings(lang: str) -> str:
    nearest = ui_language(lang)
    how = "its nearest language" if nearest != "en" else "English"
    return (
        f"Material has no interface strings for {lang!r}: its buttons and labels are in "
        f"{how} ({nearest!r}); the articles stay in {lang!r}"
    )


def has_strings(lang: str) -> bool:
    """True when Material has interface strings for `lang` itself."""
    return lang.replace("_", "-").lower() in material_languages()
