"""Knowledge capture: `kb new --from-ticket` writes a valid draft solution article."""

from __future__ import annotations

from pathlib import Path

import pytest

from kb.cli import main
from tests.conftest import MakeKB, load

TICKETS = (
    "id,created,subject,body,tags,language\n"
    'T-1,2026-01-01,Parcel locker will not open,"Hi,\n\nThe locker code 1234 does not work. '
    "Call me on +31 6 12345678 or mail anna@example.com.\n\nGroetjes, Anna\n\n"
    'On Mon, Support wrote:\n> earlier reply",locker,en\n'
    'T-2,2026-01-02,Pakket kwijt,"Mijn pakket is niet aangekomen, waar is het?",,nl\n'
)


@pytest.fixture
def kb_with_tickets(make_kb: MakeKB, tmp_path: Path) -> tuple[Path, Path]:
    config = make_kb({"en/hello.md": {"title": "Hello"}})
    tickets = tmp_path / "tickets.csv"
    tickets.write_text(TICKETS, encoding="utf-8")
    return config, tickets


def test_draft_from_ticket_is_a_valid_redacted_draft(
    kb_with_tickets: tuple[Path, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    config, tickets = kb_with_tickets
    code = main(["new", "--from-ticket", str(tickets), "--ticket", "T-1", "-f", str(config)])
    assert code == 0
    written = Path(capsys.readouterr().out.strip())
    path = written if written.is_absolute() else Path.cwd() / written
    text = path.read_text(encoding="utf-8")
    assert path.name == "parcel-locker-will-not-open.md"
    assert "title: Parcel locker will not open" in text
    assert "type: solution" in text and "status: draft" in text
    assert "tickets: [T-1]" in text
    issue = text.split("## Issue", 1)[1].split("## Cause", 1)[0]
    assert "> The locker code 1234 does not work." in issue
    assert "[phone]" in issue and "[email]" in issue
    assert "anna@example.com" not in text and "12345678" not in text
    assert "earlier reply" not in text and "Groetjes" not in text
    kb = load(config)
    assert kb.errors == []
    draft = kb.get("parcel-locker-will-not-open")
    assert draft is not None and draft.status == "draft" and draft.tickets == ("T-1",)


def test_draft_uses_the_tickets_language(
    kb_with_tickets: tuple[Path, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    config, tickets = kb_with_tickets
    assert main(["new", "--from-ticket", str(tickets), "--ticket", "T-2", "-f", str(config)]) == 0
    path = config.parent / "articles" / "nl" / "pakket-kwijt.md"
    text = path.read_text(encoding="utf-8")
    assert "lang: nl" in text
    assert "## Probleem" in text and "## Oorzaak" in text and "## Oplossing" in text
    assert load(config).errors == []


def test_unknown_ticket_id_names_file_and_id(
    kb_with_tickets: tuple[Path, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    config, tickets = kb_with_tickets
    code = main(["new", "--from-ticket", str(tickets), "--ticket", "T-9", "-f", str(config)])
    assert code == 1
    err = capsys.readouterr().err
    assert "tickets.csv: no ticket with id 'T-9'" in err
    assert "Traceback" not in err
