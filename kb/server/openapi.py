"""The OpenAPI 3.1 description of the kb HTTP API (served at /api/openapi.json)."""

from __future__ import annotations

from typing import Any

from kb import __version__
from kb.server import events, feedback
from kb.server.event_schemas import NON_BLANK, event_schemas
from kb.server.openapi_agents import SESSION, agent_paths, agent_schemas

REASONS = list(feedback.REASONS)


def _error(description: str) -> dict[str, Any]:
    return {
        "description": description,
        "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}},
    }


ERRORS = {
    "400": _error("Bad input, or a body that is not strict JSON (too deep, a lone surrogate...)"),
    "408": _error("The request's headers or body did not arrive in time"),
    "413": _error("The body is larger than the limit (64 KB by default)"),
    "415": _error("The body is not JSON"),
    "429": _error("Too many requests (or failed tokens) from this client; see Retry-After"),
    "503": _error("Not built yet: run kb build"),
}
AUTH_ERRORS = {"401": _error("A bearer token was sent but is not the server's KB_API_TOKEN")}
# health and search take no body, but a wrong token is refused there too
GET_ERRORS = {k: ERRORS[k] for k in ("408", "429")} | AUTH_ERRORS


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
        "keywords_only": {
            "type": "boolean",
            "description": "present (true) while the server is still loading its embedding "
            "model: the suggestions are ranked by keywords alone",
        },
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
ID = {"anyOf": [{"type": "integer"}, {"type": "string", "maxLength": 200, "pattern": NON_BLANK}]}
TEXT = {"type": ["string", "null"]}
SAID = {"type": "string", "pattern": NON_BLANK}


def _ticket(fields: dict[str, Any], id_key: str, texts: list[str]) -> dict[str, Any]:
    """A ticket object: an id and at least one non-blank text field."""
    return {
        "type": "object",
        "required": [id_key],
        "properties": {id_key: ID, **fields},
        "anyOf": [{"required": [t], "properties": {t: SAID}} for t in texts],
    }


ZENDESK_TICKET = _ticket(
    {
        "subject": TEXT,
        "description": TEXT,
        "tags": {"type": ["array", "null"], "items": {"type": "string"}},
        "locale": TEXT,
        "requester": {"type": ["object", "null"], "properties": {"locale": TEXT}},
    },
    "id",
    ["subject", "description"],
)
FRESHDESK_TICKET = _ticket(
    {
        "subject": TEXT,
        "description": TEXT,
        "description_text": TEXT,
        "tags": {"type": ["array", "null"], "items": {"type": "string"}},
        "language": TEXT,
    },
    "id",
    ["subject", "description", "description_text"],
)
FRESHDESK_PLACEHOLDERS = _ticket(
    {
        "ticket_subject": TEXT,
        "ticket_description": TEXT,
        "ticket_description_text": TEXT,
        "ticket_tags": TEXT,
        "ticket_language": TEXT,
    },
    "ticket_id",
    ["ticket_subject", "ticket_description", "ticket_description_text"],
)


def _wrapped(inner: dict[str, Any], key: str, exclude: list[str]) -> dict[str, Any]:
    return {
        "type": "object",
        "required": [key],
        "properties": {key: inner, **dict.fromkeys(exclude, False)},
    }


def _bare(inner: dict[str, Any], exclude: list[str]) -> dict[str, Any]:
    return {**inner, "properties": {**inner["properties"], **dict.fromkeys(exclude, False)}}


ZENDESK = {
    "description": "A Zendesk ticket: wrapped as {'ticket': {...}} (trigger or API), as an event "
    "{'type': 'zen:event-type:ticket.created', 'detail': {...}}, or bare. Other fields are "
    "ignored.",
    "anyOf": [
        _wrapped(ZENDESK_TICKET, "ticket", []),
        _wrapped(ZENDESK_TICKET, "detail", ["ticket"]),
        _bare(ZENDESK_TICKET, ["ticket", "detail"]),
    ],
}
FRESHDESK = {
    "description": "A Freshdesk ticket: an automation webhook {'freshdesk_webhook': "
    "{'ticket_id': ..., 'ticket_subject': ..., 'ticket_description': ...}}, {'ticket': {...}}, "
    "or a bare API ticket. Other fields are ignored.",
    "anyOf": [
        _wrapped(FRESHDESK_PLACEHOLDERS, "freshdesk_webhook", []),
        _wrapped(FRESHDESK_TICKET, "ticket", ["freshdesk_webhook"]),
        _bare(FRESHDESK_TICKET, ["freshdesk_webhook", "ticket"]),
    ],
}


def spec(languages: list[str], max_body: int, agents: bool = False) -> dict[str, Any]:
    """Return the OpenAPI description for a server of these languages and body limit.

    `agents`: the agents' server (kb serve --internal), with the ticket assistant's endpoints.
    """
    lang = {"type": "string", "enum": languages}
    optional_lang = {"type": ["string", "null"], "enum": [*languages, None]}
    out = _spec(lang, optional_lang, max_body)
    if agents:
        out["paths"] |= agent_paths(ERRORS | AUTH_ERRORS | {"404": _error("No such article")})
        out["components"]["schemas"] |= agent_schemas(optional_lang)
        out["components"]["securitySchemes"]["session"] = SESSION
    return out


def _spec(lang: dict[str, Any], optional_lang: dict[str, Any], max_body: int) -> dict[str, Any]:
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
                    "description": "Without the token, `articles` counts public published "
                    "articles only; with it, every article of the build.",
                    "responses": {"200": _json("Health", "The server's state"), **GET_ERRORS},
                    "security": [{}, {"bearer": []}],
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
                            "schema": {"type": "string", "maxLength": 500, "pattern": NON_BLANK},
                        },
                        {"name": "lang", "in": "query", "schema": lang},
                        {
                            "name": "limit",
                            "in": "query",
                            "schema": {"type": "integer", "minimum": 1, "maximum": 50},
                        },
                    ],
                    "responses": {
                        "200": _json("SearchResults", "Hits, best first"),
                        **ERRORS,
                        **AUTH_ERRORS,
                    },
                    "security": [{}, {"bearer": []}],
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
                        "requestBody": _body(desk.capitalize()),
                        "parameters": [
                            {
                                "name": "limit",
                                "in": "query",
                                "schema": {"type": "integer", "minimum": 1, "maximum": 20},
                            }
                        ],
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
            "/api/events": {
                "post": {
                    "summary": "Record a search, a click or a contact-page event (no personal data)",
                    "operationId": "events",
                    "description": "Queries are stored redacted (e-mail addresses, phone numbers, "
                    "long numbers and order numbers replaced), in lower case, cut to "
                    f"{events.QUERY_STORED} characters, with the day only; nothing about the "
                    "client is stored.",
                    "requestBody": _body("Event"),
                    "responses": {
                        "204": {"description": "The event was stored"},
                        **ERRORS,
                        **AUTH_ERRORS,
                    },
                    "security": [{}, {"bearer": []}],
                }
            },
            "/api/requests": {
                "post": {
                    "summary": "Send a contact request from the contact page (kb.contact.to: server)",
                    "operationId": "requests",
                    "description": "Stored in kb serve's own requests database and posted to the "
                    "configured webhook; never into the events or kb stale.",
                    "requestBody": _body("ContactRequest"),
                    "responses": {
                        "201": _json("FeedbackStored", "The request was stored"),
                        "404": _error("This server takes no contact requests"),
                        **ERRORS,
                        **AUTH_ERRORS,
                    },
                    "security": [{}, {"bearer": []}],
                }
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
                        "model": {"type": ["string", "null"]},
                        "model_loading": {"type": "boolean"},
                        "problems": {"type": "array", "items": {"type": "string"}},
                        "problem_count": {"type": "integer"},
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
                        "text": {"type": "string", "maxLength": 20000, "pattern": NON_BLANK},
                        "lang": optional_lang,
                        "limit": {"type": ["integer", "null"], "minimum": 1, "maximum": 20},
                    },
                },
                "Suggestion": SUGGESTION,
                "Suggestions": SUGGESTIONS,
                "Zendesk": ZENDESK,
                "Freshdesk": FRESHDESK,
                "Feedback": {
                    "type": "object",
                    "required": ["article", "helpful"],
                    "properties": {
                        "article": {"type": "string", "maxLength": 200, "pattern": NON_BLANK},
                        "helpful": {"type": "boolean"},
                        "reason": {"type": ["string", "null"], "enum": [*REASONS, "", None]},
                        "lang": optional_lang,
                        "comment": {"type": ["string", "null"], "maxLength": 1000},
                        "url": {"type": ["string", "null"], "maxLength": 2000},
                    },
                },
                **event_schemas(optional_lang),
                "FeedbackStored": {
                    "type": "object",
                    "required": ["stored"],
                    "properties": {"stored": {"type": "boolean"}, "id": {"type": "integer"}},
                },
            },
        },
    }
