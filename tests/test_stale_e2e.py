"""kb stale end to end: the sample KB and examples/tickets.csv with the real model; the HTML in Chromium."""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import pytest

from kb.cli import main
from tests.conftest import CHROMIUM, CHROMIUM_ARGS, REPO, copy_cache, need_chromium

ARTIFACTS = REPO / "test-artifacts"


@pytest.fixture(scope="module")
def sample(tmp_path_factory: pytest.TempPathFactory, sample_cache: Path) -> Path:
    """A copy of the sample KB (its own .kb cache, outside the repository's git)."""
    root = tmp_path_factory.mktemp("sample")
    shutil.copytree(REPO / "articles", root / "articles")
    shutil.copy(REPO / "mkdocs.yml", root / "mkdocs.yml")
    copy_cache(sample_cache, root)  # the models exported and the articles embedded once
    return root / "mkdocs.yml"


@pytest.mark.slow
@pytest.mark.model
def test_sample_tickets_give_a_sensible_report(
    sample: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    argv = ["stale", "-f", str(sample), "--today", "2026-11-20", "--format", "json"]
    argv += ["--tickets", str(REPO / "examples/tickets.csv"), "--since", "2026-07-01"]
    assert main(argv) == 0
    data = json.loads(capsys.readouterr().out)
    rules = {(f["rule"], f["article"]) for f in data["findings"]}
    # app 5.0 moved the return button; start-return still covers app 4.8 and 4.9 only
    drift = [
        f
        for f in data["findings"]
        if f["rule"] == "ticket-drift" and f["article"] == "start-return"
    ]
    assert drift and "5.0" in drift[0]["evidence"]["mentioned"]
    assert ("review-overdue", "vat-on-invoices") in rules
    assert ("review-overdue", "reset-password") not in rules
    kcs = data["kcs"]
    assert kcs["tickets"] > 100 and 0.5 < kcs["link_rate"] <= 1.0
    assert kcs["reuse"][0]["tickets"] >= 8
    assert data["summary"]["ticket_errors"] == 0


@pytest.mark.slow
@pytest.mark.browser
def test_html_report_in_chromium(sample: Path, tmp_path: Path) -> None:
    sync_api = need_chromium()
    report = tmp_path / "report.html"
    argv = ["stale", "-f", str(sample), "--today", "2026-11-20", "--since", "2026-07-01"]
    argv += ["--tickets", str(REPO / "examples/tickets.csv"), "--min-confidence", "0.62"]
    assert main([*argv, "--format", "html", "-o", str(report)]) == 0  # answers cached above
    ARTIFACTS.mkdir(exist_ok=True)
    with sync_api.sync_playwright() as p:
        browser = p.chromium.launch(
            executable_path=str(CHROMIUM),
            args=CHROMIUM_ARGS,
        )
        page = browser.new_page(viewport={"width": 1280, "height": 900})
        requests: list[str] = []
        page.on("request", lambda r: requests.append(r.url))
        page.goto(report.as_uri())
        for chart in ("#freshness svg", "#gaps svg"):
            box = page.locator(chart).bounding_box()
            assert box and box["width"] > 200 and box["height"] > 80, chart
        multiples = page.locator("#tickets figure.multiple")
        assert multiples.count() >= 3  # the most used articles, and no good article
        for i in range(multiples.count()):
            box = multiples.nth(i).locator("svg").bounding_box()
            assert box and box["width"] > 150 and box["height"] > 30, i
            assert re.search(
                r"\d+ tickets? · ", multiples.nth(i).locator("figcaption").inner_text()
            )
        assert page.locator("#findings tbody tr").count() > 5
        assert page.locator("#freshness svg rect").count() == 4
        page.screenshot(path=str(ARTIFACTS / "stale-report.png"), full_page=True)
        browser.close()
    assert [u for u in requests if not u.startswith("file:")] == []
