"""Search engines' view of the help site (kb.site.seo): real builds checked for meta, hreflang, JSON-LD, sitemap."""

from __future__ import annotations

import contextlib
import datetime as dt
import functools
import http.server
import json
import os
import re
import subprocess
import threading
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import unquote

import pytest
from conftest import CHROMIUM, need_chromium
from test_site_helpers import built_fixture, read

from kb.core.collection import KnowledgeBase
from kb.core.errors import SettingsError
from kb.core.settings import Settings
from kb.site.build import build_site
from kb.site.seo import json_ld, shorten

pytestmark = pytest.mark.slow

LD = re.compile(r'<script type="application/ld\+json">(.*?)</script>', re.S)
# rel="alternate " with its space: Material's script acts on each link[rel=alternate] (kb-seo.html)
HREFLANG = re.compile(r'<link rel="alternate " hreflang="([^"]+)" href="([^"]+)">')
DESCRIPTION = re.compile(r'<meta name="description" content="([^"]*)">')
CANONICAL = re.compile(r'<link rel="canonical" href="([^"]+)">')
SITEMAP = "{http://www.sitemaps.org/schemas/sitemap/0.9}"
XHTML = "{http://www.w3.org/1999/xhtml}"


@pytest.fixture(scope="module")
def sites() -> tuple[Path, Path, Path]:
    return built_fixture()


def kb_pages(site: Path) -> Iterator[tuple[str, str]]:
    """(path, html) of each page the kb theme rendered: not the 404 pages or redirect pages."""
    for path in sorted(site.rglob("*.html")):
        text = path.read_text(encoding="utf-8")
        if path.name != "404.html" and 'http-equiv="refresh"' not in text:
            yield path.relative_to(site).as_posix(), text


def strings_of(data: Any) -> Iterator[str]:
    """Every string (keys and values) in parsed JSON."""
    if isinstance(data, dict):
        for k, v in data.items():
            yield k
            yield from strings_of(v)
    elif isinstance(data, list):
        for v in data:
            yield from strings_of(v)
    elif isinstance(data, str):
        yield data


def nodes(page: str) -> list[dict[str, Any]]:
    """The JSON-LD nodes of a page, each script parsed with json.loads."""
    out = []
    for block in LD.findall(page):
        out += json.loads(block)["@graph"]
    return out


def local(site: Path, url: str, site_url: str) -> Path:
    """The built file an absolute URL of the site points at."""
    assert url.startswith(site_url), url
    return site / unquote(url[len(site_url) :]) / "index.html"


# -- the fixture's public and internal builds ----------------------------------------------------
def test_every_page_has_one_description_and_canonical_and_parsing_json_ld(sites):
    config, public, _ = sites
    site_url = Settings.load(config).site_url
    pages = dict(kb_pages(public))
    assert len(pages) > 10 and "en/billing/download-invoice/index.html" in pages
    for rel, page in pages.items():
        assert len(DESCRIPTION.findall(page)) == 1, rel
        assert 'rel="alternate"' not in page, rel  # what Material would fetch sitemaps below
        assert DESCRIPTION.findall(page)[0].strip(), rel
        assert CANONICAL.findall(page) == [site_url + rel.removesuffix("index.html")], rel
        assert nodes(page), rel  # every kb page has JSON-LD: it parses
        for url in [href for _, href in HREFLANG.findall(page)] + CANONICAL.findall(page):
            assert local(public, url, site_url).is_file(), (rel, url)


def test_an_article_has_its_summary_translations_and_article_schema(sites):
    config, public, _ = sites
    kb = KnowledgeBase.load(Settings.load(config))
    invoice = next(a for a in kb.articles if a.id == "download-invoice")
    page = read(public, "en/billing/download-invoice/index.html")
    assert DESCRIPTION.findall(page) == [invoice.summary.replace(">", "&gt;")]
    links = dict(HREFLANG.findall(page))
    base = "http://127.0.0.1:8000/"
    assert links == {
        "en": base + "en/billing/download-invoice/",
        "nl": base + "nl/billing/download-invoice/",
        "sv": base + "sv/billing/download-invoice/",
        "x-default": base + "en/billing/download-invoice/",
    }
    article = next(n for n in nodes(page) if n["@type"] == "Article")
    assert article["headline"] == invoice.title and article["inLanguage"] == "en"
    assert article["dateModified"] == invoice.reviewed.isoformat()
    assert article["url"] == base + "en/billing/download-invoice/"
    assert article["publisher"]["name"] == "Fixture Help"
    trail = next(n for n in nodes(page) if n["@type"] == "BreadcrumbList")
    assert [i["item"] for i in trail["itemListElement"]] == [
        base,
        base + "en/billing/",
        base + "en/billing/download-invoice/",
    ]
    # a category without a version in Swedish: no Swedish alternate (the switcher's home is not it)
    account = dict(HREFLANG.findall(read(public, "nl/account/index.html")))
    assert set(account) == {"en", "nl", "x-default"}


def test_nothing_non_public_reaches_json_ld_meta_or_the_sitemap(sites):
    config, public, _ = sites
    kb = KnowledgeBase.load(Settings.load(config))
    hidden = [a for a in kb.articles if not a.is_public]
    assert {a.audience for a in hidden} >= {"internal"}
    ids = {a.id for a in kb.articles}
    seen = [read(public, "sitemap.xml")]
    for rel, page in kb_pages(public):
        blocks = [json.loads(b) for b in LD.findall(page)]
        assert not ids & set(strings_of(blocks)), rel  # no kb id as any JSON-LD value
        seen += [*LD.findall(page), *DESCRIPTION.findall(page), *map(str, HREFLANG.findall(page))]
    text = "\n".join(seen)
    for a in hidden:
        assert not re.search(rf"(?<![\w-]){re.escape(a.id)}(?![\w-])", text), a.id
        assert a.title not in text, a.title


def test_sitemap_dates_are_reviewed_dates_and_languages_are_alternates(sites):
    config, public, _ = sites
    kb = KnowledgeBase.load(Settings.load(config))
    root = ET.fromstring(read(public, "sitemap.xml"))
    urls = {u.findtext(f"{SITEMAP}loc"): u for u in root.iter(f"{SITEMAP}url")}
    base = "http://127.0.0.1:8000/"
    reviewed = [a for a in kb.public() if a.reviewed]
    assert len(reviewed) >= 3
    for a in reviewed:
        assert urls[base + a.url].findtext(f"{SITEMAP}lastmod") == a.reviewed.isoformat(), a.id
    billing = max(a.reviewed for a in reviewed if a.lang == "en" and a.category == "billing")
    assert urls[base + "en/billing/"].findtext(f"{SITEMAP}lastmod") == billing.isoformat()
    alternates = {
        link.get("hreflang"): link.get("href")
        for link in urls[base + "nl/billing/download-invoice/"].iter(f"{XHTML}link")
    }
    assert alternates["x-default"] == base + "en/billing/download-invoice/"
    assert set(alternates) == {"en", "nl", "sv", "x-default"}
    for url in [*urls, *alternates.values()]:
        assert local(public, url, base).is_file(), url


def test_the_agents_site_is_noindex_without_json_ld_or_alternates(sites):
    _, _, internal = sites
    page = read(internal, "en/agents/sop-refund/index.html")
    assert '<meta name="robots" content="noindex">' in page
    assert LD.findall(page) == [] and HREFLANG.findall(page) == []
    assert len(DESCRIPTION.findall(page)) == 1
    assert "xhtml:link" not in read(internal, "sitemap.xml")
    assert read(internal, "robots.txt") == "User-agent: *\nDisallow: /\n"  # no crawler at all


class Quiet(http.server.SimpleHTTPRequestHandler):
    """A static file server that logs nothing."""

    def log_message(self, format: str, *args: Any) -> None:
        pass


@contextlib.contextmanager
def serve(site: Path) -> Iterator[int]:
    """Serve `site` on a free port of 127.0.0.1 (another origin than the fixture's site_url)."""
    handler = functools.partial(Quiet, directory=str(site))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield server.server_address[1]
    finally:
        server.shutdown()
        server.server_close()


@pytest.mark.browser
def test_chromium_runs_no_json_ld_and_fetches_no_sitemap_below_an_alternate(sites):
    """JSON-LD is data under the page's CSP; Material leaves the hreflang links alone."""
    sync_api = need_chromium()
    _, public, _ = sites
    watch = (
        "window.__csp = []; document.addEventListener('securitypolicyviolation', "
        "e => window.__csp.push(e.violatedDirective + ' ' + e.blockedURI));"
    )
    with serve(public) as port, sync_api.sync_playwright() as p:
        browser = p.chromium.launch(
            executable_path=str(CHROMIUM), args=["--headless", "--no-sandbox", "--disable-gpu"]
        )
        page = browser.new_page()
        page.add_init_script(watch)
        console: list[str] = []
        requests: list[str] = []
        page.on("console", lambda m: console.append(f"{m.type}: {m.text}"))
        page.on("request", lambda r: requests.append(r.url))
        found = []
        for rel in ("en/billing/download-invoice/", "nl/billing/", ""):
            page.goto(f"http://127.0.0.1:{port}/{rel}")
            page.wait_for_load_state("networkidle")
            found += page.evaluate("window.__csp")
            assert page.locator('script[type="application/ld+json"]').count() == 1
        browser.close()
    assert found == []
    assert [m for m in console if "Content Security Policy" in m] == []
    sitemaps = {u for u in requests if u.endswith("sitemap.xml")}
    assert sitemaps <= {f"http://127.0.0.1:{port}/sitemap.xml"}  # Material's own, no others


# -- throwaway KBs ---------------------------------------------------------------------------------
NASTY = "Refunds </script><script>alert(1)</script> <!-- & --> done?"
FAQ_BODY = """\
Refunds reach your bank within days.

## How long does a refund take?

Three to five business days.

## Payment methods

Card and invoice.
"""


def test_a_title_with_a_closing_script_tag_stays_inside_its_json(make_kb):
    config = make_kb(
        {
            "en/billing/refunds.md": (
                {
                    "id": "refunds",
                    "title": NASTY,
                    "type": "faq",
                    "category": "billing",
                    "summary": "Money back </script> soon.",
                    "reviewed": dt.date(2025, 5, 6),
                },
                FAQ_BODY,
            ),
            "nl/billing/refunds.md": (
                {
                    "id": "refunds-nl",
                    "title": "Terugbetalingen",
                    "lang": "nl",
                    "translation_of": "refunds",
                    "category": "billing",
                },
                "Geld terug.\n",
            ),
        },
        kb_options={
            "languages": ["en", "nl"],
            "categories": ["billing"],
            "seo": {"faq_schema": True},
        },
        site_url="https://help.example/hc/",
    )
    site = build_site(Settings.load(config), full=True)
    page = read(site, "en/billing/refunds/index.html")
    assert "<script>alert" not in page
    assert len(LD.findall(page)) == 1
    found = nodes(page)
    article = next(n for n in found if n["@type"] == "Article")
    assert article["headline"] == NASTY and article["description"] == "Money back </script> soon."
    faq = next(n for n in found if n["@type"] == "FAQPage")
    questions = {q["name"]: q["acceptedAnswer"]["text"] for q in faq["mainEntity"]}
    assert questions == {
        NASTY: "Money back </script> soon.",
        "How long does a refund take?": "Three to five business days.",
    }
    assert dict(HREFLANG.findall(page)) == {
        "en": "https://help.example/hc/en/billing/refunds/",
        "nl": "https://help.example/hc/nl/billing/refunds/",
        "x-default": "https://help.example/hc/en/billing/refunds/",
    }
    assert CANONICAL.findall(page) == ["https://help.example/hc/en/billing/refunds/"]
    nl = read(site, "nl/billing/refunds/index.html")  # no summary: the start of its text
    assert DESCRIPTION.findall(nl) == ["Geld terug."]
    assert all(n["@type"] != "FAQPage" for n in nodes(nl))  # a solution, not a faq


def test_without_site_url_no_absolute_links_and_git_dates_in_the_sitemap(make_kb):
    config = make_kb(
        {
            "en/billing/refunds.md": {
                "id": "refunds",
                "title": "Refunds",
                "category": "billing",
                "type": "faq",
            },
            "en/billing/cards.md": {
                "id": "cards",
                "title": "Cards",
                "category": "billing",
                "reviewed": dt.date(2024, 2, 3),
            },
        },
        kb_options={"languages": ["en"], "categories": ["billing"]},
    )
    root = config.parent
    env = {
        **os.environ,
        "GIT_AUTHOR_NAME": "t",
        "GIT_AUTHOR_EMAIL": "t@example.com",
        "GIT_COMMITTER_NAME": "t",
        "GIT_COMMITTER_EMAIL": "t@example.com",
        "GIT_AUTHOR_DATE": "2021-03-04T12:00:00+00:00",
        "GIT_COMMITTER_DATE": "2021-03-04T12:00:00+00:00",
    }
    for args in (["init", "-q"], ["add", "articles"], ["commit", "-q", "-m", "articles"]):
        subprocess.run(["git", *args], cwd=root, env=env, check=True)
    site = build_site(Settings.load(config), full=True)
    page = read(site, "en/billing/refunds/index.html")
    assert CANONICAL.findall(page) == [] and HREFLANG.findall(page) == []
    assert [n["@type"] for n in nodes(page)] == ["Article"]  # no FAQPage: faq_schema is off
    assert "url" not in nodes(page)[0]
    assert "<url>" not in read(site, "sitemap.xml")  # as MkDocs: a sitemap needs absolute URLs
    assert read(site, "robots.txt") == "User-agent: *\nDisallow: /api/\nAllow: /\n"
    text = config.read_text(encoding="utf-8")
    config.write_text(f"site_url: https://help.example/\n{text}", encoding="utf-8")
    site = build_site(Settings.load(config), full=True)
    sitemap = ET.fromstring(read(site, "sitemap.xml"))
    assert read(site, "robots.txt").splitlines()[-1] == "Sitemap: https://help.example/sitemap.xml"
    dates = {
        u.findtext(f"{SITEMAP}loc"): u.findtext(f"{SITEMAP}lastmod")
        for u in sitemap.iter(f"{SITEMAP}url")
    }
    base = "https://help.example/"
    assert dates[base + "en/billing/refunds/"] == "2021-03-04"  # its last commit
    assert dates[base + "en/billing/cards/"] == "2024-02-03"  # its reviewed date
    assert dates[base + "en/billing/"] == "2024-02-03"  # the newest of the articles it lists


@pytest.mark.parametrize(
    "seo", [{"faq_schema": "yes"}, {"faq": True}, "on"], ids=["not-bool", "unknown", "not-map"]
)
def test_a_wrong_seo_setting_is_an_error(make_kb, seo):
    config = make_kb({"en/a.md": {"id": "a", "title": "A"}}, kb_options={"seo": seo})
    with pytest.raises(SettingsError, match=r"kb\.seo"):
        Settings.load(config)


def test_json_ld_text_cannot_end_its_script_and_descriptions_are_cut_at_a_word():
    text = json_ld({"t": "</script><!-- a & b -->"})
    assert "<" not in text and ">" not in text and "&" not in text
    assert json.loads(text) == {"t": "</script><!-- a & b -->"}
    cut = shorten("word " * 60)
    assert len(cut) <= 160 and cut.endswith("word…")
    assert shorten("  short\n text ") == "short text"
