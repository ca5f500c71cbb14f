"""Ticket files: every format and export shape, cleaning, redaction and per-row errors."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from kb.core.errors import KBError
from kb.core.lang import guess_lang
from kb.suggest.cleaning import clean_text, redact, strip_quotes, strip_signature
from kb.suggest.tickets import find_ticket, read_tickets

REPO = Path(__file__).resolve().parent.parent


def write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_zendesk_csv_export(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "zendesk.csv",
        "id,subject,description,created_at,tags\n"
        '101,Password reset,"I cannot log in.\nPlease help",2026-01-02T10:00:00Z,"login password"\n',
    )
    tf = read_tickets(path)
    assert tf.errors == []
    (t,) = tf.tickets
    assert (t.id, t.subject, t.body) == ("101", "Password reset", "I cannot log in.\nPlease help")
    assert t.created == "2026-01-02T10:00:00Z"
    assert t.tags == ("login", "password")
    assert t.where.endswith("zendesk.csv:2")


def test_zendesk_json_export_with_tickets_key(tmp_path: Path) -> None:
    data = {
        "tickets": [
            {"id": 7, "subject": "Refund", "description": "Where is my refund?", "tags": ["refund"]}
        ]
    }
    t = read_tickets(write(tmp_path, "z.json", json.dumps(data))).tickets[0]
    assert (t.id, t.text, t.tags) == ("7", "Refund\nWhere is my refund?", ("refund",))


def test_freshdesk_json_prefers_description_text(tmp_path: Path) -> None:
    data = [
        {
            "id": 55,
            "subject": "Broken lamp",
            "description": "<div>The lamp <b>arrived broken</b></div>",
            "description_text": "The lamp arrived broken",
            "created_at": "2026-02-01T09:00:00Z",
        }
    ]
    t = read_tickets(write(tmp_path, "fd.json", json.dumps(data))).tickets[0]
    assert t.body == "The lamp arrived broken"
    assert t.created == "2026-02-01T09:00:00Z"


def test_html_description_is_turned_into_text(tmp_path: Path) -> None:
    data = [{"id": 1, "description": "<p>Line one</p><p>Line &amp; two</p>"}]
    t = read_tickets(write(tmp_path, "fd.json", json.dumps(data))).tickets[0]
    assert t.body == "Line one\nLine & two"


def test_plain_id_text_csv_and_jsonl(tmp_path: Path) -> None:
    csv_t = read_tickets(write(tmp_path, "plain.csv", "id,text\nA1,my parcel is late\n"))
    assert [(t.id, t.text) for t in csv_t.tickets] == [("A1", "my parcel is late")]
    jsonl = write(
        tmp_path,
        "t.jsonl",
        '{"id": "B1", "text": "late parcel"}\n\n{"id": "B2", "text": "refund"}\n',
    )
    assert [t.id for t in read_tickets(jsonl).tickets] == ["B1", "B2"]


def test_semicolon_csv_is_sniffed(tmp_path: Path) -> None:
    tf = read_tickets(write(tmp_path, "t.csv", "id;subject;body\n1;Late;Where is it\n"))
    assert tf.tickets[0].text == "Late\nWhere is it"


def test_sample_ticket_file_reads_completely() -> None:
    tf = read_tickets(REPO / "examples" / "tickets.csv")
    assert tf.errors == []
    assert len(tf.tickets) >= 300
    first = tf.tickets[0]
    assert first.id == "T-1001" and first.lang == "en"
    assert "Regards" not in first.body  # the signature is gone
    assert not any("@" in t.text for t in tf.tickets)


def test_bad_rows_name_file_and_row_and_the_rest_still_load(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "bad.csv",
        'id,subject,body\n1,Late,"where is it"\n,No id,text\n3,,\n4,Refund,"money back"\n5,x\n',
    )
    tf = read_tickets(path)
    assert [t.id for t in tf.tickets] == ["1", "4"]
    messages = [str(e) for e in tf.errors]
    assert messages[0].endswith("bad.csv:3: missing ticket id (expected a column 'id')")
    assert "bad.csv:4: ticket 3: no text" in messages[1]
    assert messages[2].endswith("bad.csv:6: expected 3 columns, found 2")


def test_bad_jsonl_line_is_reported_with_its_line(tmp_path: Path) -> None:
    path = write(tmp_path, "t.jsonl", '{"id": 1, "text": "ok"}\n{not json}\n[1, 2]\n')
    tf = read_tickets(path)
    assert [t.id for t in tf.tickets] == ["1"]
    assert [(e.row, e.message.split(":")[0]) for e in tf.errors] == [
        (2, "invalid JSON"),
        (3, "expected a JSON object with id and text"),
    ]


def test_row_numbers_count_multiline_csv_cells(tmp_path: Path) -> None:
    path = write(tmp_path, "t.csv", 'id,body\n1,"line\nline\nline"\n,"no id"\n')
    assert read_tickets(path).errors[0].row == 5


def test_unreadable_files_are_clear_errors(tmp_path: Path) -> None:
    with pytest.raises(KBError, match=r"nope\.csv: no such ticket file"):
        read_tickets(tmp_path / "nope.csv")
    with pytest.raises(KBError, match=r"broken\.json:1: invalid JSON"):
        read_tickets(write(tmp_path, "broken.json", "[{"))


def test_redaction_of_emails_and_phone_numbers() -> None:
    text = (
        "Mail jan.de.vries+shop@example.nl or call +46 70 123 45 67, 06-12345678, "
        "(555) 123-4567 or 555-123-4567. Order BC-123456 of 2026-05-12, order 123456789."
    )
    assert redact(text) == (
        "Mail [email] or call [phone], [phone], [phone] or [phone]. "
        "Order BC-123456 of 2026-05-12, order 123456789."
    )


def test_quoted_history_is_cut() -> None:
    en = "My parcel is late.\n\nOn Mon, 3 Jun 2026 at 10:00, Support <a@b.example> wrote:\n> Hi"
    nl = "Nog steeds niets.\nOp 3 juni 2026 om 10:00 schreef Brightcart Support:\n> Hoi"
    sv = "Fortfarande inget.\nDen 3 juni 2026 skrev Brightcart Support <a@b.example>:\n> Hej"
    outlook = "See below.\n-----Original Message-----\nFrom: Support\nSent: today"
    assert strip_quotes(en) == "My parcel is late."
    assert strip_quotes(nl) == "Nog steeds niets."
    assert strip_quotes(sv) == "Fortfarande inget."
    assert strip_quotes(outlook) == "See below."
    assert strip_quotes("a\n> quoted line\nb") == "a\nb"


@pytest.mark.parametrize(
    "tail",
    [
        "Kind regards,\nJan Jansen\nBrightcart fan",
        "Many thanks,\nEmily Wilson",
        "Best,\nJames",
        "Groetjes, Ilse",
        "Met vriendelijke groet,\nPiet",
        "Mvh Oskar",
        "Hälsningar Maja",
        "/Frida",
        "Chloe",
        "-- \nJan | Sales | www.example.com",
        "Sent from my iPhone",
    ],
)
def test_signatures_are_cut(tail: str) -> None:
    assert strip_signature(f"Hi,\n\nMy lamp is broken.\n\n{tail}") == "Hi,\n\nMy lamp is broken."


def test_a_sign_off_word_early_in_a_long_message_is_kept() -> None:
    body = "Thanks\n" + "\n".join(f"line {i}" for i in range(10))
    assert strip_signature(body) == body


def test_clean_text_combines_everything() -> None:
    raw = (
        "<p>Hello,</p><p>call me on 06-12345678</p>\n\nRegards,\nAnna\n\n"
        "On Tue, Anna <anna@example.com> wrote:\n> old"
    )
    assert clean_text(raw) == "Hello,\ncall me on [phone]"


def test_guess_lang() -> None:
    langs = ("en", "nl", "sv")
    assert guess_lang("Hej, jag har inte fått min beställning", langs, "en") == "sv"
    assert guess_lang("Ik heb mijn bestelling niet ontvangen", langs, "en") == "nl"
    assert guess_lang("Where is my parcel?", langs, "en") == "en"
    assert guess_lang("BC-123456", langs, "nl") == "nl"


def test_find_ticket(tmp_path: Path) -> None:
    path = write(tmp_path, "t.csv", "id,text\nA,hello there\n")
    assert find_ticket(path, "A").text == "hello there"
    with pytest.raises(KBError, match=r"t\.csv: no ticket with id 'B' \(1 tickets read\)"):
        find_ticket(path, "B")
