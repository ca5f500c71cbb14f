"""Reading support tickets: CSV, JSON and JSONL exports in Zendesk, Freshdesk and plain shapes."""

from __future__ import annotations

import csv
import json
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from kb.core.errors import KBError, display_path
from kb.suggest.cleaning import clean_text, redact, strip_html

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
MAX_LINE = 1 << 20  # characters: a longer physical line is skipped as one bad row, never held
MAX_RECORD = 8 << 20  # characters of one JSON ticket (or of a JSON file's non-ticket values)
MAX_ERRORS = 1000  # bad rows kept for messages; the rest are only counted
CHUNK = 1 << 16  # characters read at a time from a JSON file
LIST_KEYS = ("tickets", "results", "data")  # Zendesk {"tickets": [...]}; also results, data


class _TooLong(Exception):
    """A physical line longer than MAX_LINE (skipped, not read into memory)."""


class _Source:
    """A text file read in bounded pieces, counting the lines consumed (csv.reader reads it)."""

    def __init__(self, handle: Any) -> None:
        self.handle, self.line = handle, 0

    def __iter__(self) -> Iterator[str]:
        return self

    def __next__(self) -> str:
        """The next physical line; _TooLong (after skipping it) when it passes MAX_LINE."""
        line = self.handle.readline(MAX_LINE)
        if not line:
            raise StopIteration
        self.line += 1
        if len(line) >= MAX_LINE and not line.endswith(("\n", "\r")):
            while (rest := self.handle.readline(MAX_LINE)) and not rest.endswith("\n"):
                pass
            raise _TooLong(self.line)
        return line


class TicketStream:
    """The tickets of one file, read lazily (CSV, JSON, JSONL); bad rows counted, the first kept."""

    def __init__(self, path: Path | str) -> None:
        self.path = Path(path)
        self.shown = display_path(self.path)
        self.errors: list[TicketError] = []  # the first MAX_ERRORS bad rows
        self.error_count = 0
        self.read = 0  # tickets read so far

    def error(self, row: int, message: str) -> None:
        """Count one bad row; keep its message while fewer than MAX_ERRORS are kept."""
        self.error_count += 1
        if len(self.errors) < MAX_ERRORS:
            self.errors.append(TicketError(self.shown, row, message))

    def _open(self) -> Any:
        try:
            return self.path.open(encoding="utf-8-sig", newline="")
        except FileNotFoundError:
            raise KBError(f"{self.shown}: no such ticket file") from None
        except OSError as exc:
            raise KBError(f"{self.shown}: cannot read: {exc}") from None

    def __iter__(self) -> Iterator[Ticket]:
        src = _Source(None)
        try:
            with self._open() as handle:  # the head tells the format and the CSV delimiter
                head = handle.read(CHUNK)
            with self._open() as src.handle:
                for row, record in self._records(src, head):
                    try:
                        ticket = ticket_from_record(record, f"{self.shown}:{row}")
                    except ValueError as exc:
                        self.error(row, str(exc))
                        continue
                    self.read += 1
                    yield ticket
        except (UnicodeDecodeError, OSError) as exc:
            raise KBError(f"{self.shown}:{src.line + 1}: cannot read: {exc}") from None

    def _records(self, src: _Source, head: str) -> Iterator[tuple[int, dict[str, Any]]]:
        suffix = self.path.suffix.lower()
        stripped = head.lstrip()
        if suffix in (".jsonl", ".ndjson") or (suffix != ".csv" and _looks_jsonl(stripped)):
            return self._jsonl(src)
        if suffix == ".json" or stripped.startswith(("[", "{")):
            return _json_records(src, self)
        return self._csv(src, _delimiter(head))

    def _jsonl(self, src: _Source) -> Iterator[tuple[int, dict[str, Any]]]:
        while True:
            try:
                line = next(src)
            except StopIteration:
                return
            except _TooLong as exc:
                self.error(exc.args[0], f"line longer than {MAX_LINE:,} characters")
                continue
            if not line.strip():
                continue
            try:
                value = json.loads(line)
            except (ValueError, RecursionError) as exc:
                why = exc if isinstance(exc, ValueError) else "nested too deeply"
                self.error(src.line, f"invalid JSON: {why}")
                continue
            if isinstance(value, dict):
                yield src.line, value
            else:
                self.error(src.line, "expected a JSON object with id and text")

    def _csv(self, src: _Source, delimiter: str) -> Iterator[tuple[int, dict[str, Any]]]:
        reader = csv.reader(src, delimiter=delimiter, quotechar='"', doublequote=True)
        try:
            header = next(reader)
        except StopIteration:
            return
        except (csv.Error, _TooLong) as exc:
            raise KBError(f"{self.shown}:1: cannot read the CSV header: {exc}") from None
        line = src.line
        while True:
            start = line + 1
            try:
                cells = next(reader)
            except StopIteration:
                return
            except csv.Error as exc:
                self.error(start, f"unreadable CSV row: {exc}")
                line = src.line
                continue
            except _TooLong as exc:
                self.error(exc.args[0], f"line longer than {MAX_LINE:,} characters")
                line = src.line
                continue
            line = src.line
            if not any(c.strip() for c in cells):
                continue
            if len(cells) != len(header):
                self.error(start, f"expected {len(header)} columns, found {len(cells)}")
                continue
            yield start, dict(zip(header, cells, strict=True))


def read_tickets(path: Path | str) -> TicketFile:
    """Read every ticket of a CSV, JSON or JSONL file; bad rows become errors, the rest still load."""
    stream = TicketStream(path)
    out = TicketFile(stream.path, list(stream))
    out.errors = stream.errors
    return out


def _delimiter(head: str) -> str:
    """The CSV delimiter: the one of , ; and tab most common outside quotes on the header line."""
    line = re.sub(r'"[^"]*"', "", head.lstrip("\r\n")).split("\n", 1)[0]
    best = max(",;\t", key=line.count)
    return best if line.count(best) else ","


def _looks_jsonl(text: str) -> bool:
    first = text.split("\n", 1)[0].strip()
    if not (first.startswith("{") and first.endswith("}")):
        return False
    try:
        json.loads(first)
    except (ValueError, RecursionError):
        return False
    return "\n" in text.strip()


class _Json:
    """A JSON document decoded piece by piece: values are read one at a time, bounded."""

    def __init__(self, src: _Source, shown: str) -> None:
        self.src, self.shown = src, shown
        self.buf, self.pos, self.lines = "", 0, 0  # lines in the text dropped before buf
        self.decoder = json.JSONDecoder()

    def fail(self, message: str, pos: int | None = None) -> KBError:
        """A KBError naming the line of `pos` (default: the current position)."""
        at = self.pos if pos is None else pos
        return KBError(f"{self.shown}:{self.lines + self.buf.count(chr(10), 0, at) + 1}: {message}")

    def more(self) -> bool:
        """Read another chunk, dropping what was consumed; False at the end of the file."""
        piece = self.src.handle.read(CHUNK)
        if not piece:
            return False
        self.lines += self.buf.count("\n", 0, self.pos)
        self.buf, self.pos = self.buf[self.pos :] + piece, 0
        return True

    def peek(self) -> str:
        """The next character that is not white space ("" at the end)."""
        while True:
            while self.pos < len(self.buf) and self.buf[self.pos] in " \t\r\n":
                self.pos += 1
            if self.pos < len(self.buf) or not self.more():
                return self.buf[self.pos : self.pos + 1]

    def value(self) -> Any:
        """The next JSON value; KBError when it is invalid or longer than MAX_RECORD."""
        self.peek()
        while True:
            try:
                value, end = self.decoder.raw_decode(self.buf, self.pos)
            except RecursionError:
                raise self.fail("invalid JSON: nested too deeply") from None
            except ValueError as exc:
                if len(self.buf) - self.pos > MAX_RECORD:
                    raise self.fail(f"a JSON value longer than {MAX_RECORD:,} characters") from None
                if self.more():
                    continue
                raise self.fail(f"invalid JSON: {exc}", getattr(exc, "pos", None)) from None
            if end - self.pos > MAX_RECORD:
                raise self.fail(f"a JSON value longer than {MAX_RECORD:,} characters")
            at_end = end >= len(self.buf) and not isinstance(value, dict | list | str)
            if at_end and self.more():  # a number may go on in the next chunk
                continue
            self.pos = end
            return value

    def expect(self, chars: str) -> str:
        """The next character, which must be one of `chars`."""
        ch = self.peek()
        if not ch or ch not in chars:
            found = repr(ch) if ch else "the end of the file"
            raise self.fail(
                f"invalid JSON: expected {' or '.join(map(repr, chars))}, found {found}"
            )
        self.pos += 1
        return ch

    def items(self) -> Iterator[Any]:
        """The values of the array whose '[' was just read."""
        if self.peek() == "]":
            self.pos += 1
            return
        while True:
            yield self.value()
            if self.expect(",]") == "]":
                return


def _json_records(src: _Source, out: TicketStream) -> Iterator[tuple[int, dict[str, Any]]]:
    doc = _Json(src, out.shown)
    shape = KBError(f'{out.shown}:1: expected a list of tickets or {{"tickets": [...]}}')
    first = doc.peek()
    if first == "{":  # {"tickets": [...]} streamed; an object without such a list is one ticket
        doc.pos += 1
        whole: dict[str, Any] = {}
        items: Iterator[Any] | None = None
        while doc.peek() != "}" and items is None:
            key = doc.value()
            doc.expect(":")
            if key in LIST_KEYS:
                if doc.peek() != "[":
                    raise shape
                doc.pos += 1
                items = doc.items()
            elif len(whole) < 1000:  # an object without a list is one ticket; bounded
                whole[str(key)] = doc.value()
            else:
                raise doc.fail("a JSON object with more than 1,000 keys")
            if items is None and doc.expect(",}") == "}":
                doc.pos -= 1
        if items is None:
            doc.expect("}")
            items = iter([whole])
    elif first == "[":
        doc.pos += 1
        items = doc.items()
    else:
        doc.value()
        raise shape
    for n, item in enumerate(items, 1):
        if isinstance(item, dict):
            yield n, item
        else:
            out.error(n, "expected a JSON object with id and text")


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
    created, tags = _str(_first(rec, CREATED_KEYS)), _tags(_first(rec, TAG_KEYS))
    return Ticket(str(tid).strip(), subject, body, created, tags, lang, where)


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
    stream = TicketStream(path)
    found = next((t for t in stream if t.id == str(ticket_id)), None)
    if found is not None:
        return found
    bad = [e for e in stream.errors if f"ticket {ticket_id}:" in e.message]
    if bad:
        raise KBError(str(bad[0]))
    raise KBError(f"{stream.shown}: no ticket with id {ticket_id!r} ({stream.read} tickets read)")
