"""The kb plugin's options as MkDocs reads them: every kb setting, declared, and the build switches.

MkDocs only passes the kb settings on: kb.core.settings validates them (`kb check` does the
same without MkDocs) and names mkdocs.yml and the option in its errors. tests/test_site_config.py
checks that this list and kb.core.settings.OPTIONS agree.
"""

from __future__ import annotations

from typing import Any

from mkdocs.config import config_options as c
from mkdocs.config.base import Config


class Setting(c.BaseConfigOption[Any]):
    """A kb setting: any value, handed to kb.core.settings to validate."""

    def run_validation(self, value: object) -> Any:
        """Accept the value as it is."""
        return value


class KBPluginConfig(Config):
    """Options of the kb plugin entry (`plugins: [kb: {...}]`)."""

    # build switches of the plugin itself
    internal = c.Type(bool, default=False)  # the agents' site (kb build --internal sets it)
    pagefind = c.Type(bool, default=True)  # browser search

    # the kb settings (kb.core.settings.OPTIONS), None when not given
    languages = c.Optional(Setting())
    default_lang = c.Optional(Setting())
    categories = c.Optional(Setting())
    defaults = c.Optional(Setting())
    featured = c.Optional(Setting())
    popular = c.Optional(Setting())
    support = c.Optional(Setting())
    strings = c.Optional(Setting())  # interface strings per language (kb.core.appearance)
    footer = c.Optional(Setting())
    feedback_url = c.Optional(Setting())
    contact = c.Optional(Setting())  # the contact page (kb.core.contact)
    synonyms = c.Optional(Setting())
    queries = c.Optional(Setting())
    model = c.Optional(Setting())
    model_backend = c.Optional(Setting())
    model_languages = c.Optional(Setting())
    max_article_kb = c.Optional(Setting())
    assets = c.Optional(Setting())
    kb_dir = c.Optional(Setting())
    internal_site_dir = c.Optional(Setting())
    parallel = c.Optional(Setting())  # false: a build with none of kb.site.fast
    cache = c.Optional(Setting())  # false: no caches in .kb/cache
    seo = c.Optional(Setting())  # {faq_schema: true}: FAQPage JSON-LD (kb.site.seo)


BUILD_SWITCHES = ("internal", "pagefind")


def kb_options(config: KBPluginConfig) -> dict[str, Any]:
    """The kb settings given in the plugin entry (those not given left out)."""
    return {
        key: value
        for key, value in config.items()
        if key not in BUILD_SWITCHES and value is not None
    }
