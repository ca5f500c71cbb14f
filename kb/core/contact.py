"""The `contact` setting: where the contact page sends a request (helpdesk URL, e-mail, kb serve)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from kb.core.errors import SettingsError

CONTACT_KEYS = ("to", "url", "method", "email", "webhook")
DESTINATIONS = ("helpdesk", "email", "server")
METHODS = ("get", "link")  # a form POST to another origin is refused by the CSP (form-action)


def read_contact(value: Any, support: dict[str, str], at: Callable[..., str]) -> dict[str, str]:
    """The resolved setting: `to`, `url`, `method`, `email` and maybe `webhook`, all strings.

    `contact: true` takes the support block's url (helpdesk) or e-mail address; without
    either, or with a `webhook`, requests go to kb serve (`to: server`).
    """
    spec = {} if value is True else value
    if not isinstance(spec, dict) or any(k not in CONTACT_KEYS for k in spec):
        raise SettingsError(
            f"{at('contact')}: kb.contact: must be true or a mapping of " + ", ".join(CONTACT_KEYS)
        )
    c = {str(k): str(v).strip() for k, v in spec.items() if v not in (None, "")}
    c.setdefault("url", support.get("url", ""))
    c.setdefault("email", support.get("email", ""))
    inferred = "server" if "webhook" in c else "helpdesk" if c["url"] else "email"
    to = c.setdefault("to", inferred if c["url"] or c["email"] else "server")
    c.setdefault("method", "get")
    checks = {
        "to": to in DESTINATIONS,
        "method": c["method"] in METHODS,
        "url": to != "helpdesk" or c["url"].startswith(("https://", "http://", "/")),
        "email": to != "email" or "@" in c["email"],
        "webhook": c.get("webhook", "https://").startswith(("https://", "http://")),
    }
    hints = {"to": " (use helpdesk, email or server)", "method": " (use get or link)"}
    for key, ok in checks.items():
        if not ok:
            where = at("contact", key) if key in spec else at("contact")
            raise SettingsError(
                f"{where}: kb.contact.{key}: {c.get(key)!r} is not valid"
                + hints.get(key, f" for to: {to}")
            )
    return c
