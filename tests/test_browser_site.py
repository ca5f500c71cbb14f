"""What a customer sees, in Debian's Chromium: home, per-language search, articles, feedback, SOPs."""

from __future__ import annotations

import functools
import http.server
import json
import threading
from collections.abc import Iterator
from typing import Any

import pytest
from conftest import CHROMIUM, CHROMIUM_ARGS, need_chromium
from test_site_helpers import REPO, built_fixture

ARTIFACTS = REPO / "test-artifacts"
pytestmark = [pytest.mark.slow, pytest.mark.browser]

sync_api = need_chromium()


class _Quiet(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:
        pass


@pytest.fixture(scope="module")
def base_url() -> Iterator[str]:
    """Serve the folder holding site/ and site-internal/ over HTTP (Pagefind needs fetch)."""
    _, public, _ = built_fixture()
    handler = functools.partial(_Quiet, directory=str(public.parent))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    with sync_api.sync_playwright() as p:
        browser = p.chromium.launch(
            executable_path=str(CHROMIUM),
            args=CHROMIUM_ARGS,
        )
        yield browser
        browser.close()


@pytest.fixture
def page(browser: Any) -> Iterator[Any]:
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    yield page
    context.close()
    assert errors == []  # no JavaScript errors on any page


def shot(page: Any, name: str) -> None:
    """Save a full-page screenshot as a test artifact."""
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)


def search(page: Any, query: str) -> list[tuple[str, str]]:
    """Type a query into the page's first search box; return (title, href) of the results."""
    box = page.locator(".pagefind-ui__search-input").first
    box.fill(query)
    page.wait_for_selector(".pagefind-ui__result-link", timeout=10_000)
    page.wait_for_timeout(300)  # let the result list settle
    links = page.locator(".pagefind-ui__result-inner > .pagefind-ui__result-title a")
    return [
        (links.nth(i).inner_text(), links.nth(i).get_attribute("href"))
        for i in range(links.count())
    ]


def test_home_page_renders_its_categories(page, base_url):
    page.goto(f"{base_url}/site/")
    cards = page.locator(".kb-card")
    assert cards.count() == 2
    assert cards.nth(1).inner_text().splitlines()[0].strip() == "Billing"
    assert "2 articles" in cards.nth(1).inner_text()
    assert page.locator(".pagefind-ui__search-input").first.is_visible()
    assert page.locator(".kb-contact").is_visible()
    shot(page, "home")
    page.goto(f"{base_url}/site/nl/")
    assert page.locator("html").get_attribute("lang") == "nl"
    assert page.locator(".kb-hero h1").inner_text() == "Waarmee kunnen we je helpen?"


def test_dutch_search_finds_the_dutch_article_by_an_inflected_form(page, base_url):
    page.goto(f"{base_url}/site/nl/")
    results = search(page, "facturen")  # the article only says "factuur"
    assert [title for title, _ in results] == ["Een factuur downloaden"]
    assert all("/nl/" in href for _, href in results)
    shot(page, "search-nl")


def test_swedish_search_finds_the_swedish_article_by_an_inflected_form(page, base_url):
    page.goto(f"{base_url}/site/sv/")
    results = search(page, "fakturor")  # the article only says "faktura"
    assert [title for title, _ in results] == ["Ladda ner en faktura"]
    assert all("/sv/" in href for _, href in results)


def test_english_search_stays_in_english(page, base_url):
    page.goto(f"{base_url}/site/")
    results = search(page, "invoices")
    assert ("Download an invoice", "/site/en/billing/download-invoice/") in results
    assert all("/en/" in href for _, href in results)


def test_article_page_shows_reviewed_date_and_related_articles(page, base_url):
    page.goto(f"{base_url}/site/en/billing/download-invoice/")
    assert page.locator(".kb-reviewed dd").inner_text() == "14 September 2026"
    related = page.locator(".kb-related .kb-list__item > a")
    assert related.all_inner_texts() == ["Pay by card"]
    assert (
        page.locator(".kb-lang a[hreflang=nl]")
        .get_attribute("href")
        .endswith("/nl/billing/download-invoice/")
    )
    shot(page, "article")
    page.locator(".kb-lang a[hreflang=nl]").click()
    page.wait_for_load_state()
    assert page.locator("h1").first.inner_text() == "Een factuur downloaden"


def test_helpful_control_sends_its_request(page, base_url):
    sent: list[dict[str, Any]] = []

    def answer(route: Any) -> None:
        sent.append(json.loads(route.request.post_data))
        route.fulfill(status=204)

    page.route("**/api/feedback", answer)
    page.goto(f"{base_url}/site/en/billing/download-invoice/")
    page.locator(".kb-feedback__no").click()
    page.locator("input[name=reason][value=unclear]").check()
    page.locator(".kb-feedback textarea").fill("Which menu?")
    page.locator(".kb-feedback button[type=submit]").click()
    page.wait_for_function("document.querySelector('.kb-feedback__thanks').textContent.length > 0")
    assert page.locator(".kb-feedback__thanks").inner_text() == "Thank you for your feedback!"
    assert len(sent) == 1
    assert sent[0] | {"url": ""} == {
        "helpful": False,
        "reason": "unclear",
        "comment": "Which menu?",
        "article": "download-invoice",
        "lang": "en",
        "url": "",
    }
    assert sent[0]["url"] == "/site/en/billing/download-invoice/"


def test_helpful_control_degrades_when_the_endpoint_fails(page, base_url):
    page.route("**/api/feedback", lambda route: route.abort())
    page.goto(f"{base_url}/site/nl/billing/download-invoice/")
    page.locator(".kb-feedback__yes").click()
    page.wait_for_function(
        "document.querySelector('.kb-feedback__thanks').textContent.includes('niet')"
    )
    assert (
        "konden je feedback nu niet versturen" in page.locator(".kb-feedback__thanks").inner_text()
    )


def test_sop_page_renders_its_flowchart_offline_and_prints_cleanly(page, base_url):
    requested: list[str] = []
    page.on("request", lambda request: requested.append(request.url))
    page.goto(f"{base_url}/site-internal/en/agents/sop-refund/")
    page.wait_for_selector(".kb-sop-flowchart svg", timeout=15_000)
    assert "Request approval" in page.locator(".kb-sop-flowchart svg").text_content()
    assert page.locator(".kb-sop-flowchart svg").bounding_box()["height"] > 150
    assert all(url.startswith(base_url) for url in requested)  # no CDN
    assert page.locator(".kb-internal-banner").is_visible()
    assert page.locator(".kb-sop-procedure ol > li").count() == 3
    shot(page, "sop")
    page.emulate_media(media="print")
    assert not page.locator(".md-header").is_visible()
    assert not page.locator(".md-sidebar--primary").is_visible()
    assert page.locator(".kb-sop-procedure").is_visible()
