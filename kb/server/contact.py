"""Contact requests (`POST /api/requests`): stored in `.kb/requests.db`, posted to a webhook.

Only when mkdocs.yml says `contact: {to: server}`. A request is personal data: it goes to its
own database and to the configured webhook, never into the events store, logs or `kb stale`.
The webhook is called from a worker thread with a timeout; a failed delivery stays in the
database with its error (`delivered = 0`), to be fetched from there.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import hashlib
import hmac
import json
import logging
import os
import re
import threading
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import TYPE_CHECKING, Any

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from kb import __version__
from kb.server.feedback import connect
from kb.server.input import ApiError, get_lang, get_str, kind_of, need_text, read_json
from kb.server.ratelimit import Rate

if TYPE_CHECKING:
    from kb.core.settings import Settings
    from kb.server.events import ApiLike

log = logging.getLogger(__name__)

REQUESTS_RATE = Rate(1 / 60, 5.0)  # requests per client: five, then one a minute
WEBHOOK_ENV = "KB_CONTACT_WEBHOOK"  # overrides contact.webhook (keeps a secret URL out of git)
SECRET_ENV = "KB_CONTACT_WEBHOOK_SECRET"  # signs each delivery: X-KB-Signature: sha256=<hex>
WEBHOOK_TIMEOUT = 10.0
SUBJECT_MAX, DESCRIPTION_MAX, EMAIL_MAX = 200, 5000, 254
FIELDS = ("subject", "description", "email", "lang", "suggested")
# loose on purpose: something@something.tld, no spaces; the helpdesk checks the rest
EMAIL_PATTERN = r"^$|^[^@\s]{1,64}@[^@\s.]+(\.[^@\s.]+)+$"  # also the OpenAPI pattern
SCHEMA = """
CREATE TABLE IF NOT EXISTS requests (
    id INTEGER PRIMARY KEY,
    created TEXT NOT NULL,
    lang TEXT,
    subject TEXT NOT NULL,
    description TEXT NOT NULL,
    email TEXT,
    suggested TEXT,                 -- JSON list of the articles the page showed
    delivered INTEGER NOT NULL DEFAULT 0,
    error TEXT
);
"""


def db_path(settings: Settings) -> Path:
    """Where the contact requests of a KB are kept."""
    return settings.layout.requests


class RequestStore:
    """The contact requests database; safe to share between threads."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._lock = threading.Lock()
        self._conn = connect(path, SCHEMA, "requests", durable=True)
        with contextlib.suppress(OSError):
            os.chmod(path, 0o600)  # personal data: the server's user only

    def add(self, request: dict[str, Any]) -> int:
        """Store one request; return its id."""
        with self._lock:
            cur = self._conn.execute(
                "INSERT INTO requests (created, lang, subject, description, email, suggested)"
                " VALUES (?, ?, ?, ?, ?, ?)",
                (
                    request["created"],
                    request["lang"],
                    request["subject"],
                    request["description"],
                    request["email"],
                    json.dumps(request["suggested"]),
                ),
            )
            self._conn.commit()
            return int(cur.lastrowid or 0)

    def mark(self, row: int, error: str | None) -> None:
        """Record how a delivery went."""
        with self._lock:
            self._conn.execute(
                "UPDATE requests SET delivered = ?, error = ? WHERE id = ?",
                (int(error is None), error, row),
            )
            self._conn.commit()

    def rows(self) -> list[dict[str, Any]]:
        """Every stored request, oldest first."""
        with self._lock:
            cur = self._conn.execute("SELECT * FROM requests ORDER BY id")
            names = [d[0] for d in cur.description]
            return [dict(zip(names, r, strict=True)) for r in cur.fetchall()]

    def close(self) -> None:
        """Close the connection."""
        with self._lock:
            self._conn.close()


def parse_request(body: dict[str, Any], languages: list[str]) -> dict[str, Any]:
    """Check a request body: subject, description, optional e-mail, lang and suggested ids."""
    for key in body:
        if key not in FIELDS:
            raise ApiError(400, f"{key}: not a field of a contact request", key)
    email = get_str(body, "email", EMAIL_MAX) or ""
    if not re.search(EMAIL_PATTERN, email):
        raise ApiError(400, "email: not an e-mail address", "email")
    email = email.strip()
    suggested = body.get("suggested") or []
    if not isinstance(suggested, list) or len(suggested) > 20:
        got = "more than 20" if isinstance(suggested, list) else kind_of(suggested)
        raise ApiError(400, f"suggested: expected at most 20 article ids, got {got}", "suggested")
    if not all(isinstance(s, str) and 0 < len(s) <= 300 for s in suggested):
        raise ApiError(400, "suggested: expected article ids or URLs (strings)", "suggested")
    return {
        "created": dt.datetime.now(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "lang": get_lang(body.get("lang"), languages),
        "subject": need_text(body, "subject", SUBJECT_MAX).strip(),
        "description": need_text(body, "description", DESCRIPTION_MAX).strip(),
        "email": email or None,
        "suggested": suggested,
    }


def deliver(url: str, payload: dict[str, Any], secret: str = "") -> None:
    """POST the request as JSON to the webhook; raises on a network error or a non-2xx answer."""
    data = json.dumps(payload, ensure_ascii=False).encode("utf-8")
    headers = {"Content-Type": "application/json", "User-Agent": f"kb/{__version__}"}
    if secret:
        digest = hmac.new(secret.encode(), data, hashlib.sha256).hexdigest()
        headers["X-KB-Signature"] = f"sha256={digest}"
    req = urllib.request.Request(url, data=data, headers=headers, method="POST")
    with urllib.request.urlopen(
        req, timeout=WEBHOOK_TIMEOUT
    ) as answer:  # the URL is the operator's setting
        if not 200 <= answer.status < 300:
            raise OSError(f"the webhook answered {answer.status}")


class ContactApi:
    """POST /api/requests, when the contact page sends requests to this server."""

    def __init__(self, api: ApiLike, settings: Settings) -> None:
        self.api = api
        self.settings = settings
        self.enabled = settings.contact.get("to") == "server"
        self.webhook = os.environ.get(WEBHOOK_ENV, "").strip() or settings.contact.get(
            "webhook", ""
        )
        self.secret = os.environ.get(SECRET_ENV, "").strip()
        self.store: RequestStore | None = RequestStore(db_path(settings)) if self.enabled else None
        self.pool = ThreadPoolExecutor(max_workers=2, thread_name_prefix="kb-webhook")
        api.limiter.rates.setdefault("requests", REQUESTS_RATE)

    async def post(self, request: Request) -> Response:
        """Store the request and hand it to the webhook; 201 {"stored": true, "id": n}."""
        self.api.internal(request)
        if self.store is None:
            raise ApiError(
                404, "this server takes no contact requests (kb.contact.to is not server)"
            )
        self.api.throttle(request, "requests")
        options = self.api.options
        body = await read_json(request, options.max_body, options.body_timeout)
        fields = parse_request(body, self.api.languages)
        row = await run_in_threadpool(self.store.add, fields)
        if self.webhook:
            payload = {"type": "kb.contact_request", "id": row, **fields}
            payload["site"] = self.settings.site_url or None
            self.pool.submit(self._deliver, row, payload)
        return JSONResponse({"stored": True, "id": row}, status_code=201)

    def _deliver(self, row: int, payload: dict[str, Any]) -> None:
        error = None
        try:
            deliver(self.webhook, payload, self.secret)
        except Exception as exc:  # the request is stored: say why it was not delivered
            error = str(exc)[:500] or type(exc).__name__
            log.warning("contact request %d: webhook failed: %s", row, error)
        if self.store is not None:
            self.store.mark(row, error)

    def close(self) -> None:
        """Stop the webhook worker (deliveries under way finish) and close the store."""
        self.pool.shutdown(wait=True, cancel_futures=False)
        if self.store is not None:
            self.store.close()
