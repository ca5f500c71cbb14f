"""The OpenAPI paths and schemas of the agents' endpoints (kb serve --internal only)."""

from __future__ import annotations

from typing import Any

from kb.server import assist, kcs
from kb.server.auth import COOKIE
from kb.server.event_schemas import NON_BLANK

TICKET = {
    "type": "string",
    "pattern": kcs.TICKET_PATTERN.pattern,
    "description": "the helpdesk's ticket id (123, T-1001)",
}
ARTICLE = {"type": "string", "maxLength": 200, "pattern": NON_BLANK, "description": "article id"}
CONFLICT = "The draft's file exists already, or this server cannot write drafts"
SESSION = {"type": "apiKey", "in": "cookie", "name": COOKIE, "description": "an agent signed in"}
AGENT_ERRORS = ("400", "401", "404", "408", "413", "415", "429")


def _ref(name: str) -> dict[str, Any]:
    return {"$ref": f"#/components/schemas/{name}"}


def _json(name: str, description: str) -> dict[str, Any]:
    return {"description": description, "content": {"application/json": {"schema": _ref(name)}}}


def agent_paths(errors: dict[str, Any]) -> dict[str, Any]:
    """POST /api/links, GET and POST /api/flags and POST /api/drafts, for a signed-in agent."""
    shared = {k: errors[k] for k in AGENT_ERRORS if k in errors}
    security: list[dict[str, list[str]]] = [{"bearer": []}, {"session": []}]

    def body(name: str) -> dict[str, Any]:
        return {"required": True, "content": {"application/json": {"schema": _ref(name)}}}

    return {
        "/api/links": {
            "post": {
                "summary": "Link an article to the ticket it answered (KCS: reuse)",
                "operationId": "link",
                "requestBody": body("Link"),
                "responses": {
                    "201": _json("Linked", "The link was stored"),
                    "200": _json("Linked", "That ticket and article were linked already"),
                    **shared,
                },
                "security": security,
            }
        },
        "/api/flags": {
            "get": {
                "summary": f"The newest {kcs.LIST_MAX} flags on articles",
                "operationId": "list_flags",
                "parameters": [
                    {
                        "name": "mine",
                        "in": "query",
                        "description": "1: only the signed-in agent's own flags",
                        "schema": {"type": "string", "enum": ["0", "1", "true", "false"]},
                    }
                ],
                "responses": {
                    "200": _json("Flags", "Flags, newest first"),
                    **{k: shared[k] for k in ("401", "408", "429")},
                },
                "security": security,
            },
            "post": {
                "summary": "Flag an article as outdated, wrong or unclear, for its owner",
                "operationId": "flag",
                "requestBody": body("NewFlag"),
                "responses": {"201": _json("Flagged", "The flag was stored"), **shared},
                "security": security,
            },
        },
        "/api/drafts": {
            "post": {
                "summary": "Draft an article from a ticket (KCS: capture)",
                "operationId": "draft",
                "description": "Quotes, signatures and personal data are removed from the "
                "text first. `path` is set when the server writes drafts (--write-drafts).",
                "requestBody": body("DraftRequest"),
                "responses": {
                    "201": _json("Draft", "The draft, as Markdown"),
                    "409": {**errors["400"], "description": CONFLICT},
                    **{k: v for k, v in shared.items() if k != "404"},
                },
                "security": security,
            }
        },
    }


def agent_schemas(optional_lang: dict[str, Any]) -> dict[str, Any]:
    """The request and response bodies of the agents' endpoints."""
    reason = {"type": "string", "enum": list(kcs.REASONS)}
    optional_ticket = {"anyOf": [TICKET, {"type": "null"}, {"const": ""}]}
    flag = {
        "type": "object",
        "required": ["id", "at", "article", "reason", "comment", "ticket", "agent"],
        "properties": {
            "id": {"type": "integer"},
            "at": {"type": "string", "description": "UTC, ISO 8601"},
            "article": {"type": "string"},
            "reason": reason,
            "comment": {"type": "string"},
            "ticket": {"type": ["string", "null"]},
            "agent": {"type": ["string", "null"], "description": "null for the API token"},
            "title": {"type": ["string", "null"]},
            "url": {"type": ["string", "null"]},
        },
    }
    return {
        "Link": {
            "type": "object",
            "required": ["ticket", "article"],
            "properties": {"ticket": TICKET, "article": ARTICLE, "lang": optional_lang},
        },
        "Linked": {
            "type": "object",
            "required": ["ticket", "article", "linked"],
            "properties": {
                "ticket": {"type": "string"},
                "article": {"type": "string", "description": "the source article's id"},
                "linked": {"const": True},
            },
        },
        "NewFlag": {
            "type": "object",
            "required": ["article", "reason"],
            "properties": {
                "article": ARTICLE,
                "reason": reason,
                "comment": {"type": ["string", "null"], "maxLength": kcs.COMMENT_MAX},
                "ticket": optional_ticket,
            },
        },
        "Flagged": {
            "type": "object",
            "required": ["id", "article", "reason"],
            "properties": {
                "id": {"type": "integer"},
                "article": {"type": "string"},
                "reason": reason,
            },
        },
        "Flag": flag,
        "Flags": {
            "type": "object",
            "required": ["flags"],
            "properties": {"flags": {"type": "array", "items": _ref("Flag")}},
        },
        "DraftRequest": {
            "type": "object",
            "required": ["text"],
            "properties": {
                "text": {"type": "string", "maxLength": assist.TEXT_MAX},
                "subject": {"type": ["string", "null"], "maxLength": 500},
                "ticket": optional_ticket,
                "lang": optional_lang,
            },
        },
        "Draft": {
            "type": "object",
            "required": ["id", "filename", "markdown", "path"],
            "properties": {
                "id": {"type": "string"},
                "filename": {"type": "string"},
                "markdown": {"type": "string"},
                "path": {"type": ["string", "null"]},
            },
        },
    }
