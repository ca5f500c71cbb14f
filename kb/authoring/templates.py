"""New-article templates built from the schema, with body sections in the article's language."""

from __future__ import annotations

import datetime as dt
import functools
import re
from typing import Any

import yaml

from kb.core import sop
from kb.core.article import Article
from kb.core.schema import FIELD_BY_NAME, FIELDS, Field

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


TRANSLATE_MARK = "<!-- translate:"  # the first line of a translation draft from `kb new`
# sections whose template text may stay as it is: the contact line at the end of a solution
KEEP = ("Still need help?", "Nog hulp nodig?", "Behöver du mer hjälp?")
LIST_MARK = re.compile(r"^\s*(?:[-*+]|\d{1,3}[.)])\s+")


@functools.cache
def placeholder_lines() -> frozenset[str]:
    """Every line of template text an author is meant to replace, in every language."""
    texts = [t for per_lang in BODIES.values() for t in per_lang.values()]
    texts += [
        t for key, per_lang in SOP_TEXT.items() if key != "definitions" for t in per_lang.values()
    ]
    texts += list(ISSUE_PLACEHOLDER.values())
    out = set()
    for text in texts:
        heading = ""
        for line in text.split("\n"):
            line = LIST_MARK.sub("", line).strip()
            if line.startswith("#"):
                heading = line.lstrip("# ")
            elif heading not in KEEP and len(line) > 8 and not line.startswith(("{issue}", "```")):
                out.add(line)
    return frozenset(out)


def placeholder_problems(article: Article) -> list[tuple[int, str, str]]:
    """(line, field, message) for template text left in an article that is not a draft."""
    if article.status == "draft":
        return []
    found = []
    summary = FIELD_BY_NAME["summary"].example
    if article.summary and article.summary == summary:
        found.append((article.line_of("summary"), "summary", "still the template's example"))
    known = placeholder_lines()
    fence = False
    for i, line in enumerate(article.body.split("\n")):
        if line.lstrip().startswith(("```", "~~~")):
            fence = not fence
            continue
        text = LIST_MARK.sub("", line).strip()
        if not fence and text.startswith(TRANSLATE_MARK):
            found.append((article.body_line + i, "body", "still marked for translation"))
        elif not fence and text in known:
            found.append(
                (
                    article.body_line + i,
                    "body",
                    f"template text left in: {text!r}; write the real one",
                )
            )
    return found


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
