"""axe-core in Chromium on every kind of page of the sample help centre, in each language."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from conftest import CHROMIUM, need_axe, need_chromium
from test_customer_site import ARGS, sample_site
from test_site_helpers import serve_folder

pytestmark = [pytest.mark.slow, pytest.mark.browser]
sync_api = need_chromium()
AXE = need_axe()
SERIOUS = ("serious", "critical")
LANGS = (("en", ""), ("nl", "nl/"), ("sv", "sv/"))


@pytest.fixture(scope="module")
def base_url() -> Iterator[str]:
    url, server = serve_folder(sample_site())
    yield url
    server.shutdown()
    server.server_close()


@pytest.fixture(scope="module")
def context() -> Iterator[Any]:
    with sync_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
        # axe is injected as a script of the test's own: the pages' CSP refuses inline scripts
        context = browser.new_context(viewport={"width": 1280, "height": 900}, bypass_csp=True)
        yield context
        browser.close()


def violations(page: Any) -> list[str]:
    """The serious and critical axe-core violations of the page as it is now, one line each."""
    page.add_script_tag(path=str(AXE))
    result = page.evaluate("async () => await axe.run(document, {resultTypes: ['violations']})")
    return [
        f"{v['id']} ({v['impact']}): {v['help']}: "
        + "; ".join(node["target"][0] for node in v["nodes"][:3])
        for v in result["violations"]
        if v["impact"] in SERIOUS
    ]


def pages_of(lang: str, prefix: str) -> list[str]:
    return [
        prefix,
        f"{lang}/account/",
        f"{lang}/account/reset-password/",
        f"{lang}/tags/",
        f"{prefix}404.html",
        f"{lang}/contact/",
    ]


@pytest.mark.parametrize(("lang", "prefix"), LANGS)
def test_no_serious_violations_on_any_kind_of_page(context, base_url, lang, prefix):
    page = context.new_page()
    found = {}
    for path in pages_of(lang, prefix):
        page.goto(f"{base_url}/{path}")
        page.wait_for_load_state("load")
        page.wait_for_timeout(150)
        if problems := violations(page):
            found[path] = problems
    assert found == {}
    page.close()


@pytest.mark.parametrize(
    ("lang", "query"), [("en", "password"), ("nl", "factuur"), ("sv", "faktura")]
)
def test_no_serious_violations_with_search_results_open(context, base_url, lang, query):
    page = context.new_page()
    page.goto(f"{base_url}/{lang}/account/")
    page.locator(".kb-header__search input").fill(query)
    page.wait_for_selector(".pagefind-ui__result", timeout=10_000)
    page.wait_for_timeout(300)
    assert violations(page) == []
    page.close()


@pytest.mark.parametrize("width", [390])
def test_no_serious_violations_on_a_phone_with_menus_open(context, base_url, width):
    page = context.new_page()
    page.set_viewport_size({"width": width, "height": 800})
    page.goto(f"{base_url}/nl/account/reset-password/")
    page.locator(".kb-lang-menu summary").click()
    assert violations(page) == []
    page.locator(".kb-lang-menu summary").click()
    page.locator(".md-header label[for=__drawer]").click()
    page.wait_for_timeout(300)
    assert violations(page) == []
    page.close()


def test_no_serious_violations_on_an_sop(context):
    from test_site_helpers import built_fixture

    _, _, internal = built_fixture()
    url, server = serve_folder(internal)
    try:
        page = context.new_page()
        page.goto(f"{url}/en/agents/sop-refund/")
        page.wait_for_selector(".kb-sop-flowchart svg", timeout=15_000)
        assert violations(page) == []
        page.close()
    finally:
        server.shutdown()
        server.server_close()
