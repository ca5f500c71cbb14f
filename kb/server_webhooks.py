"""Helpdesk webhook payloads (Zendesk, Freshdesk) to Tickets, through kb.tickets' cleaning."""

from __future__ import annotations

from typing import Any

from kb.tickets import Ticket, ticket_from_record

DESKS = ("zendesk", "freshdesk")
# objects a helpdesk wraps the ticket in: Freshdesk automations, Zendesk triggers and API, events
WRAPPERS = {
    "zendesk": ("ticket", "detail"),
    "freshdesk": ("freshdesk_webhook", "ticket"),
}
SHAPES = {
    "zendesk": '{"ticket": {"id": 1, "subject": "...", "description": "..."}} or a Zendesk '
    'event {"type": "zen:event-type:ticket.created", "detail": {...}}',
    "freshdesk": '{"freshdesk_webhook": {"ticket_id": 1, "ticket_subject": "...", '
    '"ticket_description": "..."}} or a Freshdesk ticket {"id": 1, "subject": "...", '
    '"description_text": "..."}',
}


def unwrap(desk: str, body: dict[str, Any]) -> dict[str, Any]:
    """Return the ticket object inside a webhook payload (or the payload itself)."""
    record = body
    for key in WRAPPERS[desk]:
        inner = record.get(key)
        if isinstance(inner, dict):
            record = inner
    if desk == "freshdesk":  # placeholders arrive as ticket_subject, ticket_description...
        record = {
            (k[len("ticket_") :] if k.startswith("ticket_") and k != "ticket_id" else k): v
            for k, v in record.items()
        }
    requester = record.get("requester")
    if isinstance(requester, dict) and not any(k in record for k in ("locale", "language")):
        lang = requester.get("locale") or requester.get("language")
        if isinstance(lang, str):
            record = {**record, "locale": lang}
    return record


def ticket_from_webhook(desk: str, body: dict[str, Any]) -> Ticket:
    """Read the ticket in a Zendesk or Freshdesk webhook payload; ValueError naming the shape."""
    if desk not in DESKS:
        raise ValueError(f"unknown helpdesk {desk!r} (use {', '.join(DESKS)})")
    record = unwrap(desk, body)
    try:
        return ticket_from_record(record, f"{desk} webhook")
    except ValueError as exc:
        raise ValueError(f"{exc}; expected {SHAPES[desk]}") from None
