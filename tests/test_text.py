"""Markdown to plain text and sections, as search and the suggester see it."""

from __future__ import annotations

import datetime as dt

from kb.core.schema import Duration
from kb.core.sop import find_sections, section_key
from kb.core.text import links, plain_text, sections, slugify

BODY = """Intro with **bold** and a [link](../a/b.md "t").

## Resolution steps

1. Open **Account > Security**.
2. Tap `Reset password` and <kbd>Enter</kbd>.

```mermaid
flowchart TD
  A --> B
```

```
ERR_CODE_42 shown in the app
```

| Col | Val |
|-----|-----|
| a   | b   |

!!! note "Good to know"
    Refunds take 5&ndash;10 days.
"""


def test_sections_split_at_headings_with_real_lines():
    secs = sections(BODY, first_line=10)
    assert [(s.heading, s.line, s.anchor) for s in secs] == [
        ("", 10, ""),
        ("Resolution steps", 12, "resolution-steps"),
    ]
    text = secs[1].text
    assert "Open Account > Security." in text and "Tap Reset password and Enter." in text
    assert "ERR_CODE_42 shown in the app" in text
    assert "flowchart" not in text and "**" not in text
    assert "Good to know" in text and "Refunds take 5–10 days." in text
    assert secs[0].text == "Intro with bold and a link."


def test_plain_text_and_links():
    assert plain_text("## Hi\n\nThere _you_ are") == "Hi\nThere you are"
    assert links(BODY, first_line=5) == [(5, "../a/b.md")]
    assert links("`[not](a.md)`\n```\n[no](b.md)\n```\n[yes](c.md)") == [(5, "c.md")]


def test_slugify_matches_mkdocs_toc():
    assert slugify("Resolution steps") == "resolution-steps"
    assert slugify("Flödesschema & mer") == "flodesschema-mer"


def test_sop_section_names_in_three_languages():
    assert section_key("Purpose") == "purpose" and section_key("Syfte") == "purpose"
    assert section_key("Werkwijze") == "procedure" and section_key("2. Escalation:") == "escalation"
    found = find_sections(
        "## Doel\n\nx\n\n## Procedure\n\n1. a\n\n### Detail\n\nmore\n\n## Other\n\nnot\n"
    )
    assert found["procedure"][1].strip().startswith("1. a") and "more" in found["procedure"][1]
    assert "not" not in found["procedure"][1]


def test_duration_arithmetic():
    assert Duration(6, "m").after(dt.date(2026, 8, 31)) == dt.date(2027, 2, 28)
    assert Duration(1, "y").after(dt.date(2024, 2, 29)) == dt.date(2025, 2, 28)
    assert Duration(90, "d").after(dt.date(2026, 1, 1)) == dt.date(2026, 4, 1)
