"""Customer text in `kb new --from-ticket` drafts is inert: no script once rendered (#17)."""

from __future__ import annotations

import json
import re
from pathlib import Path

import markdown
import pytest

from kb.cli import main
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
