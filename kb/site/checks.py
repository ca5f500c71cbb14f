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
from kb.site.i18n import STRINGS, material_dir, material_languages, ui_language

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
    for keys, message in _palette_problems(theme):
        problem(keys, "theme.palette.primary", message, "warning")
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
        keys = (*base, "languages", n) if "languages" in source.plugin_entry()[0] else base
        missing = [k for k in STRINGS["en"] if k not in STRINGS.get(lang, {})]
        missing = [k for k in missing if k not in settings.appearance.strings.get(lang, {})]
        own = (
            f"kb's own {len(missing)} texts (such as {missing[0]!r}) show in English until "
            f"kb.strings.{lang} sets them"
            if lang != "en" and missing
            else ""
        )
        if not has_strings(lang):
            problem(
                keys, "kb.languages", _no_strings(lang) + (f"; {own}" if own else ""), "warning"
            )
        elif own:
            problem(keys, "kb.languages", "kb" + own.removeprefix("kb"), "warning")
    for lang, table in settings.appearance.strings.items():
        for key in table:
            if key not in STRINGS["en"] and key != "site_name":
                problem(
                    (*base, "strings", lang, key),
                    f"kb.strings.{lang}.{key}",
                    "no such interface string, ignored" + did_you_mean(key, list(STRINGS["en"])),
                    "warning",
                )
    return out


# Material 9's primary colours: links, headings and the header (white text) are drawn in them
PRIMARY_COLOURS = {
    "red": "#ef5552", "pink": "#e92063", "purple": "#ab47bd", "deep purple": "#7e56c2",
    "indigo": "#4051b5", "blue": "#2094f3", "light blue": "#02a6f2", "cyan": "#00bdd6",
    "teal": "#009485", "green": "#4cae4f", "light green": "#8bc34b", "lime": "#cbdc38",
    "yellow": "#ffec3d", "amber": "#ffc105", "orange": "#ffa724", "deep orange": "#ff6e42",
    "brown": "#795649", "grey": "#757575", "blue grey": "#546d78", "black": "#000000",
}  # fmt: skip
AA_CONTRAST = 4.5  # WCAG 2 AA for body text


def contrast_with_white(colour: str) -> float:
    """The WCAG contrast ratio of a `#rrggbb` colour with white."""

    def channel(value: int) -> float:
        c = value / 255
        return c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4

    r, g, b = (int(colour[i : i + 2], 16) for i in (1, 3, 5))
    luminance = 0.2126 * channel(r) + 0.7152 * channel(g) + 0.0722 * channel(b)
    return 1.05 / (luminance + 0.05)


def _palette_problems(theme: dict[str, object]) -> list[tuple[tuple[str | int, ...], str]]:
    """A Material primary colour whose links and header text fall below WCAG AA contrast."""
    palette = theme.get("palette")
    schemes = palette if isinstance(palette, list) else [palette]
    out = []
    for n, scheme in enumerate(schemes):
        if not isinstance(scheme, dict) or scheme.get("scheme") == "slate":
            continue
        name = str(scheme.get("primary", "indigo")).replace("-", " ").lower()
        colour = PRIMARY_COLOURS.get(name)
        if colour is None or (ratio := contrast_with_white(colour)) >= AA_CONTRAST:
            continue
        keys: tuple[str | int, ...] = (
            ("theme", "palette", n) if isinstance(palette, list) else ("theme", "palette")
        )
        passing = [k for k, v in PRIMARY_COLOURS.items() if contrast_with_white(v) >= AA_CONTRAST]
        out.append(
            (
                (*keys, "primary"),
                f"{name!r} gives links and the header a contrast of {ratio:.1f}:1 with white, "
                f"under WCAG AA's {AA_CONTRAST}:1 (readable: {', '.join(passing[:6])}, ...)",
            )
        )
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
