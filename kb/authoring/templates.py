"""New-article templates built from the schema, with body sections in the article's language."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

import yaml

from kb.core import sop
from kb.core.schema import FIELDS, Field

# body sections for the non-SOP types, per language
BODIES: dict[str, dict[str, str]] = {
    "solution": {
        "en": "## Issue\n\n{issue}\n\n## Cause\n\nWhy this happens.\n\n## Resolution\n\n1. First step.\n2. Second step.\n\n## Still need help?\n\nContact support and mention this article.\n",
        "nl": "## Probleem\n\n{issue}\n\n## Oorzaak\n\nWaarom dit gebeurt.\n\n## Oplossing\n\n1. Eerste stap.\n2. Tweede stap.\n\n## Nog hulp nodig?\n\nNeem contact op met support en noem dit artikel.\n",
        "sv": "## Problem\n\n{issue}\n\n## Orsak\n\nVarför detta händer.\n\n## Lösning\n\n1. Första steget.\n2. Andra steget.\n\n## Behöver du mer hjälp?\n\nKontakta supporten och nämn den här artikeln.\n",
    },
    "troubleshooting": {
        "en": "## Symptoms\n\n{issue}\n\n## Checks\n\n1. Check one thing.\n2. Check the next.\n\n## Resolution\n\nWhat fixes it.\n",
        "nl": "## Symptomen\n\n{issue}\n\n## Controles\n\n1. Controleer het eerste.\n2. Controleer het volgende.\n\n## Oplossing\n\nWat het oplost.\n",
        "sv": "## Symptom\n\n{issue}\n\n## Kontroller\n\n1. Kontrollera det första.\n2. Kontrollera nästa.\n\n## Lösning\n\nVad som löser det.\n",
    },
    "faq": {
        "en": "{issue}\n\nThe short answer, then the detail.\n",
        "nl": "{issue}\n\nHet korte antwoord, daarna de details.\n",
        "sv": "{issue}\n\nDet korta svaret, sedan detaljerna.\n",
    },
}
SOP_TEXT: dict[str, dict[str, str]] = {
    "purpose": {
        "en": "Why this procedure exists.",
        "nl": "Waarom deze werkinstructie bestaat.",
        "sv": "Varför rutinen finns.",
    },
    "scope": {
        "en": "Who follows it and when.",
        "nl": "Wie dit volgt en wanneer.",
        "sv": "Vem som följer den och när.",
    },
    "definitions": {
        "en": "- **SLA**: service level agreement.",
        "nl": "- **SLA**: service level agreement.",
        "sv": "- **SLA**: servicenivåavtal.",
    },
    "procedure": {
        "en": "1. First step.\n2. Second step.\n3. Third step.",
        "nl": "1. Eerste stap.\n2. Tweede stap.\n3. Derde stap.",
        "sv": "1. Första steget.\n2. Andra steget.\n3. Tredje steget.",
    },
    "escalation": {
        "en": "When and to whom to escalate.",
        "nl": "Wanneer en naar wie je escaleert.",
        "sv": "När och till vem du eskalerar.",
    },
    "flowchart": {
        "en": "```mermaid\nflowchart TD\n    A[Start] --> B{Resolved?}\n    B -- Yes --> C[Close]\n    B -- No --> D[Escalate]\n```"
    },
}
ISSUE_PLACEHOLDER = {
    "en": "What the customer sees.",
    "nl": "Wat de klant ziet.",
    "sv": "Vad kunden ser.",
}


TAG_CHARS = re.compile(r"[<>]")  # `&` alone starts no tag, and stays readable
TAG_ESCAPES = {ord("<"): "\\x3C", ord(">"): "\\x3E"}


def _pick(texts: dict[str, str], lang: str) -> str:
    return texts.get(lang, texts["en"])


def body_for(kind: str, lang: str, issue: str | None = None) -> str:
    """Return the Markdown body of a new article of `kind` in `lang`."""
    if kind == "sop":
        parts = []
        for key in (*sop.REQUIRED, "flowchart"):
            parts.append(f"## {sop.heading_name(key, lang)}\n\n{_pick(SOP_TEXT[key], lang)}\n")
        return "\n".join(parts)
    text = issue if issue is not None else _pick(ISSUE_PLACEHOLDER, lang)
    return _pick(BODIES[kind], lang).format(issue=text)


def _comment(f: Field) -> str:
    if f.choices:
        return " | ".join(f.choices)
    return f.help


def _dumped(name: str, value: Any) -> str:
    """`name: value` as one flow-style YAML entry that reads back as exactly `value`.

    Values can be customer text (a ticket's subject or id). yaml.safe_dump quotes them; one
    holding `<` or `>` is double-quoted with those as YAML escapes (`\\x3C`), so no tag is
    ever written raw; and when the readable form would not read back the same (a NEL, a
    lone surrogate), the entry is written with ASCII escapes instead.
    """
    for readable in (True, False):
        dumped = yaml.safe_dump(
            {name: value}, allow_unicode=readable, default_flow_style=True, sort_keys=False
        ).strip()
        dumped = dumped.removeprefix("{").removesuffix("}")
        if TAG_CHARS.search(dumped):
            quoted = yaml.safe_dump(
                value,
                allow_unicode=readable,
                default_flow_style=True,
                default_style='"',
                width=1 << 30,
            ).strip()
            dumped = f"{name}: {quoted.translate(TAG_ESCAPES)}"
        if yaml.safe_load(dumped) == {name: value}:
            break
    return dumped


def front_matter(values: dict[str, Any], kind: str) -> str:
    """Render front matter in schema order, each line commented with its field's help."""
    lines = ["---"]
    for f in FIELDS:
        if f.name not in values:
            continue
        if f.types and kind not in f.types:
            continue
        lines.append(f"{_dumped(f.name, values[f.name])}  # {_comment(f)}")
    lines.append("---")
    return "\n".join(lines) + "\n"


def template_values(
    kind: str, title: str, article_id: str, lang: str, today: dt.date, **extra: Any
) -> dict[str, Any]:
    """Front-matter values of a new draft: the schema's examples, filled in."""
    values: dict[str, Any] = {
        "id": article_id,
        "title": title,
        "type": kind,
        "audience": "internal" if kind == "sop" else "public",
        "status": "draft",
        "lang": lang,
    }
    for f in FIELDS:
        if f.name in values or not f.in_template or (f.types and kind not in f.types):
            continue
        if f.name == "reviewed":
            values[f.name] = today
        elif f.name == "category":
            continue
        elif f.example is not None:
            values[f.name] = f.example
    values.update({k: v for k, v in extra.items() if v is not None})
    return values
