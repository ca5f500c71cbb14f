"""The anatomy of a standard operating procedure, with section names in each language."""

from __future__ import annotations

import re

from kb.core.text import FENCE_OPEN, HEADING, inline_text

# section key -> accepted heading names (any language); the first of each language is the template's
SECTIONS: dict[str, dict[str, tuple[str, ...]]] = {
    "purpose": {"en": ("Purpose",), "nl": ("Doel",), "sv": ("Syfte",)},
    "scope": {
        "en": ("Scope",),
        "nl": ("Reikwijdte", "Toepassingsgebied"),
        "sv": ("Omfattning", "Tillämpning"),
    },
    "definitions": {
        "en": ("Definitions", "Terms and acronyms"),
        "nl": ("Definities", "Begrippen"),
        "sv": ("Definitioner", "Begrepp"),
    },
    "procedure": {
        "en": ("Procedure", "Steps"),
        "nl": ("Procedure", "Werkwijze", "Stappen"),
        "sv": ("Procedur", "Tillvägagångssätt", "Steg"),
    },
    "escalation": {"en": ("Escalation",), "nl": ("Escalatie",), "sv": ("Eskalering",)},
    "flowchart": {"en": ("Flowchart",), "nl": ("Stroomschema",), "sv": ("Flödesschema",)},
}
REQUIRED = ("purpose", "scope", "definitions", "procedure", "escalation")
_LOOKUP = {
    name.lower(): key
    for key, langs in SECTIONS.items()
    for names in langs.values()
    for name in names
}


def heading_name(key: str, lang: str) -> str:
    """Return the heading for section `key` in `lang` (English when the language is unknown)."""
    names = SECTIONS[key]
    return names.get(lang, names["en"])[0]


def section_key(heading: str) -> str | None:
    """Return the SOP section a heading names, in any supported language, or None."""
    text = re.sub(r"^\d+[.)]?\s*", "", heading.strip()).rstrip(":").strip().lower()
    return _LOOKUP.get(text)


def find_sections(body: str) -> dict[str, tuple[int, str]]:
    """Map each SOP section found in the body to (body line index, the Markdown below it)."""
    found: dict[str, tuple[int, list[str]]] = {}
    current: str | None = None
    fence = False
    for i, line in enumerate(body.split("\n")):
        if FENCE_OPEN.match(line):
            fence = not fence
        match = None if fence else HEADING.match(line)
        if match:
            key = section_key(inline_text(match.group(2)))
            if key and key not in found:
                found[key] = (i, [])
                current = key
                continue
            if len(match.group(1)) <= 2:
                current = None
        if current:
            found[current][1].append(line)
    return {k: (i, "\n".join(lines)) for k, (i, lines) in found.items()}
