"""What search engines read of the help site: meta description, hreflang, JSON-LD and sitemap dates.

Free of MkDocs. The site model (kb.site.model) hands each page's context to `article_seo` or
`page_seo`; the theme prints the result (theme/partials/kb-seo.html), and Material's own
canonical link stays the one canonical. theme/sitemap.xml asks a `Sitemap` for each URL's
`<lastmod>` and alternates. Absolute URLs need `site_url`: without it no hreflang, no
breadcrumb list and no `url` in JSON-LD are written (MkDocs writes no canonical either). Only
what a page of the build itself shows goes in: titles, summaries, text and URLs of pages in the
same build; never an article id, owner, ticket or related article (docs/site.md).
"""

from __future__ import annotations

import datetime as dt
import json
import os
import re
from collections.abc import Iterable, Mapping
from functools import cached_property
from pathlib import Path
from typing import Any, Protocol
from urllib.parse import quote

from kb.core.article import Article
from kb.core.git import run_git
from kb.core.settings import Settings
from kb.core.text import plain_text
from kb.site.i18n import strings

DESCRIPTION_LENGTH = 160  # what search engines show of a description
HEADLINE_LENGTH = 110  # the longest Article headline Google reads
ANSWER_LENGTH = 1000  # of a FAQPage answer
SEP = "\x1e"  # record separator of the one git log
SPACE = re.compile(r"\s+")


class PageLike(Protocol):
    """A generated page of the site model (kb.site.model.GeneratedPage)."""

    @property
    def src_uri(self) -> str:
        """Source path, e.g. "nl/billing/index.md"."""

    @property
    def kind(self) -> str:
        """home, category or tags."""

    @property
    def lang(self) -> str:
        """The page's language."""

    @property
    def url(self) -> str:
        """Site-relative URL."""

    @property
    def title(self) -> str:
        """The page's title."""

    @property
    def category(self) -> str | None:
        """A category page's slug."""


class SiteLike(Protocol):
    """What a Sitemap reads of the site model (kb.site.model.SiteModel)."""

    @property
    def settings(self) -> Settings:
        """The build's settings."""

    @property
    def articles(self) -> list[Article]:
        """The articles of the build."""

    @property
    def pages(self) -> Mapping[str, PageLike]:
        """The generated pages by source path."""

    @property
    def groups(self) -> Mapping[str, Mapping[str, Article]]:
        """Translation groups: source id -> language -> article."""

    @property
    def internal(self) -> bool:
        """True for the agents' site."""


# -- small pieces ----------------------------------------------------------------------------------
def absolute(settings: Settings, url: str) -> str:
    """The absolute URL of a site-relative `url`, or "" without site_url (as MkDocs quotes it)."""
    if not settings.site_url:
        return ""
    return settings.site_url.rstrip("/") + "/" + quote(url)


def shorten(text: str, limit: int = DESCRIPTION_LENGTH) -> str:
    """`text` on one line, cut at a word to at most `limit` characters (with "…" when cut)."""
    text = SPACE.sub(" ", text).strip()
    if len(text) <= limit:
        return text
    cut = text[: limit - 1]
    if " " in cut[limit // 2 :]:
        cut = cut[: cut.rindex(" ")]
    return cut.rstrip(" ,;:.-–") + "…"


def article_description(a: Article) -> str:
    """An article's description: its summary, else the start of its text."""
    return shorten(a.summary or plain_text(a.body))


def json_ld(data: Any) -> str:
    """JSON for a `<script type="application/ld+json">`: no "<", ">" or "&" that HTML could read."""
    text = json.dumps(data, ensure_ascii=False, separators=(",", ":"), sort_keys=False)
    for char, escape in (("<", "\\u003c"), (">", "\\u003e"), ("&", "\\u0026")):
        text = text.replace(char, escape)
    return text.replace("\u2028", "\\u2028").replace("\u2029", "\\u2029")


def alternates(settings: Settings, urls: Mapping[str, str]) -> list[dict[str, str]]:
    """hreflang links of a page found in these languages (lang -> URL), with x-default.

    Empty when there is no site_url or the page exists in one language only.
    """
    if not settings.site_url or len(urls) < 2:
        return []
    out = [{"lang": lang, "href": absolute(settings, url)} for lang, url in urls.items()]
    default = urls.get(settings.default_lang)
    if default is not None:
        out.append({"lang": "x-default", "href": absolute(settings, default)})
    return out


def breadcrumb_list(settings: Settings, crumbs: Iterable[Mapping[str, str]]) -> dict[str, Any]:
    """A schema.org BreadcrumbList of (title, url) crumbs, home first; {} without site_url."""
    if not settings.site_url:
        return {}
    items = [
        {
            "@type": "ListItem",
            "position": n,
            "name": c["title"],
            "item": absolute(settings, c["url"]),
        }
        for n, c in enumerate(crumbs, 1)
    ]
    return {"@type": "BreadcrumbList", "itemListElement": items}


def _graph(*nodes: dict[str, Any]) -> str:
    return json_ld({"@context": "https://schema.org", "@graph": [n for n in nodes if n]})


def _in_order(settings: Settings, urls: dict[str, str]) -> dict[str, str]:
    return {lang: urls[lang] for lang in settings.languages if lang in urls}


# -- page data ----------------------------------------------------------------------------------
def article_seo(
    a: Article,
    crumbs: list[dict[str, str]],
    versions: Mapping[str, Article],
    settings: Settings,
    internal: bool,
) -> dict[str, Any]:
    """An article page's description, hreflang links and JSON-LD.

    `crumbs` are the page's breadcrumbs (home, category); `versions` the article's
    translations in this build by language, itself included. The agents' site gets only the
    description and `noindex`.
    """
    description = article_description(a)
    if internal:
        return {"description": description, "noindex": True, "alternates": [], "json_ld": ""}
    url = absolute(settings, a.url)
    node: dict[str, Any] = {
        "@type": "Article",
        "headline": shorten(a.title, HEADLINE_LENGTH),
        "description": description,
        "inLanguage": a.lang,
        "publisher": {"@type": "Organization", "name": settings.site_name},
    }
    if a.reviewed:
        node["dateModified"] = a.reviewed.isoformat()
    if url:
        node["url"] = node["mainEntityOfPage"] = url
    trail = breadcrumb_list(settings, [*crumbs, {"title": a.title, "url": a.url}])
    faq = faq_page(a, url) if settings.faq_schema and a.type == "faq" else {}
    urls = _in_order(settings, {lang: v.url for lang, v in versions.items()})
    return {
        "description": description,
        "noindex": False,
        "alternates": alternates(settings, urls),
        "json_ld": _graph(node, trail, faq),
    }


def faq_page(a: Article, url: str = "") -> dict[str, Any]:
    """A schema.org FAQPage: the title answered by the summary, and each heading ending in "?"."""
    pairs: list[tuple[str, str]] = []
    sections = a.sections
    intro = " ".join(s.text for s in sections if not s.heading)
    if a.summary or intro:
        pairs.append((a.title, a.summary or intro))
    pairs += [(s.heading, s.text) for s in sections if s.heading.endswith("?") and s.text]
    if not pairs:
        return {}
    node: dict[str, Any] = {
        "@type": "FAQPage",
        "inLanguage": a.lang,
        "mainEntity": [
            {
                "@type": "Question",
                "name": shorten(q, HEADLINE_LENGTH),
                "acceptedAnswer": {"@type": "Answer", "text": shorten(ans, ANSWER_LENGTH)},
            }
            for q, ans in pairs
        ],
    }
    if url:
        node["url"] = url
    return node


def page_seo(
    page: PageLike,
    ctx: Mapping[str, Any],
    pages: Mapping[str, PageLike],
    settings: Settings,
    internal: bool,
) -> dict[str, Any]:
    """A home, category or tags page's description, hreflang links and JSON-LD.

    `ctx` is the page's theme context (kb.site.model.SiteModel.page_context); `pages` every
    generated page of the build, for the same page in the other languages.
    """
    description = shorten(_page_description(page, ctx, settings))
    if internal:
        return {"description": description, "noindex": True, "alternates": [], "json_ld": ""}
    urls = page_urls(page, pages, settings)
    node: dict[str, Any] = {}
    if page.kind == "home":
        node = {"@type": "WebSite", "name": settings.site_name, "inLanguage": page.lang}
        if settings.site_url:
            node["url"] = absolute(settings, page.url)
    trail = {}
    if page.kind != "home":
        trail = breadcrumb_list(settings, [ctx["home"], {"title": page.title, "url": page.url}])
    return {
        "description": description,
        "noindex": False,
        "alternates": alternates(settings, urls),
        "json_ld": _graph(node, trail) if node or trail else "",
    }


def page_urls(page: PageLike, pages: Mapping[str, PageLike], settings: Settings) -> dict[str, str]:
    """The URL of the same generated page in each language that has it (lang -> URL)."""
    urls = {}
    for lang in settings.languages:
        home = "index.md" if lang == settings.default_lang else f"{lang}/index.md"
        uri = home if page.kind == "home" else f"{lang}/{page.src_uri.split('/', 1)[1]}"
        if uri in pages:
            urls[lang] = pages[uri].url
    return urls


def _page_description(page: PageLike, ctx: Mapping[str, Any], settings: Settings) -> str:
    s = ctx.get("s") or strings(page.lang)
    if page.kind == "category":
        category = ctx.get("category") or {}
        if category.get("description"):
            return str(category["description"])
        titles = ", ".join(card["title"] for card in ctx.get("articles", []))
        return f"{page.title}: {titles}" if titles else page.title
    if page.kind == "tags":
        return f"{s['all_tags']} – {settings.site_name}"
    topics = ", ".join(c["title"] for c in ctx.get("categories", []))
    return f"{settings.site_name} – {topics}" if topics else settings.site_name


# -- sitemap ----------------------------------------------------------------------------------
def robots_txt(settings: Settings, internal: bool) -> str:
    """The site's robots.txt: the agents' site keeps every crawler out; the public one names its
    sitemap (with site_url) and keeps crawlers off kb serve's API."""
    if internal:
        return "User-agent: *\nDisallow: /\n"
    lines = ["User-agent: *", "Disallow: /api/", "Allow: /"]
    if settings.site_url:
        lines += ["", f"Sitemap: {absolute(settings, 'sitemap.xml')}"]
    return "\n".join(lines) + "\n"


def git_dates(folder: Path) -> dict[str, dt.date]:
    """The date of the last commit of each file below `folder` (paths relative to it): one git log."""
    out = run_git(
        ["log", "-z", f"--format={SEP}%cs", "--name-only", "--relative", "--", "."],
        folder,
        quiet=True,
    )
    dates: dict[str, dt.date] = {}
    day: dt.date | None = None
    for raw in (out or "").split("\0"):
        token = raw.strip("\n")
        if token.startswith(SEP):
            try:
                day = dt.date.fromisoformat(token[1:].strip())
            except ValueError:
                day = None
        elif token and day is not None:
            dates.setdefault(token, day)  # newest first: the first date seen is the last change
    return dates


def _mtime(path: Path) -> dt.date | None:
    try:
        return dt.date.fromtimestamp(os.stat(path).st_mtime)
    except OSError:
        return None


class Sitemap:
    """The `<lastmod>` and hreflang alternates of each page of a build, worked out on first use.

    An article's date is its `reviewed` date, else its last commit, else its file's date; a
    generated page takes the newest date of the articles it lists. The agents' site's sitemap
    has dates but no alternates.
    """

    def __init__(self, site: SiteLike | None) -> None:
        self.site = site

    @cached_property
    def lastmods(self) -> dict[str, dt.date]:
        """Source path -> date of every page of the build that has one."""
        if self.site is None:
            return {}
        settings = self.site.settings
        articles = self.site.articles
        needs_git = any(a.reviewed is None for a in articles)
        committed = git_dates(settings.docs_dir) if needs_git else {}
        out: dict[str, dt.date] = {}
        for a in articles:
            day = a.reviewed or committed.get(a.rel_path) or _mtime(settings.docs_dir / a.rel_path)
            if day is not None:
                out[a.rel_path] = day
        for uri, page in self.site.pages.items():
            days = [out[a.rel_path] for a in self._listed(self.site, page) if a.rel_path in out]
            if days:
                out[uri] = max(days)
        return out

    @staticmethod
    def _listed(site: SiteLike, page: PageLike) -> Iterable[Article]:
        """The articles a generated page lists."""
        kinds = {"home": lambda a: True, "category": lambda a: a.category == page.category}
        listed = kinds.get(page.kind, lambda a: bool(a.tags))
        return (a for a in site.articles if a.lang == page.lang and listed(a))

    @cached_property
    def _alternates(self) -> dict[str, list[dict[str, str]]]:
        if self.site is None or self.site.internal:
            return {}  # the agents' site is not for search engines
        settings = self.site.settings
        by_path = {a.rel_path: a for a in self.site.articles}
        out = {}
        for rel, a in by_path.items():
            versions = self.site.groups.get(a.source_id, {})
            urls = _in_order(settings, {lang: v.url for lang, v in versions.items()})
            out[rel] = alternates(settings, urls)
        for uri, page in self.site.pages.items():
            out[uri] = alternates(settings, page_urls(page, self.site.pages, settings))
        return out

    def lastmod(self, src_uri: str) -> str:
        """The page's `<lastmod>` (YYYY-MM-DD), or "" when unknown."""
        day = self.lastmods.get(src_uri)
        return day.isoformat() if day else ""

    def alternates(self, src_uri: str) -> list[dict[str, str]]:
        """The page's hreflang alternates for `<xhtml:link>`: the same page in other languages."""
        return self._alternates.get(src_uri, [])
