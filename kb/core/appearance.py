"""The help site's words and branding from mkdocs.yml: interface strings, contact block, footer."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from kb.core.errors import SettingsError

# the contact block's settings that are text a reader reads, so may differ per language
SUPPORT_TEXT = ("hours", "phone", "email", "url")


@dataclass(frozen=True)
class FooterLink:
    """A link of the footer: its title per language and its address."""

    title: dict[str, str]
    url: str


@dataclass
class Appearance:
    """What the site says and shows besides articles, per language, as mkdocs.yml sets it."""

    strings: dict[str, dict[str, str]] = field(default_factory=dict)  # lang -> key -> text
    support: dict[str, dict[str, str]] = field(default_factory=dict)  # key -> lang -> value
    footer_links: tuple[FooterLink, ...] = ()
    legal: dict[str, str] = field(default_factory=dict)
    logo: str = ""
    generator: bool = True  # the "Made with Material for MkDocs" notice

    def support_in(self, lang: str, default_lang: str) -> dict[str, str]:
        """The contact block's settings in `lang`, the default language's where one is missing."""
        out = {}
        for key, values in self.support.items():
            value = values.get(lang) or values.get(default_lang) or next(iter(values.values()), "")
            if value:
                out[key] = value
        return out

    def footer_in(self, lang: str, default_lang: str) -> dict[str, Any]:
        """The footer's links, legal notice and logo in `lang`."""

        def pick(text: dict[str, str]) -> str:
            return text.get(lang) or text.get(default_lang) or next(iter(text.values()), "")

        return {
            "links": [{"title": pick(link.title), "url": link.url} for link in self.footer_links],
            "legal": pick(self.legal),
            "logo": self.logo,
            "generator": self.generator,
        }


Warn = Callable[[tuple[Any, ...], str], None]
Where = Callable[..., str]


def localised(value: Any, default_lang: str) -> dict[str, str]:
    """`{lang: text}` from a mapping per language or one text for the default language."""
    if isinstance(value, dict):
        return {str(k): str(v) for k, v in value.items() if v is not None and str(v).strip()}
    return {default_lang: str(value)} if value not in (None, "") else {}


def read_appearance(
    options: dict[str, Any],
    languages: tuple[str, ...],
    default_lang: str,
    at: Where,
    warn: Warn,
) -> Appearance:
    """Validate `support`, `strings` and `footer` of the kb options; mistakes name their line.

    The names in `strings` are checked against the theme's by kb check (kb.site.checks).
    """
    out = Appearance()
    support = options.get("support", {}) or {}
    if not isinstance(support, dict):
        raise SettingsError(
            f"{at('support')}: kb.support: must be a mapping such as {{email: help@example.com}}"
        )
    for key, value in support.items():
        if isinstance(value, dict) and key in SUPPORT_TEXT:
            _languages_known(value, languages, ("support", key), warn)
        elif isinstance(value, dict | list):
            continue  # a structured setting another part of kb reads (not text per language)
        out.support[str(key)] = localised(value, default_lang)
    strings = options.get("strings", {}) or {}
    if not isinstance(strings, dict):
        raise SettingsError(f"{at('strings')}: kb.strings: must map a language to its strings")
    for lang, table in strings.items():
        if not isinstance(table, dict):
            raise SettingsError(
                f"{at('strings', lang)}: kb.strings.{lang}: must map string names to text"
            )
        if str(lang) not in languages:
            warn(("strings", lang), f"{lang!r} is not in kb.languages, ignored")
            continue
        for key, text in table.items():
            if text is not None:
                out.strings.setdefault(str(lang), {})[str(key)] = str(text)
    out.footer_links, out.legal, out.logo, out.generator = _footer(
        options.get("footer", {}) or {}, default_lang, at
    )
    return out


def _languages_known(
    value: dict[Any, Any], languages: tuple[str, ...], keys: tuple[Any, ...], warn: Warn
) -> None:
    for lang in value:
        if str(lang) not in languages:
            warn((*keys, lang), f"{lang!r} is not in kb.languages")


def _footer(
    value: Any, default_lang: str, at: Where
) -> tuple[tuple[FooterLink, ...], dict[str, str], str, bool]:
    if not isinstance(value, dict):
        raise SettingsError(
            f"{at('footer')}: kb.footer: must be a mapping of links, legal, logo and generator"
        )
    links = value.get("links", []) or []
    if not isinstance(links, list):
        raise SettingsError(f"{at('footer', 'links')}: kb.footer.links: must be a list of links")
    out = []
    for n, link in enumerate(links):
        if not isinstance(link, dict) or not link.get("url") or not link.get("title"):
            raise SettingsError(
                f"{at('footer', 'links', n)}: kb.footer.links: each link needs a title and a url"
            )
        url = str(link["url"])
        if url.lower().lstrip().startswith(("javascript:", "data:", "vbscript:")):
            raise SettingsError(
                f"{at('footer', 'links', n)}: kb.footer.links: {url[:40]!r} is not a web address"
            )
        out.append(FooterLink(localised(link["title"], default_lang), url))
    generator = value.get("generator", True)
    if not isinstance(generator, bool):
        raise SettingsError(f"{at('footer', 'generator')}: kb.footer.generator: true or false")
    logo = value.get("logo", "")
    return tuple(out), localised(value.get("legal"), default_lang), str(logo or ""), generator
