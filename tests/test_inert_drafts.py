"""Customer text in `kb new --from-ticket` drafts is inert: no script once rendered (#17)."""

from __future__ import annotations

import datetime as dt
import json
import re
from html.parser import HTMLParser
from pathlib import Path

import markdown
import pytest

from kb.cli import main
from kb.core.frontmatter import parse
from kb.core.reading import read_article
from kb.core.settings import Settings
from kb.stale.findings import Finding
from kb.stale.gaps import Gap
from kb.stale.report import render
from kb.stale.run import Result
from tests.conftest import MakeKB

HOSTILE = [
    "&lt;script&gt;alert(1)&lt;/script&gt; and <script>alert(2)</script>",
    '<img src=x onerror="alert(3)"> &lt;img src=x onerror=alert(4)&gt;',
    "[click](javascript:alert(5)) {: onclick=alert(6) }",
]


def tickets_file(tmp_path: Path) -> Path:
    ticket = {
        "id": "T-1",
        "created": "2026-01-01",
        "subject": "Help <b>now</b>",
        "body": "\n\n".join(HOSTILE),
        "language": "en",
    }
    path = tmp_path / "tickets.jsonl"
    path.write_text(json.dumps(ticket) + "\n", encoding="utf-8")
    return path


def test_a_draft_from_a_hostile_ticket_renders_no_markup(
    make_kb: MakeKB, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    config = make_kb({"en/hello.md": {"title": "Hello"}})
    tickets = tickets_file(tmp_path)
    assert main(["new", "--from-ticket", str(tickets), "--ticket", "T-1", "-f", str(config)]) == 0
    written = Path(capsys.readouterr().out.strip())
    text = (written if written.is_absolute() else Path.cwd() / written).read_text()
    body = text.split("\n---\n", 1)[1]
    for raw in ("<script", "<img", "<b>"):
        assert raw not in body, raw
    rendered = markdown.markdown(body, extensions=["attr_list", "md_in_html"])
    for bad in ("<script", "<img", 'href="javascript:'):
        assert bad not in rendered, bad
    assert not re.search(r"<[^>]*\bon\w+\s*=", rendered)  # no event handler on any element
    assert "alert(1)" in rendered  # the customer's words are kept, as text


# -- the whole draft, ticket ids, gaps and stale reports --------------------------------------------
MD_EXTENSIONS = [  # what the help site renders article bodies with (mkdocs.yml, kb.site.theme)
    "attr_list",
    "md_in_html",
    "admonition",
    "def_list",
    "tables",
    "pymdownx.details",
    "pymdownx.superfences",
]
LIVE_TAGS = ("script", "img", "b", "i", "a", "iframe", "svg", "div")
HOSTILE_ID = "<b>T-1</b>"
HTML_TICKET = {  # a help desk's HTML description: entities inside it are decoded by cleaning
    "id": HOSTILE_ID,
    "subject": "Checkout &lt;img src=x onerror=alert(7)&gt; <i>fails</i>",
    "description": (
        "<p>The page shows &lt;script&gt;alert(1)&lt;/script&gt; and <script>alert(2)</script>"
        "</p><p>&lt;img src=x onerror=alert(3)&gt; <img src=x onerror=alert(4)></p>"
        "<p>&lt;div markdown=&quot;1&quot; onclick=&quot;alert(5)&quot;&gt;x&lt;/div&gt;</p>"
        "<p>{: onclick=&quot;alert(6)&quot; } [go](javascript:alert(8)) ![t](https://evil.example/t.png)</p>"
    ),
    "language": "en",
}


class _Elements(HTMLParser):
    """Every start tag and attribute of a rendered page, and its text."""

    def __init__(self) -> None:
        super().__init__()
        self.tags: list[str] = []
        self.attrs: list[str] = []
        self.text = ""

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append(tag)
        self.attrs += [name for name, _ in attrs]

    def handle_data(self, data: str) -> None:
        self.text += data


def _elements(html_text: str) -> _Elements:
    parser = _Elements()
    parser.feed(html_text)
    return parser


def _assert_inert_draft(text: str) -> None:
    """No raw tag anywhere in the file; rendered as MkDocs would, no live element or handler."""
    for raw in ("<script", "<img", "<b>", "<i>", "<div", "<a "):
        assert raw not in text.lower(), raw
    body = text.removeprefix("---\n").split("\n---\n", 1)[1]
    page = _elements(markdown.markdown(body, extensions=MD_EXTENSIONS))
    assert not set(page.tags) & set(LIVE_TAGS), page.tags
    assert not [a for a in page.attrs if a.startswith("on") or a in ("href", "src")], page.attrs


def _write_tickets(tmp_path: Path, *tickets: dict[str, str]) -> Path:
    path = tmp_path / "tickets.json"
    path.write_text(json.dumps({"tickets": list(tickets)}), encoding="utf-8")
    return path


def test_the_whole_draft_is_inert_and_the_ticket_id_exact(
    make_kb: MakeKB, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    config = make_kb({"en/hello.md": {"title": "Hello"}})
    tickets = _write_tickets(tmp_path, HTML_TICKET)
    argv = ["new", "--from-ticket", str(tickets), "--ticket", HOSTILE_ID, "-f", str(config)]
    assert main(argv) == 0
    path = config.parent / capsys.readouterr().out.strip()
    text = path.read_text(encoding="utf-8")
    _assert_inert_draft(text)
    fm = parse(text)
    assert fm.problems == []
    assert fm.meta["tickets"] == [HOSTILE_ID]  # exact: YAML escapes, not changed data
    assert fm.meta["title"] == "Checkout <img src=x onerror=alert(7)> fails"
    shown = _elements(markdown.markdown(fm.body, extensions=MD_EXTENSIONS)).text
    assert "<script>alert(1)</script>" in shown  # the customer's words, as text
    assert "<img src=x onerror=alert(3)>" in shown and "{: onclick=" in shown
    assert "[go](javascript:alert(8))" in shown


def test_unwritable_characters_in_a_ticket_are_no_traceback(
    make_kb: MakeKB, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A NUL made the draft a "binary file"; a lone surrogate (JSON "\\ud800") a traceback."""
    config = make_kb({"en/hello.md": {"title": "Hello"}})
    tickets = tmp_path / "tickets.json"
    ticket = '{"id": "T-\\u0085 9", "subject": "Broken \\ud800 app", "body": "nul \\u0000 here \\u2028 x"}'
    tickets.write_text(f"[{ticket}]", encoding="utf-8")
    argv = ["new", "--from-ticket", str(tickets), "--ticket", "T-\x85 9", "-f", str(config)]
    assert main(argv) == 0
    path = config.parent / capsys.readouterr().out.strip()
    article, problems = read_article(path, Settings.load(config))
    assert article is not None and [p for p in problems if p.field != "tickets"] == []
    assert parse(path.read_text(encoding="utf-8")).meta["tickets"] == ["T-\x85 9"]  # exact
    assert "\x00" not in article.body and "nul" in article.body


def test_a_draft_from_a_gap_is_inert(
    make_kb: MakeKB,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    config = make_kb({"en/hello.md": {"title": "Hello"}})
    gap = Gap(
        id="gap-checkout",
        lang="en",
        size=3,
        terms=["checkout", "--><script>alert(9)</script>", "fails"],
        tickets=[HOSTILE_ID, "T-2"],
        representatives=[  # as kb.stale.gaps keeps them: cleaned, entities already decoded
            {
                "id": HOSTILE_ID,
                "subject": "Checkout <b>fails</b>",
                "text": "<script>alert(1)</script>",
            },
            {
                "id": "T-2",
                "subject": "x",
                "text": "line one\n<img src=x onerror=alert(2)>\n[a](javascript:x)",
            },
        ],
        first_seen="2026-01-01",
        last_seen="<i>2026-02-01</i>",
    )
    result = Result(dt.date(2026, 3, 1), None, "tickets.csv", gaps=[gap])
    monkeypatch.setattr("kb.stale.run.analyse", lambda *a, **k: result)
    argv = ["new", "--from-gap", "gap-checkout", "--tickets", "tickets.csv", "-f", str(config)]
    assert main(argv) == 0
    text = (config.parent / capsys.readouterr().out.strip()).read_text(encoding="utf-8")
    _assert_inert_draft(text)
    assert "-->" not in text.split("-->", 1)[1].split("\n", 1)[0]  # the note's comment ends once
    assert "— ticket &lt;b&gt;T-1&lt;/b&gt;" in text
    assert parse(text).meta["tickets"] == [HOSTILE_ID, "T-2"]


def _hostile_result() -> Result:
    gap = Gap(
        id="gap-<b>x</b>",
        lang="en",
        size=2,
        terms=["<script>alert(1)</script>"],
        tickets=[HOSTILE_ID],
        representatives=[
            {
                "id": HOSTILE_ID,
                "subject": "\x1b]8;;https://evil\x1b\\click\x1b]8;;\x1b\\ <img src=x onerror=alert(2)>",
                "text": "<script>alert(3)</script>",
            }
        ],
        first_seen="2026-01-01",
        last_seen="2026-01-02",
    )
    finding = Finding(
        "ticket-drift",
        "warning",
        "tickets say <script>alert(4)</script>\x1b[2J",
        article="<b>a</b>",
        path="x.md",
    )
    kcs = {"tickets": 2, "linked": 1, "link_rate": 0.5, "known": 1, "new": 1, "new_in_gaps": 1,
           "reuse": [{"article": "<img src=x onerror=alert(5)>", "tickets": 1}],
           "by_month": [{"month": "20<img src=x onerror=alert(6)>", "tickets": 2, "linked": 1}, {"month": "2026-01", "tickets": 1, "linked": 1}],
           "article_months": {}}  # fmt: skip
    return Result(dt.date(2026, 3, 1), None, "t.csv", findings=[finding], gaps=[gap], kcs=kcs)


def test_stale_html_report_escapes_ticket_text_and_ids() -> None:
    page = render(_hostile_result(), 1, "html")
    found = _elements(page)
    assert "script" not in found.tags and "img" not in found.tags
    assert not [a for a in found.attrs if a.startswith("on")]
    assert "<script>alert(3)</script>" in found.text and "<b>T-1</b>" in found.text
    assert "<img src=x onerror=alert(6)>" in found.text  # the month label (its "20" cut), as text


def test_stale_text_report_prints_no_terminal_escapes() -> None:
    out = render(_hostile_result(), 1, "text")
    assert "\x1b" not in out and "ticket-drift" in out and "click" in out
