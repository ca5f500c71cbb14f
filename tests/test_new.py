"""kb new: templates from the schema, fresh ids, SOP anatomy, refusing to overwrite."""

from __future__ import annotations

from kb.cli import main
from tests.conftest import load


def test_new_article_of_each_type_is_valid(make_kb, monkeypatch, capsys):
    config = make_kb(
        {
            "en/account/existing.md": {
                "title": "Existing",
                "id": "reset-your-password",
                "category": "account",
            }
        },
        kb_options={"categories": ["account", "billing"]},
    )
    monkeypatch.chdir(config.parent)
    assert main(["new", "solution", "Reset your password", "--category", "account"]) == 0
    assert main(["new", "faq", "Can I pay later?", "--lang", "nl", "--category", "billing"]) == 0
    assert main(["new", "sop", "Escalating to tier 2"]) == 0
    assert main(["new", "troubleshooting", "App crashes on start"]) == 0
    out = capsys.readouterr().out.split()
    assert out == [
        "articles/en/account/reset-your-password.md",
        "articles/nl/billing/can-i-pay-later.md",
        "articles/en/escalating-to-tier-2.md",
        "articles/en/app-crashes-on-start.md",
    ]
    kb = load(config)
    assert kb.errors == []
    # the two written without --category have no home on the site yet, and kb check says so
    homeless = {(w.path.rsplit("/", 1)[-1], w.field) for w in kb.warnings}
    assert homeless == {
        ("escalating-to-tier-2.md", "category"),
        ("app-crashes-on-start.md", "category"),
    }
    new = kb.by_path["en/account/reset-your-password.md"]
    assert new.id == "reset-your-password-2"  # fresh id: the plain slug was taken
    assert (new.status, new.category, new.type) == ("draft", "account", "solution")
    sop = kb.get("escalating-to-tier-2")
    assert sop.type == "sop" and sop.audience == "internal" and sop.department
    assert [s.heading for s in sop.sections] == [
        "Purpose",
        "Scope",
        "Definitions",
        "Procedure",
        "Escalation",
        "Flowchart",
    ]
    assert kb.get("can-i-pay-later").lang == "nl"


def test_sop_in_dutch_gets_dutch_headings(make_kb, monkeypatch, capsys):
    config = make_kb({"en/x.md": {"title": "X"}})
    monkeypatch.chdir(config.parent)
    assert main(["new", "sop", "Terugbetaling goedkeuren", "--lang", "nl"]) == 0
    kb = load(config)
    sop = kb.get("terugbetaling-goedkeuren")
    assert [s.heading for s in sop.sections][:5] == [
        "Doel",
        "Reikwijdte",
        "Definities",
        "Procedure",
        "Escalatie",
    ]
    assert kb.errors == []


def test_new_refuses_to_overwrite(make_kb, monkeypatch, capsys):
    config = make_kb({"en/x.md": {"title": "X"}})
    monkeypatch.chdir(config.parent)
    assert main(["new", "faq", "Same title", "--id", "one"]) == 0
    path = config.parent / "articles/en/same-title.md"
    before = path.read_text()
    assert main(["new", "faq", "Same title", "--id", "two"]) == 1
    assert "articles/en/same-title.md already exists; not overwritten" in capsys.readouterr().err
    assert path.read_text() == before


def test_new_translation_records_the_source(make_kb, monkeypatch, capsys):
    source = (
        {"title": "Download an invoice", "id": "invoice", "summary": "Get a PDF.", "tags": ["pdf"]},
        "## Steps\n\n1. Open **Orders**.\n2. Tap *Invoice*.\n",
    )
    config = make_kb({"en/billing/invoice.md": source})
    monkeypatch.chdir(config.parent)
    assert (
        main(
            [
                "new",
                "solution",
                "Een factuur downloaden",
                "--lang",
                "nl",
                "--translation-of",
                "invoice",
            ]
        )
        == 0
    )
    assert capsys.readouterr().out.strip() == "articles/nl/billing/invoice.md"
    kb = load(config)
    assert kb.errors == []
    nl = kb.get("invoice-nl")
    src = kb.get("invoice")
    assert nl.translation_of == "invoice" and nl.source_hash == src.text_hash
    assert set(kb.translations(src)) == {"en", "nl"}
    # it starts from the source's headings and text, marked for translation
    assert nl.body.lstrip().startswith("<!-- translate: this text is the en source")
    assert "## Steps\n\n1. Open **Orders**.\n2. Tap *Invoice*." in nl.body
    assert (nl.summary, nl.tags) == ("Get a PDF.", ("pdf",))
    # published with the mark still in, kb check says so
    path = config.parent / "articles/nl/billing/invoice.md"
    path.write_text(path.read_text().replace("status: draft", "status: published"))
    assert main(["check", str(config)]) == 0
    assert "body: warning: still marked for translation" in capsys.readouterr().out


def test_new_usage_errors(make_kb, monkeypatch, capsys):
    config = make_kb({"en/x.md": {"title": "X"}})
    monkeypatch.chdir(config.parent)
    assert main(["new", "faq", "T", "--lang", "de"]) == 2
    assert main(["new", "faq"]) == 2
    assert main(["new", "faq", "T", "--translation-of", "nope", "--lang", "nl"]) == 1
    err = capsys.readouterr().err
    assert "--lang 'de' is not one of the site's languages: en, nl, sv" in err
    assert "no article with id 'nope'" in err
