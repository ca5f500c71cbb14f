"""The OpenAPI 3.1 description of the kb HTTP API (served at /api/openapi.json)."""

from __future__ import annotations

from typing import Any

from kb import __version__

REASONS = ["outdated", "unclear", "missing", "other"]
NON_BLANK = r"\S"  # at least one character that is not white space


def _error(description: str) -> dict[str, Any]:
    return {
        "description": description,
        "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}},
    }


ERRORS = {
    "400": _error("Bad input: the message names the field and what was expected"),
    "413": _error("The body is larger than the limit (64 KB by default)"),
    "415": _error("The body is not JSON"),
    "429": _error("Too many requests from this client; see Retry-After"),
    "503": _error("Not built yet: run kb build"),
}
AUTH_ERRORS = {"401": _error("A bearer token was sent but is not the server's KB_API_TOKEN")}


def _json(ref: str, description: str) -> dict[str, Any]:
    return {
        "description": description,
        "content": {"application/json": {"schema": {"$ref": f"#/components/schemas/{ref}"}}},
    }


def _body(ref: str) -> dict[str, Any]:
    return {
        "required": True,
        "content": {"application/json": {"schema": {"$ref": f"#/components/schemas/{ref}"}}},
    }


SUGGESTION = {
    "type": "object",
    "required": ["id", "title", "url", "score", "reasons"],
    "properties": {
        "id": {"type": "string"},
        "title": {"type": "string"},
        "url": {"type": "string"},
        "score": {"type": "number"},
        "reasons": {"type": "object"},
    },
}
SUGGESTIONS = {
    "type": "object",
    "required": ["abstained", "suggestions"],
    "properties": {
        "ticket": {"type": ["string", "null"]},
        "abstained": {"type": "boolean", "description": "true when no article is a good match"},
        "suggestions": {"type": "array", "items": {"$ref": "#/components/schemas/Suggestion"}},
    },
}
HIT = {
    "type": "object",
    "required": ["id", "title", "lang", "url", "score", "snippet", "matched_terms"],
    "properties": {
        "id": {"type": "string"},
        "title": {"type": "string"},
        "lang": {"type": "string"},
        "url": {"type": "string"},
        "score": {"type": "number"},
        "snippet": {"type": "string", "description": "escaped HTML; matches in <mark>"},
        "matched_terms": {"type": "array", "items": {"type": "string"}},
        "category": {"type": ["string", "null"]},
        "summary": {"type": "string"},
    },
}
TICKET = {
    "type": "object",
    "description": "A helpdesk ticket, bare or wrapped ({'ticket': {...}}, {'detail': {...}}, "
    "{'freshdesk_webhook': {...}}); needs an id and a subject or description",
    "minProperties": 1,
    "additionalProperties": True,
}


def spec(languages: list[str], max_body: int) -> dict[str, Any]:
    """Return the OpenAPI description for a server of these languages and body limit."""
    lang = {"type": "string", "enum": languages}
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "kb help-centre API",
            "version": __version__,
            "description": "Search, ticket suggestions, helpdesk webhooks and article feedback. "
            "Send `Authorization: Bearer $KB_API_TOKEN` to include internal (agent) articles; "
            f"without it only public articles are returned. Bodies are limited to {max_body} "
            "bytes.",
        },
        "paths": {
            "/api/health": {
                "get": {
                    "summary": "Is the server up, and what build is it serving?",
                    "operationId": "health",
                    "responses": {"200": _json("Health", "The server's state")},
                }
            },
            "/api/search": {
                "get": {
                    "summary": "Search public articles (the same results as kb search)",
                    "operationId": "search",
                    "parameters": [
                        {
                            "name": "q",
                            "in": "query",
                            "required": True,
                            "schema": {"type": "string", "minLength": 1, "maxLength": 500},
                        },
                        {"name": "lang", "in": "query", "schema": lang},
                        {
                            "name": "limit",
                            "in": "query",
                            "schema": {"type": "integer", "minimum": 1, "maximum": 50},
                        },
                    ],
                    "responses": {"200": _json("SearchResults", "Hits, best first"), **ERRORS},
                }
            },
            "/api/suggest": {
                "post": {
                    "summary": "Rank articles for ticket text (the same JSON as kb suggest --json)",
                    "operationId": "suggest",
                    "requestBody": _body("SuggestRequest"),
                    "responses": {
                        "200": _json("Suggestions", "Suggestions, or an abstention"),
                        **ERRORS,
                        **AUTH_ERRORS,
                    },
                    "security": [{}, {"bearer": []}],
                }
            },
            **{
                f"/api/webhooks/{desk}": {
                    "post": {
                        "summary": f"Suggestions for a {desk.capitalize()} ticket payload",
                        "operationId": f"webhook_{desk}",
                        "requestBody": _body("Ticket"),
                        "responses": {
                            "200": _json("Suggestions", "Suggestions for the ticket"),
                            **ERRORS,
                            **AUTH_ERRORS,
                        },
                        "security": [{}, {"bearer": []}],
                    }
                }
                for desk in ("zendesk", "freshdesk")
            },
            "/api/feedback": {
                "post": {
                    "summary": "Record a 'Was this helpful?' vote on an article",
                    "operationId": "feedback",
                    "requestBody": _body("Feedback"),
                    "responses": {
                        "201": _json("FeedbackStored", "The vote was stored"),
                        "404": _error("No such article (or an internal one without a token)"),
                        **ERRORS,
                        **AUTH_ERRORS,
                    },
                    "security": [{}, {"bearer": []}],
                }
            },
        },
        "components": {
            "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}},
            "schemas": {
                "Error": {
                    "type": "object",
                    "required": ["error"],
                    "properties": {"error": {"type": "string"}, "field": {"type": "string"}},
                },
                "Health": {
                    "type": "object",
                    "required": ["status"],
                    "properties": {
                        "status": {"type": "string", "enum": ["ok", "degraded"]},
                        "index": {"type": ["string", "null"]},
                        "articles": {"type": "integer"},
                        "site": {"type": "boolean"},
                        "suggest": {"type": "boolean"},
                        "problems": {"type": "array", "items": {"type": "string"}},
                    },
                },
                "Hit": HIT,
                "SearchResults": {
                    "type": "object",
                    "required": ["query", "hits"],
                    "properties": {
                        "query": {"type": "string"},
                        "hits": {"type": "array", "items": {"$ref": "#/components/schemas/Hit"}},
                        "did_you_mean": {"type": ["string", "null"]},
                        "used_fallback": {"type": "boolean"},
                    },
                },
                "SuggestRequest": {
                    "type": "object",
                    "required": ["text"],
                    "properties": {
                        "text": {
                            "type": "string",
                            "minLength": 1,
                            "maxLength": 20000,
                            "pattern": NON_BLANK,
                        },
                        "lang": lang,
                        "limit": {"type": "integer", "minimum": 1, "maximum": 20},
                    },
                },
                "Suggestion": SUGGESTION,
                "Suggestions": SUGGESTIONS,
                "Ticket": TICKET,
                "Feedback": {
                    "type": "object",
                    "required": ["article", "helpful"],
                    "properties": {
                        "article": {"type": "string", "minLength": 1, "maxLength": 200},
                        "helpful": {"type": "boolean"},
                        "reason": {"type": ["string", "null"], "enum": [*REASONS, "", None]},
                        "lang": lang,
                        "comment": {"type": ["string", "null"], "maxLength": 1000},
                        "url": {"type": "string", "maxLength": 2000},
                    },
                },
                "FeedbackStored": {
                    "type": "object",
                    "required": ["stored"],
                    "properties": {"stored": {"type": "boolean"}, "id": {"type": "integer"}},
                },
            },
        },
    }
