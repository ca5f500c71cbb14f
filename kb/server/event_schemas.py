"""JSON Schemas of the bodies of POST /api/events and POST /api/requests (OpenAPI components)."""

from __future__ import annotations

from typing import Any

from kb.server import contact, events

NON_BLANK = r"\S"  # at least one character that is not white space
QUERY = {"type": "string", "maxLength": events.QUERY_MAX, "pattern": NON_BLANK}
COUNT = {"type": "integer", "minimum": 0, "maximum": 100_000}
RANK = {"type": ["integer", "null"], "minimum": 1, "maximum": 1000}
PATH = {"type": "string", "maxLength": 2000, "pattern": events.PATH_PATTERN}
REF = {
    "description": "an article id, or the path of its page (/en/account/reset-password/)",
    "anyOf": [{"type": "string", "pattern": events.ARTICLE_PATTERN}, PATH],
}
REFS = {"type": ["array", "null"], "maxItems": events.LIST_MAX, "items": REF}
SOURCE = {"type": ["string", "null"], "pattern": events.SOURCE_PATTERN}


def _event(name: str, required: dict[str, Any], optional: dict[str, Any]) -> dict[str, Any]:
    """One kind of event: exactly these fields (anything else is a 400)."""
    return {
        "type": "object",
        "required": ["event", *required],
        "properties": {"event": {"const": name}, **required, **optional},
        "additionalProperties": False,
    }


def event_schemas(optional_lang: dict[str, Any]) -> dict[str, Any]:
    """The `Event` and `ContactRequest` schemas for a server of these languages."""
    lang = {"lang": optional_lang}
    return {
        "Event": {
            "oneOf": [
                _event("search", {"query": QUERY, "results": COUNT}, lang),
                _event("click", {"query": QUERY, "url": PATH}, {**lang, "rank": RANK}),
                _event(
                    "suggestions",
                    {"articles": {**REFS, "type": "array"}},
                    {**lang, "source": SOURCE},
                ),
                _event("deflection", {"article": REF}, {**lang, "source": SOURCE}),
                _event("submission", {}, {**lang, "suggested": REFS, "source": SOURCE}),
            ]
        },
        "ContactRequest": {
            "type": "object",
            "required": ["subject", "description"],
            "properties": {
                "subject": {
                    "type": "string",
                    "maxLength": contact.SUBJECT_MAX,
                    "pattern": NON_BLANK,
                },
                "description": {
                    "type": "string",
                    "maxLength": contact.DESCRIPTION_MAX,
                    "pattern": NON_BLANK,
                },
                "email": {
                    "type": ["string", "null"],
                    "maxLength": contact.EMAIL_MAX,
                    "pattern": contact.EMAIL_PATTERN,
                },
                **lang,
                "suggested": {
                    "type": ["array", "null"],
                    "maxItems": 20,
                    "items": {"type": "string", "minLength": 1, "maxLength": 300},
                },
            },
            "additionalProperties": False,
        },
    }
