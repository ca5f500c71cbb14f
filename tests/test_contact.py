"""The contact page: its setting, the built page per language, and in Chromium on kb serve and static."""

from __future__ import annotations

import functools
import http.server
import sqlite3
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from conftest import CHROMIUM, CHROMIUM_ARGS, need_chromium
from test_server_helpers import free_port, start_serve
from test_site_helpers import built_fixture, copy_fixture

from kb.core.errors import SettingsError
from kb.core.settings import Settings
from kb.server.events import EventStore

ARGS = CHROMIUM_ARGS


def kb_with_contact(root: Path, contact: str = "{to: server}") -> Path:
    """The site fixture with `contact:` set, built by `kb build` (site and search index)."""
    config = copy_fixture(root)
    text = config.read_text(encoding="utf-8")
    config.write_text(text + f"      contact: {contact}\n", encoding="utf-8")
    out = subprocess.run(
        [sys.executable, "-m", "kb", "build"], cwd=root, capture_output=True, text=True, timeout=300
    )
    assert out.returncode == 0, out.stderr
    return config


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return kb_with_contact(tmp_path_factory.mktemp("contact") / "kb")


# -- the setting -------------------------------------------------------------------------------
def settings_with(make_kb: Any, contact: Any, **support: str) -> Settings:
    options: dict[str, Any] = {"contact": contact}
    if support:
        options["support"] = support
    return Settings.load(make_kb({"en/a.md": "---\nid: a\ntitle: A\n---\nText.\n"}, options))


def test_the_setting_says_where_a_request_goes(make_kb: Any) -> None:
    got = settings_with(make_kb, True, url="https://desk.example/new").contact
    assert (got["to"], got["url"], got["method"]) == ("helpdesk", "https://desk.example/new", "get")
    assert settings_with(make_kb, True, email="help@example.com").contact["to"] == "email"
    assert settings_with(make_kb, True).contact["to"] == "server"
    hook = {"webhook": "https://hooks.example/kb"}
    assert settings_with(make_kb, hook, url="https://desk.example/").contact["to"] == "server"
    assert settings_with(make_kb, {"to": "helpdesk", "url": "https://x.example", "method": "link"})
    assert not settings_with(make_kb, False).contact
    for bad in (
        {"to": "fax"},
        {"to": "email"},  # no address anywhere
        {"to": "helpdesk", "url": "ftp://x"},
        {"method": "post"},  # the site's CSP allows forms to its own origin only
        {"webhook": "file:///etc/passwd"},
        {"colour": "red"},
        "yes",
    ):
        with pytest.raises(SettingsError, match=r"kb\.contact"):
            settings_with(make_kb, bad)


# -- the built page ----------------------------------------------------------------------------
def test_each_language_has_a_contact_page_with_labelled_fields(site: Path) -> None:
    out = site.parent / "site"
    for rel, lang, label in (
        ("en/contact/index.html", "en", "Subject"),
        ("nl/contact/index.html", "nl", "Onderwerp"),
        ("sv/contact/index.html", "sv", "Ämne"),
    ):
        page = (out / rel).read_text(encoding="utf-8")
        assert f'<html lang="{lang}"' in page
        assert f'<label for="kb-contact-subject">{label}</label>' in page
        assert '<label for="kb-contact-description">' in page
        assert 'data-to="server"' in page and "assets/kb-contact.js" in page
        assert "assets/kb-contact.css" in page
        body = page.split("kb-contact-page", 1)[1].split("</article>", 1)[0]
        assert "<script" not in body  # the CSP forbids inline scripts: data- attributes only
        assert "data-pagefind-body" not in page  # not a search result itself
    home = (out / "index.html").read_text(encoding="utf-8")
    assert 'href="en/contact/"' in home  # the contact block links to the page
    assert "kb-contact.js" not in home  # loaded only on the contact page
    assert (out / "assets/kb-contact.js").is_file() and (out / "assets/kb-contact.css").is_file()


def test_without_the_setting_there_is_no_contact_page() -> None:
    _, public, _ = built_fixture()
    assert not (public / "en" / "contact").exists()
    assert 'href="en/contact/"' not in (public / "index.html").read_text(encoding="utf-8")


def test_the_webhook_never_reaches_the_page(tmp_path: Path) -> None:
    config = kb_with_contact(
        tmp_path / "kb", "{to: server, webhook: 'https://hooks.example/s3cr3t'}"
    )
    for page in (config.parent / "site").rglob("*.html"):
        assert "s3cr3t" not in page.read_text(encoding="utf-8")


# -- in Chromium -------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    sync_api = need_chromium()
    with sync_api.sync_playwright() as p:
        b = p.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
        yield b
        b.close()


@pytest.fixture(scope="module")
def served(site: Path) -> Iterator[str]:
    port = free_port()
    proc = start_serve(site, port, "--no-model")
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        proc.terminate()
        proc.wait(20)


@pytest.fixture(scope="module")
def static(site: Path) -> Iterator[str]:
    class Quiet(http.server.SimpleHTTPRequestHandler):
        def log_message(self, format: str, *args: Any) -> None:
            pass

    handler = functools.partial(Quiet, directory=str(site.parent / "site"))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


def open_page(browser: Any, url: str, width: int = 1280) -> tuple[Any, list[str], list[Any]]:
    context = browser.new_context(viewport={"width": width, "height": 800})
    page = context.new_page()
    errors: list[str] = []
    sent: list[Any] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.on("request", lambda r: sent.append(r) if "/api/" in r.url else None)
    page.goto(url)
    return page, errors, sent


def events(site: Path, kind: str) -> int:
    with EventStore(Settings.load(site).layout.events) as store:
        return store.count(kind)


def suggested(page: Any) -> list[str]:
    page.wait_for_selector(".kb-contact-suggestion a", timeout=15_000)
    links = page.locator(".kb-contact-suggestion a")
    return [links.nth(i).inner_text() for i in range(links.count())]


def test_typing_suggests_and_a_deflection_is_recorded(browser, served, site) -> None:
    before = events(site, "deflection")
    page, errors, _ = open_page(browser, f"{served}/en/contact/", width=360)
    page.get_by_role("textbox", name="Subject").fill("I forgot my password")
    assert suggested(page)[0] == "Reset your password"
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    page.get_by_role("button", name="This answered my question").first.click()
    thanks = page.locator(".kb-contact-thanks")
    thanks.wait_for(state="visible")
    assert "Glad we could help" in thanks.inner_text()
    assert page.locator(".kb-contact-form").is_hidden()
    page.wait_for_timeout(300)
    assert events(site, "deflection") == before + 1
    assert events(site, "suggestions") >= 1
    assert errors == []
    page.context.close()


def test_the_form_works_from_the_keyboard_and_sends_a_request(browser, served, site) -> None:
    page, errors, _ = open_page(browser, f"{served}/nl/contact/", width=414)
    page.get_by_role("textbox", name="Onderwerp").focus()
    page.keyboard.type("Wachtwoord vergeten")
    page.keyboard.press("Tab")
    page.keyboard.type("Ik kan niet meer inloggen.")
    assert suggested(page)[0] == "Je wachtwoord herstellen"
    page.keyboard.press("Tab")  # the suggested article
    page.keyboard.press("Tab")  # its "This answered my question"
    focused = page.evaluate("document.activeElement.textContent")
    assert focused == "Dit beantwoordt mijn vraag"
    page.keyboard.press("Tab")  # the e-mail field: kb serve answers this one
    page.keyboard.type("ann@example.com")
    page.keyboard.press("Enter")  # submits
    page.locator(".kb-contact-thanks").wait_for(state="visible")
    assert "Bedankt" in page.locator(".kb-contact-thanks").inner_text()
    page.wait_for_timeout(300)
    with sqlite3.connect(Settings.load(site).layout.requests) as db:
        rows = db.execute("SELECT subject, email, lang, suggested FROM requests").fetchall()
    assert ("Wachtwoord vergeten", "ann@example.com", "nl", '["reset-password-nl"]') in rows
    assert events(site, "submission") >= 1
    assert errors == []
    page.context.close()


def test_a_helpdesk_url_gets_the_fields(browser, served) -> None:
    page, errors, _ = open_page(browser, f"{served}/en/contact/")
    opened: list[str] = []

    def desk(route: Any) -> None:
        opened.append(route.request.url)
        route.fulfill(status=200, content_type="text/html", body="<title>desk</title>")

    page.route("https://desk.example/**", desk)
    page.evaluate(
        "(() => { const d = document.querySelector('[data-kb-contact]').dataset;"
        " d.to = 'helpdesk'; d.url = 'https://desk.example/new'; })()"
    )
    page.get_by_role("textbox", name="Subject").fill("Invoice missing")
    page.get_by_role("textbox", name="Your question").fill("Where is my invoice?")
    page.get_by_role("button", name="Send").click()
    page.wait_for_url("https://desk.example/**")
    assert opened and "subject=Invoice+missing" in opened[0]
    assert "description=Where+is+my+invoice%3F" in opened[0]
    assert errors == []
    page.context.close()


def test_on_a_static_host_pagefind_suggests_and_nothing_is_sent(browser, static) -> None:
    page, errors, sent = open_page(browser, f"{static}/en/contact/")
    page.get_by_role("textbox", name="Subject").fill("I forgot my password")
    assert "Reset your password" in suggested(page)
    page.get_by_role("button", name="This answered my question").first.click()
    page.locator(".kb-contact-thanks").wait_for(state="visible")
    page.wait_for_timeout(500)
    assert [(r.method, r.url.rsplit("/", 2)[-2:]) for r in sent] == [("GET", ["api", "health"])]
    assert httpx.get(f"{static}/api/health").status_code == 404
    assert errors == []
    page.context.close()


def test_the_public_suggestions_never_name_internal_articles(served) -> None:
    text = "manual refund override for a customer, internal refund notes"
    r = httpx.post(f"{served}/api/suggest", json={"text": text, "limit": 20})
    assert r.status_code == 200
    ids = {s["id"] for s in r.json()["suggestions"]}
    assert not ids & {"internal-refund-notes", "sop-refund", "interne-factuurcorrectie"}
