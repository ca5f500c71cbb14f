"""The sample help centre as a customer meets it in Chromium: phones, languages, feedback, 404, print."""

from __future__ import annotations

import functools
import json
import re
import subprocess
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from bs4 import BeautifulSoup
from conftest import CHROMIUM, CHROMIUM_ARGS, need_chromium
from test_site_helpers import REPO, built_sample, serve_folder

from kb.core.settings import Settings
from kb.site.i18n import STRINGS, material_dir

pytestmark = [pytest.mark.slow, pytest.mark.browser]
sync_api = need_chromium()
ARGS = CHROMIUM_ARGS
PHONES = (360, 390, 414)


def sample_site() -> Path:
    """The repository's sample help centre (en, nl, sv), built once: its public site."""
    return built_sample() / "site"


@functools.cache
def many_languages_site() -> Path:
    """A new KB in seven languages (kb init), built: the switcher must become a menu."""
    from kb.site.build import build_site

    root = Path(tempfile.mkdtemp(prefix="kb-many-")) / "kb"
    langs = ["en", "nl", "sv", "de", "fr", "es", "it"]
    subprocess.run(
        ["kb", "init", str(root), *(f"--lang={lang}" for lang in langs)],
        check=True,
        capture_output=True,
    )
    return build_site(Settings.load(root / "mkdocs.yml"), full=True)


@pytest.fixture(scope="module")
def base_url() -> Iterator[str]:
    url, server = serve_folder(sample_site())
    yield url
    server.shutdown()
    server.server_close()


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    with sync_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
        yield browser
        browser.close()


def new_page(browser: Any, width: int = 1280) -> Any:
    """A page in a fresh context `width` pixels wide that records JavaScript errors."""
    page = browser.new_context(viewport={"width": width, "height": 800}).new_page()
    page.errors = []
    page.on("pageerror", lambda exc: page.errors.append(str(exc)))
    return page


def sample_pages() -> list[str]:
    """One page of each kind per language: home, category, article, tags, 404."""
    out = []
    for lang, prefix in (("en", ""), ("nl", "nl/"), ("sv", "sv/")):
        out += [prefix, f"{lang}/account/", f"{lang}/account/reset-password/", f"{lang}/tags/"]
        out += [f"{prefix}404.html", f"{lang}/contact/"]
    return out


@pytest.mark.parametrize("width", PHONES)
def test_no_page_is_wider_than_a_phone(browser, base_url, width):
    page = new_page(browser, width)
    wide = {}
    for path in [*sample_pages(), "en/orders/track-order/", "en/billing/vat-on-invoices/"]:
        page.goto(f"{base_url}/{path}")
        page.wait_for_load_state("load")
        scroll = page.evaluate("document.documentElement.scrollWidth")
        if scroll > width:
            wide[path] = scroll
    assert wide == {}
    assert page.errors == []
    page.context.close()


def test_tables_scroll_inside_their_own_box_on_a_phone(browser, base_url):
    page = new_page(browser, 360)
    page.goto(f"{base_url}/en/billing/vat-on-invoices/")
    table = page.locator(".md-typeset table").first
    box = page.evaluate(
        "el => { const w = el.closest('.md-typeset__scrollwrap') || el.parentElement;"
        " return getComputedStyle(w).overflowX; }",
        table.element_handle(),
    )
    assert box == "auto"
    page.context.close()


def test_language_and_search_are_reachable_on_a_phone(browser, base_url):
    page = new_page(browser, 390)
    page.goto(f"{base_url}/en/account/reset-password/")
    assert not page.locator(".kb-lang").is_visible()  # the buttons give way to a menu
    menu = page.locator(".kb-lang-menu summary")
    assert menu.is_visible() and menu.inner_text().strip() == "EN"
    menu.click()
    dutch = page.locator(".kb-lang-menu__list a[hreflang=nl]")
    assert dutch.is_visible()
    box = dutch.bounding_box()
    assert box["x"] >= 0 and box["x"] + box["width"] <= 390
    page.keyboard.press("Escape")
    assert not dutch.is_visible()
    # search: a button in the header opens a full-width box, focused
    assert not page.locator(".kb-header__search").is_visible()
    page.locator(".kb-search-toggle").click()
    box = page.locator(".kb-header__search input").bounding_box()
    assert box["width"] > 300
    assert page.evaluate("document.activeElement.classList.contains('pagefind-ui__search-input')")
    # the drawer lists the languages too
    page.locator(".md-header label[for=__drawer]").click()
    drawer = page.locator(".kb-nav--languages a[hreflang=sv]")
    drawer.wait_for(state="visible")
    drawer.click()
    page.wait_for_url("**/sv/account/reset-password/")
    assert page.locator("h1").first.inner_text() == "Återställ ditt lösenord"
    assert page.errors == []
    page.context.close()


def test_a_few_languages_are_buttons_on_a_desktop(browser, base_url):
    page = new_page(browser, 1280)
    page.goto(f"{base_url}/en/account/reset-password/")
    assert page.locator(".kb-lang a").all_inner_texts() == ["NL", "SV"]
    assert not page.locator(".kb-lang-menu").is_visible()
    assert not page.locator(".kb-search-toggle").is_visible()
    assert page.locator(".kb-header__search input").bounding_box()["width"] > 300
    page.context.close()


@pytest.mark.parametrize("width", [1280, 1024, 390])
def test_many_languages_are_a_menu_that_leaves_the_search_its_room(browser, width):
    url, server = serve_folder(many_languages_site())
    try:
        page = new_page(browser, width)
        page.goto(f"{url}/fr/")
        assert page.locator(".kb-lang").count() == 0
        menu = page.locator(".kb-lang-menu summary")
        assert menu.is_visible() and menu.inner_text().strip() == "FR"
        menu.click()
        links = page.locator(".kb-lang-menu__list a")
        assert links.count() == 7
        assert all(links.nth(i).is_visible() for i in range(7))
        page.goto(f"{url}/de/")
        page.locator(".kb-card").first.click()  # a category page has the header search
        page.wait_for_load_state("load")
        if width > 800:
            assert page.locator(".kb-header__search input").bounding_box()["width"] >= 230
        assert page.evaluate("document.documentElement.scrollWidth") <= width
        page.context.close()
    finally:
        server.shutdown()
        server.server_close()


def test_a_vote_replaces_the_buttons_and_is_sent_once(browser, base_url):
    page = new_page(browser, 390)
    sent: list[dict[str, Any]] = []

    def answer(route: Any) -> None:
        sent.append(json.loads(route.request.post_data))
        route.fulfill(status=204)

    page.route("**/api/feedback", answer)
    page.goto(f"{base_url}/nl/account/reset-password/")
    yes = page.locator(".kb-feedback__yes")
    yes.click()
    thanks = page.locator(".kb-feedback__thanks")
    thanks.wait_for(state="visible")
    assert thanks.inner_text() == "Bedankt voor je feedback!"
    assert not yes.is_visible() and not page.locator(".kb-feedback__no").is_visible()
    assert not page.locator(".kb-feedback__question").is_visible()
    page.wait_for_timeout(200)
    assert len(sent) == 1 and sent[0]["helpful"] is True
    page.reload()  # the same reader later: thanked, not asked again
    thanks.wait_for(state="visible")
    assert not page.locator(".kb-feedback__yes").is_visible()
    assert len(sent) == 1
    page.context.close()


def test_the_reason_form_works_with_the_keyboard_alone(browser, base_url):
    page = new_page(browser, 1280)
    sent: list[dict[str, Any]] = []
    page.route(
        "**/api/feedback",
        lambda route: (sent.append(json.loads(route.request.post_data)), route.fulfill(status=204)),
    )
    page.goto(f"{base_url}/sv/account/reset-password/")
    page.locator(".kb-feedback__no").focus()
    page.keyboard.press("Enter")
    assert page.evaluate("document.activeElement.name") == "reason"  # the first reason
    page.keyboard.press("ArrowDown")  # the second reason, checked
    page.keyboard.press("Tab")
    page.keyboard.type("Oklart")
    page.keyboard.press("Tab")
    page.keyboard.press("Enter")
    page.locator(".kb-feedback__thanks").wait_for(state="visible")
    page.wait_for_timeout(200)
    assert [(s["helpful"], s["reason"], s["comment"]) for s in sent] == [
        (False, "unclear", "Oklart")
    ]
    assert page.evaluate("document.activeElement.classList.contains('kb-feedback__thanks')")
    page.context.close()


@pytest.mark.parametrize(
    ("path", "lang", "title"),
    [
        ("404.html", "en", STRINGS["en"]["not_found_title"]),
        ("nl/404.html", "nl", STRINGS["nl"]["not_found_title"]),
        ("sv/404.html", "sv", STRINGS["sv"]["not_found_title"]),
    ],
)
def test_each_language_has_a_useful_404_page(browser, base_url, path, lang, title):
    page = new_page(browser, 390)
    page.goto(f"{base_url}/{path}")
    assert page.locator("html").get_attribute("lang") == lang
    assert page.locator("h1").first.inner_text() == title
    assert page.locator(".kb-hero .pagefind-ui__search-input").is_visible()
    topics = page.locator(".kb-categories a")
    assert topics.count() >= 4
    assert all(f"/{lang}/" in (topics.nth(i).get_attribute("href") or "") for i in range(4))
    assert page.locator(".kb-contact").is_visible()
    # the side menu is this language's categories once, not every language's under the site name
    nav = page.locator(".kb-nav .md-nav__link").all_inner_texts()
    assert len(nav) == len(set(nav))
    assert page.errors == []
    page.context.close()


def test_kb_serve_sends_the_404_page_of_the_urls_language(tmp_path):
    from starlette.applications import Starlette
    from starlette.routing import Mount
    from starlette.testclient import TestClient

    from kb.server.app import SiteFiles

    (tmp_path / "nl").mkdir()
    (tmp_path / "404.html").write_text("root", encoding="utf-8")
    (tmp_path / "nl" / "404.html").write_text("dutch", encoding="utf-8")
    (tmp_path / "nl" / "index.html").write_text("home", encoding="utf-8")
    app = Starlette(routes=[Mount("/", app=SiteFiles(directory=tmp_path, html=True))])
    client = TestClient(app)
    assert client.get("/nl/").text == "home"
    for path, body in [("/nl/gone/", "dutch"), ("/sv/gone/", "root"), ("/gone", "root")]:
        response = client.get(path)
        assert (response.status_code, response.text) == (404, body), path


def _english_strings() -> set[str]:
    """Interface texts in English whose Dutch and Swedish differ: kb's, Material's, mkdocs.yml's."""
    material = {}
    for lang in ("en", "nl", "sv"):
        text = (Path(material_dir()) / "partials" / "languages" / f"{lang}.html").read_text()
        material[lang] = dict(re.findall(r'^\s*"([\w.]+)": "([^"]*)"', text, re.M))
    pairs = [
        (k, STRINGS["en"][k], STRINGS["nl"].get(k), STRINGS["sv"].get(k)) for k in STRINGS["en"]
    ]
    pairs += [
        (k, v, material["nl"].get(k), material["sv"].get(k)) for k, v in material["en"].items()
    ]
    settings = Settings.load(REPO / "mkdocs.yml")
    shown = {lang: settings.appearance.support_in(lang, "en") for lang in ("en", "nl", "sv")}
    pairs += [(k, v, shown["nl"].get(k), shown["sv"].get(k)) for k, v in shown["en"].items()]
    footer = {lang: settings.appearance.footer_in(lang, "en") for lang in ("en", "nl", "sv")}
    for n, link in enumerate(footer["en"]["links"]):
        nl, sv = footer["nl"]["links"][n]["title"], footer["sv"]["links"][n]["title"]
        pairs.append(("link", link["title"], nl, sv))
    pairs.append(("legal", footer["en"]["legal"], footer["nl"]["legal"], footer["sv"]["legal"]))
    names = {lang: settings.appearance.strings.get(lang, {}) for lang in ("nl", "sv")}
    pairs.append(
        ("site", settings.site_name, names["nl"].get("site_name"), names["sv"].get("site_name"))
    )
    return {
        en
        for _, en, nl, sv in pairs
        if len(en) > 3 and "#" not in en and en != nl and en != sv and not en.startswith("http")
    }


def interface_text(html: str) -> str:
    """What a page says besides its article: visible text and labels, the article body left out."""
    soup = BeautifulSoup(html, "html.parser")
    for node in soup.select("[data-pagefind-body], script, style, code, pre, svg"):
        node.decompose()
    parts = [soup.get_text(" ")]
    for tag in soup.find_all(True):
        for attr in ("aria-label", "title", "placeholder", "alt", "data-placeholder"):
            if tag.get(attr):
                parts.append(str(tag[attr]))
        parts += [str(v) for k, v in tag.attrs.items() if k.startswith("data-thanks")]
    return " ".join(" ".join(parts).split())


def test_no_english_interface_string_on_a_dutch_or_swedish_page():
    site = sample_site()
    english = _english_strings()
    assert "Was this article helpful?" in english and "Mon–Fri 08:00–18:00 CET" in english
    found = {}
    pages = sorted((site / "nl").rglob("*.html")) + sorted((site / "sv").rglob("*.html"))
    assert len(pages) > 20
    for path in pages:
        text = interface_text(path.read_text(encoding="utf-8"))
        if "http-equiv" in text or 'http-equiv="refresh"' in path.read_text(encoding="utf-8"):
            continue  # a redirect page
        hits = [e for e in english if re.search(rf"(?<!\w){re.escape(e)}(?!\w)", text)]
        if hits:
            found[str(path.relative_to(site))] = hits
    assert found == {}


def test_no_english_in_what_scripts_show_on_a_dutch_page(browser, base_url):
    english = _english_strings()
    page = new_page(browser, 1280)
    page.goto(f"{base_url}/nl/account/reset-password/")
    page.locator(".kb-header__search input").fill("wachtwoord")
    page.wait_for_selector(".pagefind-ui__result", timeout=10_000)
    page.wait_for_timeout(300)
    text = interface_text(page.content())
    assert [e for e in english if re.search(rf"(?<!\w){re.escape(e)}(?!\w)", text)] == []
    page.context.close()


def test_the_footer_carries_the_teams_links_and_legal_notice_per_language():
    site = sample_site()
    for lang, rel, privacy in [
        ("en", "index.html", "Privacy policy"),
        ("sv", "sv/index.html", "Integritetspolicy"),
    ]:
        soup = BeautifulSoup((site / rel).read_text(encoding="utf-8"), "html.parser")
        footer = soup.select_one(".kb-footer")
        assert footer is not None, lang
        assert footer.select(".kb-footer__links a")[0].get_text() == privacy
        assert "Brightcart B.V." in footer.select_one(".kb-footer__legal").get_text()
    sv = (site / "sv/index.html").read_text(encoding="utf-8")
    assert "Skapad med" in sv and "Made with" not in sv


def test_a_flowchart_takes_the_sites_palette_and_an_sop_prints_on_a4(browser):
    from test_site_helpers import built_fixture

    _, _, internal = built_fixture()
    url, server = serve_folder(internal)
    try:
        page = new_page(browser, 1280)
        page.goto(f"{url}/en/agents/sop-refund/")
        page.wait_for_selector(".kb-sop-flowchart svg", timeout=15_000)
        stroke = page.evaluate(
            "getComputedStyle(document.querySelector('.kb-mermaid .node rect, .kb-mermaid .node polygon')).stroke"
        )
        primary = page.evaluate(
            "(() => { const d = document.createElement('div');"
            " d.style.color = getComputedStyle(document.body).getPropertyValue('--md-primary-fg-color');"
            " document.body.append(d); return getComputedStyle(d).color; })()"
        )
        assert stroke == primary  # not Mermaid's lavender
        assert page.locator(".kb-sop-flowchart svg").bounding_box()["height"] <= 640
        page.emulate_media(media="print")
        assert (
            page.evaluate(
                "getComputedStyle(document.querySelector('.kb-sop-flowchart')).breakBefore"
            )
            == "page"
        )
        pdf = page.pdf(prefer_css_page_size=True)
        boxes = set(re.findall(rb"/MediaBox\s*\[([^\]]*)\]", pdf))
        assert len(boxes) == 1
        width, height = (float(v) for v in boxes.pop().split()[2:])
        assert (round(width), round(height)) == (595, 842)  # A4 in points
        assert len(re.findall(rb"/Type\s*/Page[^s]", pdf)) >= 2  # the flowchart on its own page
        page.context.close()
    finally:
        server.shutdown()
        server.server_close()
