"""The help site's model, free of MkDocs: which articles a build shows, generated pages, page context."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
from collections import defaultdict
from dataclasses import dataclass
from functools import cached_property
from typing import Any

from kb.core.article import Article
from kb.core.collection import KnowledgeBase
from kb.core.csp import META_POLICY
from kb.core.publish import MARKDOWN_SUFFIXES, in_assets, outside, published_files
from kb.core.text import slugify
from kb.site.agents import agents_home, last_changed
from kb.site.i18n import count_label, format_date, language_name, strings, ui_language
from kb.site.seo import article_seo, git_dates, page_seo

POPULAR_COUNT = 6
SWITCHER_BUTTONS = 4  # up to this many languages the switcher shows buttons, then a menu
# short icon names in mkdocs.yml -> Material's bundled icons (a name with "/" is used as given)
ICONS = {
    "account": "material/account-circle",
    "billing": "material/credit-card-outline",
    "orders": "material/truck-delivery-outline",
    "returns": "material/keyboard-return",
    "agents": "material/headset",
}


def icon_path(name: str) -> str:
    """Return the Material icon path ("material/headset") for a category icon name."""
    if not name:
        return ""
    return name if "/" in name else ICONS.get(name, f"material/{name}")


@dataclass(frozen=True)
class GeneratedPage:
    """A page the plugin writes from metadata: a language home, a category or a tag list."""

    src_uri: str
    kind: str  # "home", "category" or "tags"
    lang: str
    title: str
    category: str | None = None

    @property
    def url(self) -> str:
        """Site-relative URL ("" for the root home, "nl/billing/" for a category)."""
        return self.src_uri.removesuffix("index.md")

    def markdown(self) -> str:
        """The page's Markdown source: front matter choosing the template, no body."""
        meta = {"title": self.title, "template": f"kb-{self.kind}.html"}
        return "---\n" + "".join(f"{k}: {json.dumps(v)}\n" for k, v in meta.items()) + "---\n"


class SiteModel:
    """What one build of the help site shows: public articles only, or (internal) agents' too."""

    def __init__(self, kb: KnowledgeBase, internal: bool = False) -> None:
        self.kb = kb
        self.settings = kb.settings
        self.internal = internal
        self.articles = sorted(kb.visible(internal=internal), key=lambda a: (a.lang, a.title))
        self.linked_files = published_files(self.articles, kb.settings)
        self.by_id = {a.id: a for a in self.articles}
        self.by_path = {a.rel_path: a for a in self.articles}
        self.groups: dict[str, dict[str, Article]] = defaultdict(dict)
        self.by_category: dict[tuple[str, str], list[Article]] = defaultdict(list)
        self.by_tag: dict[tuple[str, str], list[Article]] = defaultdict(list)
        for a in self.articles:
            self.groups[a.source_id][a.lang] = a
            if a.category:
                self.by_category[(a.lang, a.category)].append(a)
            for tag in a.tags:
                self.by_tag[(a.lang, tag)].append(a)
        self.pages = {p.src_uri: p for p in self._generated()}

    # -- which files a build contains -------------------------------------------------------------
    def excludes(self, file: Any) -> bool:
        """True for a file of the articles folder this build must not contain (kb.core.publish).

        A Markdown page of a draft, archived or (publicly) internal article; a file reached
        through a link out of the folder; a static file no page of the build links to, outside
        the `assets` folders.
        """
        src_uri = file.src_uri
        if src_uri.endswith(".md"):
            return src_uri not in self.by_path
        if file.abs_src_path is None or not file.src_dir or not self._docs(file.src_dir):
            return False  # generated pages and the theme's files
        if outside(self.settings, file.abs_src_path) or src_uri.lower().endswith(MARKDOWN_SUFFIXES):
            return True
        return not (in_assets(src_uri, self.settings) or src_uri in self.linked_files)

    def _docs(self, src_dir: str) -> bool:
        return os.path.realpath(src_dir) == os.path.realpath(self.settings.docs_dir)

    def home_uri(self, lang: str) -> str:
        """Source path of a language's home page: the default language's home is the site root."""
        return "index.md" if lang == self.settings.default_lang else f"{lang}/index.md"

    def _generated(self) -> list[GeneratedPage]:
        s = self.settings
        pages = []
        for lang in s.languages:
            pages.append(GeneratedPage(self.home_uri(lang), "home", lang, s.site_name))
            for slug in self.category_slugs(lang):
                title = s.category_title(slug, lang)
                pages.append(
                    GeneratedPage(f"{lang}/{slug}/index.md", "category", lang, title, slug)
                )
            if any(key[0] == lang for key in self.by_tag):
                pages.append(
                    GeneratedPage(f"{lang}/tags/index.md", "tags", lang, self.strings(lang)["tags"])
                )
            if self.internal:  # the ticket assistant: kb serve's suggestions, links, flags
                title = self.strings(lang)["assist_title"]
                pages.append(GeneratedPage(f"{lang}/assist/index.md", "assist", lang, title))
            if s.contact and not self.internal:  # kb.contact: customers' page, suggestions first
                title = self.strings(lang)["contact_page_title"]
                pages.append(GeneratedPage(f"{lang}/contact/index.md", "contact", lang, title))
        return pages

    def category_slugs(self, lang: str) -> list[str]:
        """Categories with at least one article in `lang`: configured ones first, in their order."""
        present = {cat for (la, cat) in self.by_category if la == lang}
        ordered = [c for c in self.settings.categories if c in present]
        return ordered + sorted(present - set(ordered))

    def nav(self) -> list[dict[str, str]]:
        """A bounded navigation: the homes and category pages, never the articles themselves."""
        pages = self.pages.values()
        return [{p.title: p.src_uri} for p in pages if p.kind not in ("tags", "contact", "assist")]

    # -- page context -----------------------------------------------------------------------------
    def page_context(self, src_uri: str) -> dict[str, Any] | None:
        """Everything the theme needs to render the page at `src_uri`, or None for other files."""
        article = self.by_path.get(src_uri)
        if article is not None:
            return self._article_context(article)
        page = self.pages.get(src_uri)
        if page is None:
            return None
        ctx = self._base(page.lang, page.kind)
        ctx["switcher"] = self._page_switcher(page)
        if page.kind == "home":
            ctx.update(self._home(page.lang))
        elif page.kind == "category" and page.category:
            ctx["category"] = self._category(page.lang, page.category)
            ctx["articles"] = [self._card(a) for a in self.by_category[(page.lang, page.category)]]
            ctx["breadcrumbs"] = [ctx["home"]]
        elif page.kind == "tags":
            tags = sorted(tag for (la, tag) in self.by_tag if la == page.lang)
            ctx["tags"] = [
                {
                    "name": t,
                    "anchor": slugify(t) or t,
                    "articles": [self._card(a) for a in self.by_tag[(page.lang, t)]],
                }
                for t in tags
            ]
            ctx["breadcrumbs"] = [ctx["home"]]
        elif page.kind == "contact":
            to = self.settings.contact  # never its webhook: that stays on the server
            ctx["contact"] = {k: to.get(k, "") for k in ("to", "url", "method", "email")}
            ctx["breadcrumbs"] = [ctx["home"]]
        elif page.kind == "assist":  # its script's strings, in the page's language
            ctx["assist_strings"] = {k: v for k, v in ctx["s"].items() if k.startswith("assist_")}
            ctx["breadcrumbs"] = [ctx["home"]]
        ctx["seo"] = page_seo(page, ctx, self.pages, self.settings, self.internal)
        return ctx

    def strings(self, lang: str) -> dict[str, str]:
        """The interface strings of `lang`: mkdocs.yml's own (kb.strings), kb's, then English."""
        return strings(lang, self.settings.appearance.strings)

    def not_found_context(self, lang: str) -> dict[str, Any]:
        """The context of a language's 404 page: search, its top categories and the contact block."""
        ctx = self._base(lang, "404")
        ctx["switcher"] = [
            self._switch(other, self.pages[self.home_uri(other)].url, True, other == lang)
            for other in self.settings.languages
        ]
        return ctx

    def _base(self, lang: str, kind: str) -> dict[str, Any]:
        s = self.settings
        home = self.pages[self.home_uri(lang)]
        text = self.strings(lang)
        if self.internal:  # agents search a handbook: the agents_ strings replace the customers'
            text = text | {
                "hero_title": text["agents_hero_title"],
                "search_placeholder": text["agents_search_placeholder"],
            }
        return {
            "kind": kind,
            "lang": lang,
            "ui_lang": ui_language(lang),  # Material's strings: its nearest language
            "csp": META_POLICY,
            "s": text,
            "internal_build": self.internal,
            "home": {"title": text["home"], "url": home.url},
            "site_name": text.get("site_name") or s.site_name,  # kb.strings.<lang>.site_name
            "categories": self._categories(lang),
            # the customers' contact block: not on the agents' site
            "support": {} if self.internal else s.appearance.support_in(lang, s.default_lang),
            "footer": s.appearance.footer_in(lang, s.default_lang),
            "many_languages": len(s.languages) > SWITCHER_BUTTONS,
            "feedback_url": s.feedback_url,
            "tags_url": f"{lang}/tags/" if f"{lang}/tags/index.md" in self.pages else "",
            "contact_url": f"{lang}/contact/" if f"{lang}/contact/index.md" in self.pages else "",
            "assist_url": f"{lang}/assist/" if f"{lang}/assist/index.md" in self.pages else "",
        }

    def _categories(self, lang: str) -> list[dict[str, Any]]:
        """The category cards of `lang`, built once per build: every page shows them."""
        cache: dict[str, list[dict[str, Any]]] = self.__dict__.setdefault("_categories_cache", {})
        if lang not in cache:
            cache[lang] = [self._category(lang, c) for c in self.category_slugs(lang)]
        return cache[lang]

    def _category(self, lang: str, slug: str) -> dict[str, Any]:
        cat = self.settings.categories.get(slug)
        n = len(self.by_category[(lang, slug)])
        return {
            "slug": slug,
            "title": self.settings.category_title(slug, lang),
            "description": cat.description_in(lang, self.settings.default_lang) if cat else "",
            "icon": icon_path(cat.icon) if cat else "",
            "count": n,
            "count_label": count_label(n, lang, self.settings.appearance.strings),
            "url": f"{lang}/{slug}/",
        }

    def _card(self, a: Article) -> dict[str, Any]:
        return {
            "id": a.id,
            "title": a.title,
            "summary": a.summary,
            "url": a.url,
            "type": a.type,
            "internal": a.audience == "internal",
        }

    def _home(self, lang: str) -> dict[str, Any]:
        s = self.settings
        out = {
            "featured": [self._card(a) for a in self._in_lang(s.featured, lang)],
            "popular": [self._card(a) for a in self.popular(lang)],
        }
        if self.internal:  # the agents' home: what changed, what falls due (kb.site.agents)
            today = s.today or dt.date.today()
            every = s.defaults.get("review_every")
            text = self.strings(lang)
            out |= agents_home(self.articles, lang, today, self._changed, every, self._card, text)
        return out

    @cached_property
    def _changed(self) -> dict[str, dt.date]:
        """Each shown article's last change (one git log for the articles folder)."""
        committed = git_dates(self.settings.docs_dir)
        return last_changed(self.articles, self.settings.docs_dir, committed)

    def _in_lang(self, ids: tuple[str, ...] | list[str], lang: str) -> list[Article]:
        out = []
        for aid in ids:
            a = self.by_id.get(aid)
            version = self.groups[a.source_id].get(lang) if a else None
            if version is not None and version not in out:
                out.append(version)
        return out

    def popular(self, lang: str) -> list[Article]:
        """Configured popular articles, or those linked to the most support tickets."""
        configured = self.settings.popular
        if configured:
            return self._in_lang(configured, lang)[:POPULAR_COUNT]

        def tickets(a: Article) -> int:
            source = self.by_id.get(a.source_id, a)
            return max(len(a.tickets), len(source.tickets))

        ranked = sorted(
            (a for a in self.articles if a.lang == lang and tickets(a) > 0),
            key=lambda a: (-tickets(a), a.title),
        )
        return ranked[:POPULAR_COUNT]

    def _article_context(self, a: Article) -> dict[str, Any]:
        ctx = self._base(a.lang, "article")
        s = ctx["s"]
        crumbs = [ctx["home"]]
        if a.category:
            crumbs.append(
                {
                    "title": self.settings.category_title(a.category, a.lang),
                    "url": f"{a.lang}/{a.category}/",
                }
            )
        ctx["breadcrumbs"] = crumbs
        ctx["article"] = {
            **self._card(a),
            "lang": a.lang,
            "reviewed": format_date(a.reviewed, a.lang),
            "reviewed_iso": a.reviewed.isoformat() if a.reviewed else "",
            "products": [str(p) for p in a.products],
            "tags": [{"name": t, "url": f"{a.lang}/tags/#{slugify(t) or t}"} for t in a.tags],
            "department": a.department or "",
            "is_sop": a.type == "sop",
            "type_label": s["sop"] if a.type == "sop" else "",
        }
        ctx["related"] = [self._card(r) for r in self._related(a)]
        ctx["switcher"] = self._article_switcher(a)
        ctx["translations"] = [x for x in ctx["switcher"] if x["exists"] and not x["current"]]
        ctx["seo"] = article_seo(a, crumbs, self.groups[a.source_id], self.settings, self.internal)
        return ctx

    def _related(self, a: Article) -> list[Article]:
        out: list[Article] = []
        for rid in a.related:
            target = self.by_id.get(rid)
            if target is None:
                continue  # not in this build (internal, draft...): never link to it
            version = self.groups[target.source_id].get(a.lang, target)
            if version is not a and version not in out:
                out.append(version)
        return out

    def _article_switcher(self, a: Article) -> list[dict[str, Any]]:
        group = self.groups[a.source_id]
        out = []
        for lang in self.settings.languages:
            other = group.get(lang)
            url = other.url if other else self.pages[self.home_uri(lang)].url
            out.append(self._switch(lang, url, other is not None, lang == a.lang))
        return out

    def _page_switcher(self, page: GeneratedPage) -> list[dict[str, Any]]:
        out = []
        for lang in self.settings.languages:
            uri = (
                page.src_uri.replace(f"{page.lang}/", f"{lang}/", 1) if page.kind != "home" else ""
            )
            target = self.pages.get(uri) or self.pages[self.home_uri(lang)]
            out.append(self._switch(lang, target.url, True, lang == page.lang))
        return out

    @staticmethod
    def _switch(lang: str, url: str, exists: bool, current: bool) -> dict[str, Any]:
        return {
            "lang": lang,
            "name": language_name(lang),
            "url": url,
            "exists": exists,
            "current": current,
        }

    # -- change detection -------------------------------------------------------------------------
    def structure_hash(self) -> str:
        """Hash of everything one page shows about other pages: when equal, only edited pages change."""
        rows = [
            [
                a.id,
                a.rel_path,
                a.title,
                a.summary,
                a.category,
                a.lang,
                a.source_id,
                a.tags,
                a.related,
                a.audience,
                a.type,
                len(a.tickets),
            ]
            for a in self.articles
        ]
        data = json.dumps([self.internal, rows], default=str, sort_keys=True)
        return hashlib.sha256(data.encode("utf-8")).hexdigest()[:16]
