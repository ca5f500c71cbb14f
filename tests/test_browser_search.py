"""Browser search of the sample KB in Chromium: typo fixes, compounds, synonyms, keyboard, analytics."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from typing import Any

import pytest
from conftest import CHROMIUM, CHROMIUM_ARGS, need_chromium
from test_site_helpers import built_sample, serve_folder

pytestmark = [pytest.mark.slow, pytest.mark.browser]

sync_api = need_chromium()
RESULT_LINKS = ".pagefind-ui__result-inner > .pagefind-ui__result-title a"
MERMAID_SOURCE = re.compile(r"-->|flowchart|\b[A-Z]\[[^\]]*\]")


@pytest.fixture(scope="module")
def base_url() -> Iterator[str]:
    url, server = serve_folder(built_sample())
    yield url
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
    assert errors == []


def titles(page: Any) -> list[str]:
    """The titles of the result list once it has settled."""
    page.wait_for_selector(".pagefind-ui__result-link", timeout=10_000)
    page.wait_for_timeout(400)
    return page.locator(RESULT_LINKS).all_inner_texts()


def fix_line(page: Any) -> Any:
    return page.locator(".kb-search-fix").first


@pytest.mark.parametrize(
    ("path", "typed", "fixed", "title", "top", "shown", "original"),
    [
        ("", "pasword", "password", "Reset your password", 1, "Showing results for", "Search"),
        ("", "refnd", "refund", "When will I get my refund?", 4, "Showing results for", "Search"),
        ("", "invoce", "invoice", "Download an invoice", 4, "Showing results for", "Search"),
        (
            "nl/",
            "wachtwood",
            "wachtwoord",
            "Je wachtwoord herstellen",
            1,
            "Resultaten voor",
            "Zoek",
        ),
        ("sv/", "lösenrod", "lösenord", "Återställ ditt lösenord", 1, "Visar resultat för", "Sök"),
    ],
)
def test_a_typo_finds_the_article_and_the_original_can_be_searched(
    page, base_url, path, typed, fixed, title, top, shown, original
):
    page.goto(f"{base_url}/site/{path}")
    box = page.locator(".pagefind-ui__search-input").first
    box.fill(typed)
    page.wait_for_selector(".kb-search-fix:not([hidden])", timeout=10_000)
    assert title in titles(page)[:top]
    line = fix_line(page)
    assert line.locator("em").first.inner_text() == fixed
    assert line.inner_text().startswith(f"{shown} {fixed}")
    back = line.locator("button.kb-search-fix__original")
    assert back.inner_text().startswith(original) and typed in back.inner_text()
    back.click()
    page.wait_for_selector(".kb-search-fix", state="hidden", timeout=10_000)
    page.wait_for_timeout(600)
    assert box.input_value() == typed  # the box still holds what was typed
    message = page.locator(".pagefind-ui__message").first.inner_text()
    assert typed in message  # Pagefind's own line, about the original words now
    box.fill(typed + "x")  # a new query is corrected again
    page.wait_for_timeout(800)
    box.fill(typed)
    page.wait_for_selector(".kb-search-fix:not([hidden])", timeout=10_000)


def test_the_uncorrected_query_finds_nothing_useful(page, base_url):
    """What the issue reported: without the fix, Pagefind has no answer for these words."""
    page.goto(f"{base_url}/site/")
    page.locator(".pagefind-ui__search-input").first.fill("pasword")
    page.locator(".kb-search-fix__original").first.click(timeout=10_000)
    page.wait_for_selector(".pagefind-ui__message:has-text('No results for pasword')")
    assert page.locator(RESULT_LINKS).count() == 0


def test_known_words_and_inflections_are_not_corrected(page, base_url):
    page.goto(f"{base_url}/site/")
    box = page.locator(".pagefind-ui__search-input").first
    for query in ("refunded", "reset password", "where is my order"):
        box.fill(query)
        titles(page)
        assert not fix_line(page).is_visible(), query
    page.goto(f"{base_url}/site/nl/")
    page.locator(".pagefind-ui__search-input").first.fill("facturen")
    assert titles(page) == ["Een factuur downloaden"]
    assert not fix_line(page).is_visible()


def test_synonyms_and_compounds_are_applied(page, base_url):
    page.goto(f"{base_url}/site/")
    box = page.locator(".pagefind-ui__search-input").first
    box.fill("reimbursement")  # search/synonyms.yml: [refund, money back, reimbursement]
    page.wait_for_selector(".kb-search-fix:not([hidden])", timeout=10_000)
    assert fix_line(page).locator("em").first.inner_text() == "refund"
    assert "When will I get my refund?" in titles(page)
    page.goto(f"{base_url}/site/sv/")
    page.locator(".pagefind-ui__search-input").first.fill("lösen ord")  # joins into a known word
    page.wait_for_selector(".kb-search-fix:not([hidden])", timeout=10_000)
    assert fix_line(page).locator("em").first.inner_text() == "lösenord"
    assert titles(page)[0] == "Återställ ditt lösenord"


def test_pagefind_speaks_the_page_language(page, base_url):
    languages = (("", "account", "results for"), ("nl/", "account", "resultaten voor"))
    for path, query, words in (*languages, ("sv/", "konto", "träff")):
        page.goto(f"{base_url}/site/{path}")
        page.locator(".pagefind-ui__search-input").first.fill(query)
        titles(page)
        assert words in page.locator(".pagefind-ui__message").first.inner_text()


def test_no_excerpt_shows_mermaid_source(page, base_url):
    page.goto(f"{base_url}/site-internal/en/")
    box = page.locator(".pagefind-ui__search-input").first
    for query in ("approve refund", "escalate tier", "flowchart", "request approval"):
        box.fill(query)
        page.wait_for_timeout(1200)
        while page.locator(".pagefind-ui__button").count():  # every result, not the first five
            page.locator(".pagefind-ui__button").first.click()
            page.wait_for_timeout(300)
        excerpts = page.locator(".pagefind-ui__result-excerpt").all_inner_texts()
        if query != "flowchart":
            assert excerpts, query
        assert not [e for e in excerpts if MERMAID_SOURCE.search(e)], query
    fragments = built_sample() / "site-internal" / "pagefind" / "fragment"
    from test_site_helpers import file_text

    assert not [f for f in fragments.iterdir() if "-->" in file_text(f).replace("--&gt;", "-->")]


def test_search_works_with_the_keyboard_alone(page, base_url):
    page.goto(f"{base_url}/site/")
    for _ in range(40):
        page.keyboard.press("Tab")
        if page.evaluate("document.activeElement.matches('.pagefind-ui__search-input')"):
            break
    else:
        pytest.fail("Tab never reached the search box")
    page.keyboard.type("pasword")
    page.wait_for_selector(".kb-search-fix:not([hidden])", timeout=10_000)
    titles(page)
    page.keyboard.press("ArrowDown")
    assert page.evaluate("document.activeElement.textContent.trim()") == "Reset your password"
    page.keyboard.press("ArrowDown")
    page.keyboard.press("ArrowUp")
    page.keyboard.press("ArrowUp")
    assert page.evaluate("document.activeElement.matches('.pagefind-ui__search-input')")
    page.keyboard.press("Tab")  # the clear button, then "search instead", then the results
    for _ in range(4):
        if page.evaluate("document.activeElement.matches('.pagefind-ui__result-link')"):
            break
        page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.matches('.pagefind-ui__result-link')")
    with page.expect_navigation():
        page.keyboard.press("Enter")
    assert page.locator("h1").first.inner_text() == "Reset your password"


def test_searches_and_clicks_are_reported_when_kb_serve_answers(page, base_url):
    sent: list[dict[str, Any]] = []

    def event(route: Any) -> None:
        sent.append(json.loads(route.request.post_data))
        route.fulfill(status=204)

    page.route("**/api/health", lambda route: route.fulfill(json={"status": "ok"}))
    page.route("**/api/events", event)
    page.goto(f"{base_url}/site/nl/")
    box = page.locator(".pagefind-ui__search-input").first
    box.type("wacht", delay=30)
    box.type("wood", delay=30)
    titles(page)
    page.wait_for_timeout(2000)  # the idle time after which the final query is reported
    assert sent == [{"event": "search", "lang": "nl", "query": "wachtwood", "results": 2}]
    with page.expect_navigation():
        page.locator(RESULT_LINKS).first.click()
    page.wait_for_timeout(300)
    assert sent[1:] == [
        {
            "event": "click",
            "lang": "nl",
            "query": "wachtwood",
            "url": "/site/nl/account/reset-password/",
            "rank": 1,
        }
    ]


def test_nothing_is_reported_from_a_static_host(page, base_url):
    sent: list[str] = []
    page.route("**/api/events", lambda route: (sent.append("x"), route.fulfill(status=204)))
    page.goto(f"{base_url}/site/")
    page.locator(".pagefind-ui__search-input").first.fill("invoce")
    titles(page)
    page.wait_for_timeout(2000)
    page.locator(RESULT_LINKS).first.click()
    page.wait_for_timeout(500)
    assert sent == []  # api/health is a 404 here


def test_the_vocabulary_loads_only_on_the_first_search(page, base_url):
    requested: list[str] = []
    page.on("request", lambda request: requested.append(request.url))
    page.goto(f"{base_url}/site/")
    page.wait_for_timeout(500)
    assert not [u for u in requested if "kb-vocab" in u]
    page.locator(".pagefind-ui__search-input").first.fill("refnd")
    titles(page)
    assert [u for u in requested if "kb-vocab" in u] == [f"{base_url}/site/assets/kb-vocab-en.json"]
