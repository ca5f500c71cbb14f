"""Helpdesk webhook payloads (Zendesk, Freshdesk) to Tickets, through kb.suggest.tickets and its cleaning.

Only the fields named in FIELDS are read (anything else in a payload is ignored), each checked for
its type, so what the OpenAPI description promises is exactly what is accepted.
"""

from __future__ import annotations

from typing import Any

from kb.suggest.tickets import Ticket, ticket_from_record

DESKS = ("zendesk", "freshdesk")
# the objects a helpdesk wraps a ticket in, in the order they are looked for
WRAPPERS = {"zendesk": ("ticket", "detail"), "freshdesk": ("freshdesk_webhook", "ticket")}
TEXT_FIELDS = ("subject", "description", "description_text")
FIELDS = {
    "zendesk": ("id", "subject", "description", "tags", "locale", "requester"),
    "freshdesk": ("id", "subject", "description", "description_text", "tags", "language"),
}
SHAPES = {
    "zendesk": '{"ticket": {"id": 1, "subject": "...", "description": "..."}}, a Zendesk '
    'event {"type": "zen:event-type:ticket.created", "detail": {...}} or the bare ticket',
    "freshdesk": '{"freshdesk_webhook": {"ticket_id": 1, "ticket_subject": "...", '
    '"ticket_description": "..."}} or a Freshdesk ticket {"id": 1, "subject": "...", '
    '"description_text": "..."}',
}


def unwrap(desk: str, body: dict[str, Any]) -> dict[str, Any]:
    """Return the ticket fields of a webhook payload, only those kb reads."""
    record, wrapper = body, ""
    for key in WRAPPERS[desk]:
        if key in body:
            record, wrapper = body[key], key
            break
    if not isinstance(record, dict):
        raise ValueError(f"{wrapper}: expected an object with the ticket")
    if wrapper == "freshdesk_webhook":  # placeholders arrive as ticket_id, ticket_subject...
        record = {k[len("ticket_") :]: v for k, v in record.items() if k.startswith("ticket_")}
        if isinstance(record.get("tags"), str):  # "{{ticket.tags}}" is one comma-separated string
            record["tags"] = [t.strip() for t in record["tags"].split(",") if t.strip()]
    return {k: v for k, v in record.items() if k in FIELDS[desk]}


def _check(record: dict[str, Any]) -> None:
    tid = record.get("id")
    if isinstance(tid, float) and tid.is_integer():
        record["id"] = tid = int(tid)
    if tid is None:
        raise ValueError("id: required (the ticket's id)")
    if isinstance(tid, bool) or not isinstance(tid, int | str) or not str(tid).strip():
        raise ValueError("id: expected a number or a non-empty string")
    if len(str(tid)) > 200:
        raise ValueError("id: longer than 200 characters")
    for key in (*TEXT_FIELDS, "locale", "language"):
        if record.get(key) is not None and not isinstance(record[key], str):
            raise ValueError(f"{key}: expected a string")
    tags = record.get("tags")
    if tags is not None and (
        not isinstance(tags, list) or not all(isinstance(t, str) for t in tags)
    ):
        raise ValueError("tags: expected a list of strings")
    requester = record.pop("requester", None)
    if requester is not None:
        if not isinstance(requester, dict):
            raise ValueError("requester: expected an object")
        locale = requester.get("locale")
        if locale is not None and not isinstance(locale, str):
            raise ValueError("requester.locale: expected a string")
        record.setdefault("locale", locale)
    if not any(isinstance(record.get(k), str) and record[k].strip() for k in TEXT_FIELDS):
        raise ValueError("no text: expected a non-empty subject or description")


def ticket_from_webhook(desk: str, body: dict[str, Any]) -> Ticket:
    """Read the ticket of a Zendesk or Freshdesk payload; ValueError naming what is wrong.

    A ticket whose text is nothing but quotes or a signature comes back with empty text (the
    caller abstains) rather than as an error: the helpdesk sent a real ticket.
    """
    if desk not in DESKS:
        raise ValueError(f"unknown helpdesk {desk!r} (use {', '.join(DESKS)})")
    try:
        record = unwrap(desk, body)
        _check(record)
    except ValueError as exc:
        raise ValueError(f"{exc}; expected {SHAPES[desk]}") from None
    try:
        return ticket_from_record(record, f"{desk} webhook")
    except ValueError:
        return Ticket(id=str(record["id"]).strip(), subject="", body="")
