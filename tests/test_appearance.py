"""The site's words and branding from mkdocs.yml: strings, contact block and footer per language."""

from __future__ import annotations

from pathlib import Path

import pytest
from test_init import init

from kb.cli import main
from kb.site.checks import PRIMARY_COLOURS, contrast_with_white

pytestmark = pytest.mark.slow

SETTINGS = """\
      strings:
        nl: {site_name: Acme Klantenservice, hero_title: "Hoe helpen we je vandaag?", hero_titel: x}
        fr: {home: Accueil}
      support:
        email: help@acme.example
        hours: {en: "Mon-Fri 9-17", nl: "ma-vr 9-17 uur", de: "Mo-Fr"}
      footer:
        links:
          - {title: {en: Privacy, nl: Privacyverklaring}, url: https://acme.example/privacy}
        legal: {en: "(c) Acme Ltd", nl: "(c) Acme B.V."}
        generator: false
"""


def with_settings(root: Path, block: str) -> None:
    """Replace the support setting kb init wrote with `block` (kb's own lines, indented)."""
    config = root / "mkdocs.yml"
    text = config.read_text(encoding="utf-8")
    start = text.index("      support:\n")
    end = text.index("      # feedback_url")
    config.write_text(text[:start] + block + text[end:], encoding="utf-8")


def test_strings_contact_and_footer_differ_per_language(tmp_path, monkeypatch, capsys):
    root = init(tmp_path, "en", "nl")
    with_settings(root, SETTINGS)
    monkeypatch.chdir(root)
    capsys.readouterr()
    assert main(["check"]) == 0
    out = capsys.readouterr().out
    assert "kb.strings.nl.hero_titel: warning: no such interface string, ignored" in out
    assert "(did you mean 'hero_title'?)" in out
    assert "kb.strings.fr: warning: 'fr' is not in kb.languages, ignored" in out
    assert "kb.support.hours.de: warning: 'de' is not in kb.languages" in out
    assert main(["build"]) == 0
    nl = (root / "site/nl/index.html").read_text(encoding="utf-8")
    en = (root / "site/index.html").read_text(encoding="utf-8")
    assert "Hoe helpen we je vandaag?" in nl and "ma-vr 9-17 uur" in nl
    assert "<title>Acme Klantenservice</title>" in nl and "<title>Acme Help</title>" in en
    assert "Privacyverklaring" in nl and "(c) Acme B.V." in nl
    assert "Mon-Fri 9-17" in en and "(c) Acme Ltd" in en and ">Privacy<" in en
    assert "Material for MkDocs" not in nl + en  # generator: false
    nl_404 = (root / "site/nl/404.html").read_text(encoding="utf-8")
    assert "Deze pagina bestaat niet (meer)" in nl_404 and "ma-vr 9-17 uur" in nl_404


@pytest.mark.parametrize(
    ("block", "message"),
    [
        (
            "      footer:\n        links: [{title: Bad, url: 'javascript:alert(1)'}]\n",
            "mkdocs.yml:",
        ),
        ("      footer:\n        links: [{url: https://x.example}]\n", "needs a title and a url"),
        ("      strings: [nl]\n", "kb.strings: must map a language to its strings"),
        ("      footer: {generator: maybe}\n", "kb.footer.generator: true or false"),
    ],
)
def test_bad_appearance_settings_are_one_line_errors(tmp_path, monkeypatch, capsys, block, message):
    root = init(tmp_path, "en")
    with_settings(root, block)
    monkeypatch.chdir(root)
    capsys.readouterr()
    assert main(["check"]) != 0
    err = capsys.readouterr().err.strip()
    assert message in err and len(err.splitlines()) == 1 and "Traceback" not in err


def test_kb_check_warns_on_a_primary_colour_too_pale_for_text(tmp_path, monkeypatch, capsys):
    root = init(tmp_path, "en")
    config = root / "mkdocs.yml"
    text = config.read_text(encoding="utf-8")
    config.write_text(
        text.replace("theme:\n", "theme:\n  palette: {primary: light blue}\n", 1), encoding="utf-8"
    )
    monkeypatch.chdir(root)
    capsys.readouterr()
    main(["check"])
    out = capsys.readouterr().out
    assert "theme.palette.primary: warning: 'light blue' gives links" in out
    assert round(contrast_with_white(PRIMARY_COLOURS["black"]), 1) == 21.0
    assert contrast_with_white(PRIMARY_COLOURS["indigo"]) > 4.5 > contrast_with_white("#009485")
