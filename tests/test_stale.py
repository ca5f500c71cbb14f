"""kb stale over a fixture KB in git with a generated ticket history: each rule on its planted case."""

from __future__ import annotations

import datetime as dt
import json
import shutil
from pathlib import Path
from typing import Any

import pytest
import yaml

from kb.cli import main
from kb.core.collection import KnowledgeBase
from kb.core.settings import Settings
from kb.stale.run import Result, analyse
from tests.conftest import MINIMAL_CONFIG
from tests.fixtures import stale_kb as F

pytestmark = pytest.mark.skipif(shutil.which("git") is None, reason="needs git")
CLEAN = {"reset-password", "track-order", "track-order-nl"}


def _make(root: Path) -> Any:
    def make(files: dict[str, str], kb_options: dict[str, Any]) -> Path:
        docs = root / "articles"
        for rel, text in files.items():
            (docs / rel).parent.mkdir(parents=True, exist_ok=True)
            (docs / rel).write_text(text, encoding="utf-8")
        cfg = dict(MINIMAL_CONFIG)
        cfg["plugins"] = [{"kb": {**MINIMAL_CONFIG["plugins"][0]["kb"], **kb_options}}]
        (root / "mkdocs.yml").write_text(yaml.safe_dump(cfg, sort_keys=False), encoding="utf-8")
        return root / "mkdocs.yml"

    return make


@pytest.fixture(scope="module")
def planted(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path, dict[str, list[str]]]:
    """The fixture KB (mkdocs.yml), its ticket file and the ticket ids per planted topic."""
    root = tmp_path_factory.mktemp("stale") / "kb"
    root.mkdir()
    config = F.build_repo(_make(root))
    tickets = root / "tickets.csv"
    return config, tickets, F.write_tickets(tickets)


@pytest.fixture(scope="module")
def result(planted: tuple[Path, Path, dict[str, list[str]]]) -> Result:
    config, tickets, _ = planted
    settings = Settings.load(config)
    return analyse(settings, KnowledgeBase.load(settings), tickets_file=tickets, today=F.TODAY)


def _by(result: Result, rule: str) -> dict[str | None, list[Any]]:
    out: dict[str | None, list[Any]] = {}
    for f in result.findings:
        if f.rule == rule:
            out.setdefault(f.article, []).append(f)
    return out


def test_review_rules_fire_on_planted_articles(result: Result) -> None:
    overdue = _by(result, "review-overdue")
    assert overdue["old-review"][0].severity == "error"
    assert overdue["old-review"][0].evidence["due"] == "2025-07-10"
    undated = overdue["undated"][0]
    assert undated.severity == "warning"
    assert undated.evidence == {
        "last_changed": "2024-01-01",
        "last_changed_from": "git",
        "review_every": "1y",
    }
    assert set(overdue) == {"old-review", "undated"}
    assert set(_by(result, "no-owner")) == {"no-owner"}


def test_outdated_translation_names_the_changed_sections(result: Result) -> None:
    found = _by(result, "outdated-translation")
    assert set(found) == {"reset-password-nl"}
    f = found["reset-password-nl"][0]
    assert f.severity == "error"
    assert f.evidence["changed_sections"] == [
        {"section": "Resolution", "change": "changed", "anchor": "resolution"}
    ]
    assert "changed: Resolution" in f.message


def test_ticket_drift_on_newer_app_version(result: Result, planted: Any) -> None:
    drift = _by(result, "ticket-drift")
    assert set(drift) == {"start-return"}
    versions = next(f for f in drift["start-return"] if "product" in f.evidence)
    assert versions.evidence["mentioned"] == ["5.0", "5.0.2"]
    assert versions.evidence["covered"] == ["4.8", "4.9"]
    assert set(versions.evidence["tickets"]) == set(planted[2]["return-new"])


def test_unused_duplicates_and_gaps(result: Result, planted: Any) -> None:
    unused = set(_by(result, "unused"))
    assert "delete-account" in unused
    assert not unused & (CLEAN | {"start-return"})
    dup = _by(result, "near-duplicate")
    assert set(dup) == {"erase-profile"} and dup["erase-profile"][0].evidence["other"] == (
        "delete-account"
    )
    assert [g.id for g in result.gaps] == ["gap-gift-wrapping"]
    gap = result.gaps[0]
    assert sorted(gap.tickets) == sorted(planted[2]["gift"])
    assert gap.terms[:2] == ["gift", "wrapping"] and gap.lang == "en"
    assert len(gap.representatives) == 3


def test_clean_articles_stay_silent(result: Result) -> None:
    noisy = {f.article for f in result.findings if f.article in CLEAN}
    assert noisy == set()


def test_kcs_figures(result: Result, planted: Any) -> None:
    k = result.kcs
    assert k is not None
    assert k["tickets"] == 42  # the ticket dated after --today is left out
    assert k["new"] == len(planted[2]["gift"]) and k["new_in_gaps"] == k["new"]
    assert k["link_rate"] == round(36 / 42, 4)
    reuse = {r["article"]: r["tickets"] for r in k["reuse"]}
    assert reuse["reset-password"] == 12 and reuse["track-order"] == 12
    assert reuse["start-return"] >= 6


def test_warm_run_answers_from_the_cache(planted: Any, result: Result) -> None:
    config, tickets, _ = planted
    settings = Settings.load(config)
    kb = KnowledgeBase.load(settings)
    again = analyse(settings, kb, tickets_file=tickets, today=F.TODAY)
    assert again.stats["cached"] == again.stats["tickets"] == 42
    assert [f.to_dict() for f in again.findings] == [f.to_dict() for f in result.findings]


def test_since_narrows_the_window(planted: Any) -> None:
    config, tickets, _ = planted
    settings = Settings.load(config)
    kb = KnowledgeBase.load(settings)
    res = analyse(
        settings,
        kb,
        tickets_file=tickets,
        today=F.TODAY,
        since=dt.date(2026, 9, 1),
        duplicates=False,
    )
    assert res.kcs and all(m["month"] >= "2026-09" for m in res.kcs["by_month"])
    assert res.kcs["tickets"] == res.tickets == sum(m["tickets"] for m in res.kcs["by_month"]) < 42


def test_cli_json_is_stable_and_strict_fails(
    planted: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    config, tickets, _ = planted
    argv = ["stale", "-f", str(config), "--tickets", str(tickets), "--today", "2026-11-20"]
    assert main([*argv, "--format", "json"]) == 0
    first = capsys.readouterr().out
    assert main([*argv, "--format", "json"]) == 0
    assert capsys.readouterr().out == first
    data = json.loads(first)
    assert data["schema"] == "kb-stale/1"
    assert set(data) == {
        "schema",
        "today",
        "since",
        "tickets_file",
        "summary",
        "findings",
        "gaps",
        "kcs",
        "freshness",
    }
    assert set(data["findings"][0]) == {
        "rule",
        "severity",
        "message",
        "article",
        "path",
        "lang",
        "evidence",
    }
    assert data["summary"]["error"] == 2
    assert main([*argv, "--strict"]) == 1
    out = capsys.readouterr().out
    assert out.splitlines()[0].split() == ["SEVERITY", "RULE", "ARTICLE", "MESSAGE"]
    assert "gap-gift-wrapping" in out and "KCS: 42 tickets, link rate 86%" in out


def test_cli_errors_are_one_line(planted: Any, capsys: pytest.CaptureFixture[str]) -> None:
    config, _, _ = planted
    assert main(["stale", "-f", str(config), "--tickets", "nope.csv"]) == 2
    assert capsys.readouterr().err.strip() == "kb stale: --tickets: nope.csv: no such file"
    with pytest.raises(SystemExit):
        main(["stale", "-f", str(config), "--today", "20-11-2026"])
    assert "expected a date as YYYY-MM-DD" in capsys.readouterr().err


def test_html_report_is_self_contained(planted: Any, tmp_path: Path) -> None:
    config, tickets, _ = planted
    out = tmp_path / "report.html"
    argv = ["stale", "-f", str(config), "--tickets", str(tickets), "--today", "2026-11-20"]
    assert main([*argv, "--format", "html", "-o", str(out)]) == 0
    page = out.read_text(encoding="utf-8")
    # freshness, gaps, and one small multiple per busy article and for "no good article"
    assert page.count("<svg") == 2 + 4 == page.count("<figcaption>")
    assert "http://" not in page.replace('xmlns="http://www.w3.org/2000/svg"', "")
    assert "<script" not in page and "gap-gift-wrapping" in page
    assert 'data-rule="outdated-translation"' in page


def test_kb_new_from_gap_writes_a_valid_draft(
    planted: Any, result: Result, capsys: pytest.CaptureFixture[str]
) -> None:
    config, tickets, ids = planted
    argv = ["new", "--from-gap", "gap-gift-wrapping", "--tickets", str(tickets), "-f", str(config)]
    assert main(argv) == 0
    path = config.parent / capsys.readouterr().out.strip()
    kb = KnowledgeBase.scan(Settings.load(config))
    assert kb.errors == []
    draft = kb.by_path[path.relative_to(config.parent / "articles").as_posix()]
    assert draft.status == "draft" and draft.lang == "en"
    assert sorted(draft.tickets) == sorted(ids["gift"])
    assert draft.title in {t.split(",")[0][:40] for t in F.TOPICS["gift"]}
    assert (
        "> Can you gift wrap" in draft.body
        or "> Gift wrapping" in draft.body
        or "> Do you" in draft.body
    )
    assert main([*argv[:2], "gap-nope", *argv[3:]]) == 1
    assert "no content gap 'gap-nope'" in capsys.readouterr().err
