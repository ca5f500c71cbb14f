"""The ticket assistant on `kb serve --internal`: suggestions, links, flags and drafts, end to end.

A real server on the sample KB (built with --internal), the agent signed in by the sign-in form;
then the same in Chromium. The links and flags survive a restart and reach `kb stale --format json`.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import jsonschema
import pytest
from conftest import CHROMIUM, CHROMIUM_ARGS, need_chromium
from test_internal_site import PASSWORD, USER, Served, kb, origin, serve_sample, sign_in

from kb.server.auth import COOKIE

pytestmark = [pytest.mark.slow]
TICKET_TEXT = "I forgot my password and the reset e-mail never arrives. How do I log in?"


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory, sample_cache: Path) -> Iterator[Served]:
    yield from serve_sample(tmp_path_factory.mktemp("assist") / "kb", sample_cache)


def api(served: Served, cookie: str) -> httpx.Client:
    """An HTTP client of the signed-in agent, posting from the server's own pages."""
    return httpx.Client(
        base_url=served.base, cookies={COOKIE: cookie}, headers=origin(served.base), timeout=30
    )


def test_the_assistant_page_is_on_the_agents_site_only(served: Served) -> None:
    page = served.root / "site-internal/en/assist/index.html"
    assert "data-kb-assist" in page.read_text(encoding="utf-8")
    assert (served.root / "site-internal/nl/assist/index.html").is_file()
    assert not (served.root / "site").exists() or not (served.root / "site/en/assist").exists()
    r = httpx.get(served.base + "/en/assist/", headers={"Accept": "text/html"})
    assert r.status_code == 401 and "data-kb-assist" not in r.text  # the sign-in page


def conforms(spec: dict[str, Any], response: httpx.Response, schema: str) -> None:
    """The answer is what the server's OpenAPI description says."""
    root = {"$ref": f"#/components/schemas/{schema}", "components": spec["components"]}
    jsonschema.validate(response.json(), root)


def test_an_agent_links_flags_and_drafts_and_kb_stale_counts_them(served: Served) -> None:
    cookie = sign_in(served.base)
    with api(served, cookie) as c:
        spec = c.get("/api/openapi.json").json()
        assert {"/api/links", "/api/flags", "/api/drafts"} <= set(spec["paths"])
        assert set(spec["paths"]["/api/flags"]) == {"get", "post"}
        r = c.post("/api/suggest", json={"text": TICKET_TEXT, "lang": "en"})
        assert r.status_code == 200, r.text
        first = r.json()["suggestions"][0]
        assert first["id"] == "reset-password"
        linked = {"ticket": "T-4242", "article": first["id"], "lang": "en"}
        new = c.post("/api/links", json=linked)
        assert new.status_code == 201
        conforms(spec, new, "Linked")
        assert c.post("/api/links", json=linked).status_code == 200  # once per ticket and article
        flag = {
            "article": "sop-approve-refund",
            "reason": "outdated",
            "comment": "limit is 100 EUR",
        }
        flagged = c.post("/api/flags", json=flag)
        assert flagged.status_code == 201
        conforms(spec, flagged, "Flagged")
        conforms(spec, c.get("/api/flags"), "Flags")
        assert c.post("/api/flags", json={**flag, "reason": "bad"}).status_code == 400
        assert c.post("/api/flags", json={**flag, "article": "nope"}).status_code == 404
        draft = c.post(
            "/api/drafts",
            json={
                "ticket": "T-4243",
                "subject": "Gift wrap?",
                "text": "Can you gift wrap my order? Mail me at ana@example.com",
            },
        )
        assert draft.status_code == 201, draft.text
        conforms(spec, draft, "Draft")
        body = draft.json()
        assert body["path"] is None and body["filename"].endswith(".md")
        assert (
            "T-4243" in body["markdown"] and "ana@example.com" not in body["markdown"]
        )  # redacted
    # a helpdesk webhook (API token) gets the assistant page for its ticket
    hook = httpx.post(
        served.base + "/api/webhooks/zendesk",
        json={"ticket": {"id": "Z/9 1", "subject": "refund please", "description": "where is it"}},
        headers={"Authorization": "Bearer internal-test-token"},
    )
    assert hook.status_code == 200, hook.text
    assert hook.json()["assist_url"] == served.base + "/en/assist/?ticket=Z%2F9%201"
    # without sign-in: none of it
    for path, payload in (
        ("/api/links", linked),
        ("/api/flags", flag),
        ("/api/drafts", {"text": "x"}),
    ):
        assert httpx.post(served.base + path, json=payload).status_code == 401
    assert httpx.get(served.base + "/api/flags").status_code == 401
    # a cross-site page cannot use the agent's session
    evil = httpx.post(
        served.base + "/api/links",
        json=linked,
        cookies={COOKIE: cookie},
        headers={"Origin": "https://evil.example"},
    )
    assert evil.status_code == 403
    # a restart keeps them, and kb stale reads them
    served.restart()
    with api(served, sign_in(served.base)) as c:
        mine = c.get("/api/flags", params={"mine": "1"}).json()["flags"]
        assert [(f["article"], f["agent"]) for f in mine] == [("sop-approve-refund", USER)]
    out = kb("stale", "--format", "json", root=served.root)
    assert out.returncode in (0, 1), out.stderr
    recorded = json.loads(out.stdout)["kcs_recorded"]
    assert recorded["links"] == 1 and recorded["flags"] == 1 and recorded["open_flags"] == 1
    assert recorded["reuse"] == [{"article": "reset-password", "tickets": 1}]
    text = kb("stale", root=served.root).stdout
    assert "Recorded by agents: 1 link on 1 ticket; 1 flag (1 open, 0 fixed)" in text
    summary = kb("stale", "--format", "markdown", root=served.root).stdout
    assert "- Recorded by agents: 1 link on 1 ticket" in summary


def test_in_chromium_an_agent_signs_in_pastes_a_ticket_links_flags_and_drafts(
    served: Served, tmp_path: Path
) -> None:
    sync_api = need_chromium()
    errors: list[str] = []
    with sync_api.sync_playwright() as p:
        browser = p.chromium.launch(
            executable_path=str(CHROMIUM),
            args=CHROMIUM_ARGS,
        )
        try:
            context = browser.new_context(accept_downloads=True)
            page = context.new_page()
            page.on("pageerror", lambda exc: errors.append(str(exc)))
            page.goto(served.base + "/en/assist/?ticket=T-77")
            page.fill("#kb-user", USER)
            page.fill("#kb-password", PASSWORD)
            page.click("button[type=submit]")
            page.wait_for_url("**/en/assist/?ticket=T-77")
            assert page.input_value("#kb-assist-ticket") == "T-77"
            page.fill("#kb-assist-text", TICKET_TEXT)
            page.click(".kb-assist__go")
            first = page.locator(".kb-assist__item").first
            first.wait_for()
            assert first.get_attribute("data-article") == "reset-password"
            assert "%" in first.locator(".kb-assist__confidence").inner_text()
            first.locator(".kb-assist__link").click()
            page.get_by_text("Linked to ticket T-77").wait_for()
            first.locator(".kb-assist__flag").click()
            first.get_by_label("Unclear").check()
            first.locator("textarea").fill("step 3 names the old menu")
            first.get_by_role("button", name="Send flag").click()
            page.get_by_text("Flagged.").wait_for()
            mine = page.locator(".kb-assist__mine")
            mine.get_by_text("Reset your password").wait_for()  # the agent's own flags
            assert "step 3 names the old menu" in mine.inner_text()
            with page.expect_download() as download:
                page.click(".kb-assist__draft")
            saved = tmp_path / "draft.md"
            download.value.save_as(saved)
            text = saved.read_text(encoding="utf-8")
            assert "T-77" in text and "status: draft" in text
            # off-topic: the assistant says so instead of pretending
            page.fill("#kb-assist-text", "Do you sell garden furniture in bulk for hotels?")
            page.click(".kb-assist__go")
            page.get_by_text("No good article answers this ticket").wait_for()
            page.click(".kb-sign-out button")  # the header's sign-out
            page.wait_for_url("**/auth/sign-in")
            page.goto(served.base + "/en/assist/")
            assert page.locator("#kb-password").count() == 1  # signed out: the form again
        finally:
            browser.close()
    assert errors == []
    with api(served, sign_in(served.base)) as c:
        flags = c.get("/api/flags", params={"mine": "1"}).json()["flags"]
        assert ("reset-password", "unclear", "step 3 names the old menu") in {
            (f["article"], f["reason"], f["comment"]) for f in flags
        }
