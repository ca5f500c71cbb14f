"""The help-centre theme: Material with kb's templates, brought by the plugin, and its stamp.

The templates live in the repository's theme/ folder, which a wheel installs as kb/theme. The
plugin puts that folder between a team's own `custom_dir` and Material, so a team overrides one
kb template or partial the way Material's `overrides` folder works.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

from mkdocs.config.defaults import MkDocsConfig
from mkdocs.theme import Theme

from kb.core.errors import SettingsError
from kb.core.settings import Settings
from kb.site.checks import not_material
from kb.site.i18n import ui_language


def _theme_dir() -> Path:
    installed = Path(__file__).resolve().parents[1] / "theme"  # kb/theme, from a wheel
    return installed if installed.is_dir() else Path(__file__).resolve().parents[2] / "theme"


THEME_DIR = _theme_dir()
# the theme options MkDocs' own `mkdocs` theme is given when mkdocs.yml names no theme
DEFAULT_THEMES = (None, "mkdocs")


def theme_files() -> Iterator[Path]:
    """Every file of the theme, in a stable order."""
    for path in sorted(THEME_DIR.rglob("*")):
        if path.is_file():
            yield path


def user_theme(settings: Settings) -> dict[str, Any]:
    """The `theme:` mapping of mkdocs.yml as written (a bare name becomes `{name: ...}`)."""
    raw = settings.source.data.get("theme") if settings.source else None
    if isinstance(raw, str):
        return {"name": raw}
    return dict(raw) if isinstance(raw, dict) else {}


def bring_theme(config: MkDocsConfig, settings: Settings) -> None:
    """Make the build's theme Material with kb's templates under the team's own custom_dir."""
    theme = config.theme
    given = user_theme(settings)
    if theme.name in DEFAULT_THEMES:
        options = {k: v for k, v in given.items() if k not in ("name", "custom_dir")}
        theme = config.theme = Theme(name="material", custom_dir=theme.custom_dir, **options)
    elif theme.name != "material":
        where = settings.source.where("theme", "name") if settings.source else "mkdocs.yml"
        raise SettingsError(f"{where}: theme.name: {not_material(str(theme.name))}")
    if "font" not in given:
        theme["font"] = False  # no request to Google Fonts from a customer's browser
    if str(THEME_DIR) not in theme.dirs:
        theme.dirs.insert(1 if theme.custom_dir else 0, str(THEME_DIR))
    theme["language"] = ui_language(str(given.get("language") or settings.default_lang))


def _mermaid_fence() -> dict[str, Any]:
    from pymdownx.superfences import fence_code_format

    return {"custom_fences": [{"name": "mermaid", "class": "mermaid", "format": fence_code_format}]}


# the Markdown extensions kb's articles and theme are written for, with kb's configuration
EXTENSIONS: dict[str, Any] = {
    "toc": lambda: {"permalink": True},
    "admonition": dict,
    "attr_list": dict,
    "def_list": dict,
    "md_in_html": dict,
    "tables": dict,
    "pymdownx.details": dict,
    "pymdownx.superfences": _mermaid_fence,
}


def bring_extensions(config: MkDocsConfig, settings: Settings) -> None:
    """Add each Markdown extension kb needs that mkdocs.yml leaves out; the team's own win."""
    raw = settings.source.data.get("markdown_extensions") if settings.source else None
    listed = {
        str(next(iter(entry))) if isinstance(entry, dict) and entry else str(entry)
        for entry in (raw if isinstance(raw, list) else [])
    }
    for name, options in EXTENSIONS.items():
        if name in listed:
            continue
        if name not in config.markdown_extensions:
            config.markdown_extensions.append(name)
        if name not in config.mdx_configs and (given := options()):
            config.mdx_configs[name] = given
