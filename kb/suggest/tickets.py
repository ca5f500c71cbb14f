"""Reading support tickets: CSV, JSON and JSONL exports in Zendesk, Freshdesk and plain shapes."""

from __future__ import annotations

import csv
import io
import json
import logging
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from kb.core.errors import KBError, display_path
from kb.suggest.cleaning import clean_text, redact, strip_html

log = logging.getLogger(__name__)

# column names of each helpdesk's export, normalised to lower case with underscores
ID_KEYS = ("id", "ticket_id", "ticket")
SUBJECT_KEYS = ("subject", "title")
TEXT_KEYS = ("description_text", "description", "body", "text", "message", "comment")
CREATED_KEYS = ("created_at", "created", "date")
LANG_KEYS = ("language", "lang", "locale")
TAG_KEYS = ("tags", "tag")


@dataclass(frozen=True)
class Ticket:
    """One support ticket: its id, subject and the customer's words (cleaned and redacted)."""

    id: str
    subject: str
    body: str
    created: str = ""
    tags: tuple[str, ...] = ()
    lang: str | None = None
    where: str = ""  # "file:row", for messages

    @property
    def text(self) -> str:
        """Subject and body: what the suggester matches."""
        return "\n".join(p for p in (self.subject, self.body) if p)


@dataclass(frozen=True)
class TicketError:
    """A row that could not be read, printed as `file:row: message`."""

    path: str
    row: int
    message: str

    def __str__(self) -> str:
        return f"{self.path}:{self.row}: {self.message}"


@dataclass
class TicketFile:
    """The tickets read from one file, and the rows that failed."""

    path: Path
    tickets: list[Ticket] = field(default_factory=list)
    errors: list[TicketError] = field(default_factory=list)


# -- reading ---------------------------------------------------------------------------------------
def read_tickets(path: Path | str) -> TicketFile:
    """Read every ticket of a CSV, JSON or JSONL file; bad rows become errors, the rest still load."""
    path = Path(path)
    shown = display_path(path)
    try:
        raw = path.read_text(encoding="utf-8-sig")
    except FileNotFoundError:
        raise KBError(f"{shown}: no such ticket file") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise KBError(f"{shown}: cannot read: {exc}") from None
    out = TicketFile(path)
    for row, record in _records(raw, path, shown, out.errors):
        try:
            out.tickets.append(ticket_from_record(record, f"{shown}:{row}"))
        except ValueError as exc:
            out.errors.append(TicketError(shown, row, str(exc)))
    return out


def _records(
    raw: str, path: Path, shown: str, errors: list[TicketError]
) -> Iterator[tuple[int, dict[str, Any]]]:
    suffix = path.suffix.lower()
    stripped = raw.lstrip()
    if suffix in (".jsonl", ".ndjson") or (suffix != ".csv" and _looks_jsonl(stripped)):
        yield from _jsonl_records(raw, shown, errors)
    elif suffix == ".json" or stripped.startswith(("[", "{")):
        yield from _json_records(raw, shown, errors)
    else:
        yield from _csv_records(raw, shown, errors)


def _looks_jsonl(text: str) -> bool:
    first = text.split("\n", 1)[0].strip()
    if not (first.startswith("{") and first.endswith("}")):
        return False
    try:
        json.loads(first)
    except (ValueError, RecursionError):
        return False
    return "\n" in text.strip()


def _jsonl_records(
    raw: str, shown: str, errors: list[TicketError]
) -> Iterator[tuple[int, dict[str, Any]]]:
    for n, line in enumerate(raw.splitlines(), 1):
        if not line.strip():
            continue
        try:
            value = json.loads(line)
        except ValueError as exc:
            errors.append(TicketError(shown, n, f"invalid JSON: {exc}"))
            continue
        except RecursionError:
            errors.append(TicketError(shown, n, "invalid JSON: nested too deeply"))
            continue
        if not isinstance(value, dict):
            errors.append(TicketError(shown, n, "expected a JSON object with id and text"))
            continue
        yield n, value


def _json_records(
    raw: str, shown: str, errors: list[TicketError]
) -> Iterator[tuple[int, dict[str, Any]]]:
    try:
        value = json.loads(raw)
    except ValueError as exc:
        raise KBError(f"{shown}:{getattr(exc, 'lineno', 1)}: invalid JSON: {exc}") from None
    except RecursionError:
        raise KBError(f"{shown}:1: invalid JSON: nested too deeply") from None
    if isinstance(value, dict):  # Zendesk: {"tickets": [...]}; also {"results": [...]}
        lists = [v for k, v in value.items() if k in ("tickets", "results", "data")]
        value = lists[0] if lists else [value]
    if not isinstance(value, list):
        raise KBError(f'{shown}:1: expected a list of tickets or {{"tickets": [...]}}')
    for n, item in enumerate(value, 1):
        if not isinstance(item, dict):
            errors.append(TicketError(shown, n, "expected a JSON object with id and text"))
            continue
        yield n, item


def _csv_records(
    raw: str, shown: str, errors: list[TicketError]
) -> Iterator[tuple[int, dict[str, Any]]]:
    try:
        dialect: Any = csv.Sniffer().sniff(raw[:4096], delimiters=",;\t")
    except csv.Error:
        dialect = csv.excel
    reader = csv.reader(io.StringIO(raw, newline=""), dialect)
    try:
        header = next(reader)
    except StopIteration:
        return
    except csv.Error as exc:
        raise KBError(f"{shown}:1: cannot read the CSV header: {exc}") from None
    line = reader.line_num
    while True:
        start = line + 1
        try:
            cells = next(reader)
        except StopIteration:
            return
        except csv.Error as exc:
            errors.append(TicketError(shown, start, f"unreadable CSV row: {exc}"))
            line = reader.line_num
            continue
        line = reader.line_num
        if not any(c.strip() for c in cells):
            continue
        if len(cells) != len(header):
            errors.append(
                TicketError(shown, start, f"expected {len(header)} columns, found {len(cells)}")
            )
            continue
        yield start, dict(zip(header, cells, strict=True))


def _norm_key(key: str) -> str:
    return re.sub(r"[\s-]+", "_", str(key).strip().lower())


def _first(rec: dict[str, Any], keys: tuple[str, ...]) -> Any:
    for k in keys:
        v = rec.get(k)
        if v not in (None, "", []):
            return v
    return None


def ticket_from_record(record: dict[str, Any], where: str = "") -> Ticket:
    """Build a Ticket from one export row (Zendesk, Freshdesk, plain id,text); ValueError if unusable."""
    rec = {_norm_key(k): v for k, v in record.items()}
    tid = _first(rec, ID_KEYS)
    if tid is None or isinstance(tid, dict | list):
        raise ValueError("missing ticket id (expected a column 'id')")
    subject = _str(_first(rec, SUBJECT_KEYS))
    body_raw = _first(rec, TEXT_KEYS)
    if isinstance(body_raw, dict):  # Zendesk API: "comment": {"body": ...}
        body_raw = body_raw.get("body") or body_raw.get("plain_body")
    body = clean_text(_str(body_raw))
    subject = redact(" ".join(strip_html(subject).split()))
    if not subject and not body:
        raise ValueError(
            f"ticket {tid}: no text (expected 'subject' with 'description', "
            "'description_text', 'body' or 'text')"
        )
    lang = _str(_first(rec, LANG_KEYS)).strip().lower().split("-")[0].split("_")[0] or None
    return Ticket(
        id=str(tid).strip(),
        subject=subject,
        body=body,
        created=_str(_first(rec, CREATED_KEYS)),
        tags=_tags(_first(rec, TAG_KEYS)),
        lang=lang,
        where=where,
    )


def _str(value: Any) -> str:
    if value is None or isinstance(value, str):
        return value or ""
    try:
        return str(value)
    except RecursionError:  # a JSON value nested deeper than repr goes
        raise ValueError("a value is nested too deeply") from None


def _tags(value: Any) -> tuple[str, ...]:
    if value is None:
        return ()
    if isinstance(value, list):
        return tuple(_str(v).strip() for v in value if _str(v).strip())
    return tuple(t for t in re.split(r"[,;\s]+", str(value)) if t)


def find_ticket(path: Path | str, ticket_id: str) -> Ticket:
    """Return one ticket of a file by id; KBError naming file and id when it is not there."""
    tf = read_tickets(path)
    for t in tf.tickets:
        if t.id == str(ticket_id):
            return t
    shown = display_path(tf.path)
    bad = [e for e in tf.errors if f"ticket {ticket_id}:" in e.message]
    if bad:
        raise KBError(str(bad[0]))
    raise KBError(f"{shown}: no ticket with id {ticket_id!r} ({len(tf.tickets)} tickets read)")
