"""kb stale's reports as people read them: findings per owner with their fixes, Markdown, charts."""

from __future__ import annotations

import datetime as dt
import json
import re
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import markdown
import pytest
from markdown_it import MarkdownIt

from kb.cli import main
from kb.core.settings import Settings
from kb.core.translations import text_hash_of
from kb.server.events import EventStore, db_path, parse_event
from kb.stale.report_md import code, md
from kb.stale.trends import trend
from tests.conftest import MakeKB, article
from tests.fixtures.stale_kb import RESET_V1, TRACK

TODAY = "2026-11-20"
HOSTILE = "[x](javascript:alert(1)) <script>alert(2)</script> <img src=x onerror=alert(3)>"
SOURCE = {"id": "reset-password", "title": "Reset your password", "lang": "en", "owner": "ana"}


def _kb(make_kb: MakeKB) -> Path:
    source = article({**SOURCE, "reviewed": "2026-10-01", "tags": ["password", "login"]}, RESET_V1)
    return make_kb(
        {
            "en/reset-password.md": source,
            "nl/reset-password.md": article(
                {
                    "id": "reset-password-nl",
                    "title": "Je wachtwoord herstellen",
                    "lang": "nl",
                    "owner": "ana",
                    "reviewed": "2026-10-01",
                    "translation_of": "reset-password",
                    "source_hash": text_hash_of(source.replace("Forgot", "Lost")),
                },
                "## Probleem\n\nWachtwoord vergeten.\n",
            ),
            "en/track-order.md": article(
                {
                    "id": "track-order",
                    "title": "Track <b>your</b> order",
                    "lang": "en",
                    "owner": "bo [me](javascript:alert(4))",
                    "reviewed": "2024-01-10",
                    "tags": ["tracking", "parcel"],
                },
                TRACK,
            ),
            "en/pay-invoice.md": article(
                {"id": "pay-invoice", "title": "Pay with an invoice", "lang": "en"},
                "## Resolution\n\nChoose **Invoice** at checkout and pay within 14 days.\n",
            ),
        },
        kb_options={"model": "hash"},
    )


def _tickets(path: Path) -> Path:
    """Password tickets rising month by month, parcel tickets, and three hostile gift tickets."""
    rows: list[dict[str, str]] = []
    for month, n in zip(range(1, 11), (1, 1, 1, 2, 2, 3, 4, 4, 4, 4), strict=True):
        for i in range(n):
            day = f"2026-{month:02d}-{10 + i:02d}"
            text = "Forgot password: reset your password, the reset link for the login page does not arrive"
            rows.append(
                {"id": f"P-{month}-{i}", "created": day, "subject": "Forgot password", "body": text}
            )
    for i in range(4):
        text = "Track your order: where is my parcel? Track parcel shows no delivery window"
        rows.append(
            {
                "id": f"O-{i}",
                "created": f"2026-0{i + 2}-03",
                "subject": "Track your order",
                "body": text,
            }
        )
    for i in range(3):
        rows.append(
            {
                "id": f"G-{i}",
                "created": f"2026-09-0{i + 1}",
                "subject": f"Gift wrapping {HOSTILE}",
                "body": f"Can you gift wrap a present with a ribbon? {HOSTILE} www.evil.example",
            }
        )
    path.write_text(json.dumps({"tickets": rows}), encoding="utf-8")
    return path


def _searches(config: Path) -> None:
    """Searches with no result, one of them hostile, as kb serve stores them."""
    store = EventStore(db_path(Settings.load(config)))
    for query in (HOSTILE, "gift card balance"):
        body = {"event": "search", "lang": "en", "query": query, "results": 0}
        store.record(parse_event(body, ["en", "nl", "sv"]), dt.date(2026, 11, 1))


@pytest.fixture
def report(make_kb: MakeKB, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> Any:
    """Run `kb stale` on the small KB; returns (format) -> output."""
    config = _kb(make_kb)
    tickets = _tickets(tmp_path / "tickets.json")
    _searches(config)

    def run(fmt: str) -> str:
        argv = ["stale", "-f", str(config), "--tickets", str(tickets), "--today", TODAY]
        assert main([*argv, "--format", fmt, "--no-duplicates"]) == 0
        return capsys.readouterr().out

    run.tickets = str(tickets)  # type: ignore[attr-defined]
    return run


def _sections(text: str) -> dict[str, str]:
    """Markdown owner sections: heading text -> the lines under it."""
    parts = re.split(r"^#### (.+)$", text, flags=re.M)
    return {parts[i]: parts[i + 1] for i in range(1, len(parts), 2)}


# -- markdown ---------------------------------------------------------------------------------------
def test_markdown_has_owner_sections_and_the_resolving_commands(report: Any) -> None:
    out = report("markdown")
    assert out.startswith("## Test Help: content health on 2026-11-20\n")
    assert "tickets** in the window" in out and "Link rate: **" in out
    sections = _sections(out)
    heads = {h.split(" · ")[0]: h for h in sections}
    assert set(heads) >= {"ana", "No owner", r"bo \[me\](javascript:alert(4))"}
    ana = sections[heads["ana"]]
    assert "`outdated-translation` **Je wachtwoord herstellen** (`reset-password-nl`)" in ana
    assert "To resolve: translate it again from `reset-password`" in ana
    assert "then run `kb translation sync reset-password-nl`" in ana
    bo = sections[heads[r"bo \[me\](javascript:alert(4))"]]
    assert "`review-overdue`" in bo
    assert re.search(r"set `reviewed: 2026-11-20` in `[^`]*articles/en/track-order\.md`", bo)
    nobody = sections[heads["No owner"]]
    assert "`no-owner` **Pay with an invoice**" in nobody
    assert re.search(r"add `owner: NAME` to `[^`]*articles/en/pay-invoice\.md`", nobody)
    gaps = out.split("### Content gaps", 1)[1]
    assert re.search(
        rf"`kb new --from-gap gap-[a-z-]+ --tickets {re.escape(report.tickets)}`", gaps
    )
    assert "### Searches with no result" in out and "gift card balance" in out
    assert "### Tickets per article" in out
    assert "**Reset your password** (`reset-password`): 26 tickets, rising: 1 → 4 a month" in out


def _rendered(text: str) -> list[str]:
    """The Markdown as HTML by CommonMark (raw HTML allowed) and by Python-Markdown."""
    commonmark = MarkdownIt("commonmark", {"html": True}).enable("table")
    return [commonmark.render(text), markdown.markdown(text, extensions=["attr_list", "tables"])]


def test_markdown_escapes_ticket_text_queries_and_front_matter(report: Any) -> None:
    out = report("markdown")
    assert "alert(1)" in out and "alert(4)" in out  # the hostile text is there, as text
    for html in _rendered(out):
        found = _Elements.of(html)
        assert not found.tags & {"script", "img", "a"}, found.tags
        assert not [a for a in found.attrs if a.startswith("on") or a == "href"]
        assert (
            "[x](javascript:alert(1))" in found.text and "<script>alert(2)</script>" in found.text
        )
        assert "Track <b>your</b> order" in found.text
    assert "`www.evil.example`" in out or "www.evil.example" not in out  # no bare autolink


def test_escaping_helpers() -> None:
    assert (
        md("[a](javascript:x) <b> *b* `c` # d") == r"\[a\](javascript:x) &lt;b&gt; \*b\* \`c\` # d"
    )
    assert md("# heading\nsecond line") == r"\# heading second line"
    assert md("see https://evil.example/x now") == "see `https://evil.example/x` now"
    assert code("a `b` c") == "`` a `b` c ``"
    assert md("x" * 500).endswith("…") and len(md("x" * 500)) == 160


def test_markdown_is_bounded(make_kb: MakeKB, capsys: pytest.CaptureFixture[str]) -> None:
    files = {
        f"en/a{i}.md": {"id": f"a{i}", "title": f"A {i}", "lang": "en", "owner": "ana",
                        "reviewed": "2024-01-01"}
        for i in range(30)
    }  # fmt: skip
    config = make_kb(files, kb_options={"model": "hash"})
    assert main(["stale", "-f", str(config), "--today", TODAY, "--format", "markdown"]) == 0
    out = capsys.readouterr().out
    [(head, ana)] = _sections(out).items()
    assert head.startswith("ana · ") and ", 30 errors" in head.replace(":", ",")
    more = len(re.findall(r"^- \*\*", ana, flags=re.M))
    assert more == 5 and re.search(r"^- … and \d+ more for ana \(25 review-overdue", ana, re.M)
    assert len(out.splitlines()) < 30


# -- html -------------------------------------------------------------------------------------------
class _Elements(HTMLParser):
    """Start tags, attributes, text, and every <svg> with its label and figure caption."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: set[str] = set()
        self.attrs: list[str] = []
        self.text = ""
        self.stack: list[tuple[str, dict[str, str | None]]] = []
        self.svgs: list[dict[str, Any]] = []  # {"label", "figure": index or None, "texts"}
        self.figures: list[str] = []  # caption text per figure
        self._caption: int | None = None
        self._svg_text: list[str] | None = None

    @classmethod
    def of(cls, html: str) -> _Elements:
        p = cls()
        p.feed(html)
        return p

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.add(tag)
        self.attrs += [k for k, _ in attrs]
        a = dict(attrs)
        if tag == "figure":
            self.figures.append("")
        if tag == "figcaption":
            self._caption = len(self.figures) - 1
        if tag == "svg":
            inside = [t for t, _ in self.stack].count("figure")
            fig = len(self.figures) - 1 if inside else None
            self.svgs.append({"label": a.get("aria-label"), "figure": fig, "texts": []})
        if tag == "text":
            self._svg_text = self.svgs[-1]["texts"]
            self._svg_text.append("")
        if tag not in ("br", "col", "meta", "circle", "rect", "path", "polyline", "polygon"):
            self.stack.append((tag, a))

    def handle_endtag(self, tag: str) -> None:
        if tag == "figcaption":
            self._caption = None
        if tag == "text":
            self._svg_text = None
        while self.stack and self.stack.pop()[0] != tag:
            pass

    def handle_data(self, data: str) -> None:
        self.text += data
        if self._caption is not None:
            self.figures[self._caption] += data
        if self._svg_text is not None:
            self._svg_text[-1] += data


def test_html_groups_findings_by_owner_with_fixes_and_escapes(report: Any) -> None:
    page = report("html")
    found = _Elements.of(page)
    assert "script" not in found.tags and "img" not in found.tags and "a" not in found.tags
    assert not [a for a in found.attrs if a.startswith("on") or a in ("href", "src")]
    assert HOSTILE.split(" <img")[0] in found.text  # the gap's tickets, as text
    assert "Track <b>your</b> order" in found.text and "bo [me](javascript:alert(4))" in found.text
    owners = re.findall(r'<h3 data-owner="([^"]*)"', page)
    assert owners[:2] == ["ana", "bo [me](javascript:alert(4))"] and "No owner" in owners
    assert owners[-1] == "Whole help centre"
    fixes = found.text.split("Findings by owner", 1)[1]
    assert "kb translation sync reset-password-nl" in fixes
    assert re.search(r"add owner: NAME to \S*articles/en/pay-invoice\.md", fixes)
    assert re.search(rf"kb new --from-gap gap-[a-z-]+ --tickets {re.escape(report.tickets)}", fixes)
    assert "http://" not in page.replace('xmlns="http://www.w3.org/2000/svg"', "")


def test_every_chart_has_a_text_label_and_no_bar_is_cryptic(report: Any) -> None:
    page = report("html")
    found = _Elements.of(page)
    assert len(found.svgs) >= 4  # freshness, gaps, and one small multiple per busy article
    for svg in found.svgs:
        assert svg["label"] and len(svg["label"].split()) >= 3, svg
        assert svg["figure"] is not None and found.figures[svg["figure"]].strip(), svg
        for text in svg["texts"]:  # a label in words, or a count
            assert re.fullmatch(r"\d+( \(\d+%\))?", text) or len(text.split()) >= 2, text
    labels = [t for svg in found.svgs for t in svg["texts"]]
    assert "No" not in labels and "No review date" in labels and "Review overdue" in labels
    assert "Review due within 30 days" in labels
    captions = " ".join(found.figures)
    assert "Reset your password reset-password" in captions
    assert "26 tickets · rising: 1 → 4 a month · peak 4 in 2026-07" in captions
    assert "Tickets with no good article" in captions
    assert "■" not in page  # no legend that is colour only


def test_trend_in_words() -> None:
    assert trend([3, 3, 3, 6, 9, 12, 12, 12, 12]) == "rising: 3 → 12 a month"
    assert trend([12, 12, 12, 6, 3, 3]) == "falling: 12 → 3 a month"
    assert trend([2, 3, 2, 3, 2, 3]) == "steady: about 2.5 a month"
    assert trend([0, 1, 0, 0, 1, 0]) == "steady: fewer than 1 a month"
    assert trend([4, 5]) == "too few months to tell a trend"


# -- text -------------------------------------------------------------------------------------------
def test_text_report_groups_by_owner_with_fixes(report: Any) -> None:
    out = report("text")
    lines = out.splitlines()
    assert lines[0].split() == ["SEVERITY", "RULE", "ARTICLE", "MESSAGE"]
    start = next(i for i, line in enumerate(lines) if line.startswith("ana: "))
    assert lines[start + 1].split()[:3] == ["error", "outdated-translation", "reset-password-nl"]
    assert lines[start + 2].lstrip().startswith("-> translate it again from `reset-password`")
    assert "No owner: 2 findings: 1 warning, 1 note" in lines
    i = lines.index("No owner: 2 findings: 1 warning, 1 note")
    assert re.search(r"add `owner: NAME` to `\S*articles/en/pay-invoice\.md`", lines[i + 2])
    assert lines[-1].startswith("kb stale: 4 articles,")


def test_the_whole_help_centre_notes_of_unused_and_near_duplicate_get_their_own_fix():
    from kb.stale.actions import Facts, resolve

    facts = Facts(today="2026-12-02")

    def words(finding: dict) -> str:
        return "".join(part[1] for part in resolve(finding, facts))

    undecided = {
        "rule": "unused",
        "article": None,
        "evidence": {"undecided": True, "needed_linked_tickets": 1557},
    }
    assert "longer ticket window (about 1,557 tickets" in words(undecided)
    assert "archive" not in words(undecided)
    more = {"rule": "near-duplicate", "article": None, "evidence": {"left_out": 12}}
    assert words(more).startswith("merge the pairs listed first") and "aliases" not in words(more)
    one = {"rule": "unused", "article": "a", "path": "en/a.md", "evidence": {}}
    assert "status: archived" in words(one)
