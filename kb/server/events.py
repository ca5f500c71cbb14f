"""Site analytics without personal data: searches, clicks and the contact page's deflections.

`POST /api/events` takes one event of the site's scripts (see EVENTS) and stores it in SQLite,
`.kb/events.db` (WAL mode). Nothing about the reader is kept: no address, user agent, cookie or
time of day (the day only). Queries are cut to QUERY_STORED characters, folded to lower case, and
e-mail addresses, phone numbers, long digit runs and order-number-like tokens are replaced.
`kb stale` reads the aggregates with `load_events(settings, since=...)`.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import re
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response

from kb.server.feedback import connect
from kb.server.input import ApiError, get_int, get_lang, kind_of, need_text, read_json
from kb.server.ratelimit import Rate
from kb.suggest.cleaning import redact

if TYPE_CHECKING:
    from kb.core.settings import Settings
    from kb.server.options import ServerOptions
    from kb.server.ratelimit import RateLimiter

EVENTS_RATE = Rate(2.0, 60.0)  # events per client: a burst of 60, then two a second
QUERY_MAX = 500  # longest query accepted (as GET /api/search)
QUERY_STORED = 200  # longest query kept, after redaction
REF_MAX = 300  # longest article id or URL kept
LIST_MAX = 20  # most articles in one suggestions or submission event
TOP = 20  # rows of each list `kb stale` shows
# event name -> (required fields, optional fields); "event" itself is always there
EVENTS: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    "search": (("query", "results"), ("lang",)),
    "click": (("query", "url"), ("lang", "rank")),
    "suggestions": (("articles",), ("lang", "source")),
    "deflection": (("article",), ("lang", "source")),
    "submission": ((), ("lang", "suggested", "source")),
}
# the patterns of the OpenAPI description, matched as JSON Schema does (re.search)
SOURCE_PATTERN = "^[a-z][a-z0-9_-]{0,31}$"
ARTICLE_PATTERN = "^[A-Za-z0-9_.-]{1,200}$"
PATH_PATTERN = "^/([^/]|$)"  # a path of the site: /en/page/ (not //host/)
TOKEN = re.compile(r"[#\w][\w#/.-]*")  # a word with the characters order numbers carry
SCHEMA = """
CREATE TABLE IF NOT EXISTS events (
    id INTEGER PRIMARY KEY,
    day TEXT NOT NULL,              -- UTC date only: 2025-01-31
    event TEXT NOT NULL,
    lang TEXT,
    query TEXT,                     -- redacted, lower case, at most 200 characters
    results INTEGER,
    url TEXT,                       -- a path of the site, never its query string
    rank INTEGER,
    items TEXT,                     -- JSON list of article ids or paths
    source TEXT
);
CREATE INDEX IF NOT EXISTS events_kind ON events (event, day);
"""


def db_path(settings: Settings) -> Path:
    """Where the events database of a KB lives."""
    return settings.layout.events


# -- cleaning ---------------------------------------------------------------------------------
def _token(m: re.Match[str]) -> str:
    word = m.group()
    digits = sum(c.isdigit() for c in word)
    if digits >= 5 or (digits >= 3 and (digits < len(word) or word.startswith("#"))):
        return "[number]"  # 123456, BC-2093, ORD1234, #4521; not 2024, iphone 15 or win11
    return word


def scrub_query(text: str) -> str:
    """A query as stored: personal data out, white space folded, lower case, cut to length."""
    text = " ".join(text[: QUERY_MAX * 2].split())
    text = TOKEN.sub(_token, redact(text))
    return text.lower()[:QUERY_STORED].strip()


def site_path(value: str, name: str) -> str:
    """The path of a site URL ("/nl/x/"), without its query string or fragment; 400 otherwise."""
    if not re.search(PATH_PATTERN, value):
        raise ApiError(400, f"{name}: expected a path of the site such as /en/page/", name)
    return value.split("#", 1)[0].split("?", 1)[0][:REF_MAX]


def _ref(value: Any, name: str) -> str:
    """An article id ("reset-password") or the path of its page ("/en/account/reset-password/")."""
    if not isinstance(value, str):
        raise ApiError(400, f"{name}: expected a string, got {kind_of(value)}", name)
    if len(value) > 2000:
        raise ApiError(400, f"{name}: longer than 2000 characters", name)
    if value.startswith("/"):
        return site_path(value, name)
    if not re.search(ARTICLE_PATTERN, value):
        raise ApiError(400, f"{name}: expected an article id or the path of its page", name)
    return value.strip()


def _refs(body: dict[str, Any], name: str) -> list[str]:
    value = body.get(name)
    if value is None:
        return []
    if not isinstance(value, list):
        raise ApiError(400, f"{name}: expected an array, got {kind_of(value)}", name)
    if len(value) > LIST_MAX:
        raise ApiError(400, f"{name}: more than {LIST_MAX} articles", name)
    return [_ref(v, name) for v in value]


@dataclass(frozen=True)
class Event:
    """One checked event, as stored."""

    event: str
    lang: str | None = None
    query: str | None = None
    results: int | None = None
    url: str | None = None
    rank: int | None = None
    items: tuple[str, ...] = ()
    source: str | None = None


def parse_event(body: dict[str, Any], languages: list[str]) -> Event:
    """Check one event body; ApiError 400 naming the field for anything unexpected."""
    kind = body.get("event")
    if not isinstance(kind, str) or kind not in EVENTS:
        shown = kind if isinstance(kind, str) else kind_of(kind)
        raise ApiError(400, f"event: {shown!r} is not one of {', '.join(EVENTS)}", "event")
    required, optional = EVENTS[kind]
    for key in body:
        if key != "event" and key not in required and key not in optional:
            raise ApiError(400, f"{key}: not a field of a {kind} event", key)
    for key in required:
        if body.get(key) is None:
            raise ApiError(400, f"{key}: required for a {kind} event", key)
    query = None
    if "query" in required:
        query = scrub_query(need_text(body, "query", QUERY_MAX))
    source = body.get("source")
    if source is not None and not (isinstance(source, str) and re.search(SOURCE_PATTERN, source)):
        raise ApiError(400, "source: expected a short name such as contact", "source")
    items = _refs(body, "articles") + _refs(body, "suggested")
    return Event(
        event=kind,
        lang=get_lang(body.get("lang"), languages),
        query=query,
        results=get_int(body.get("results"), "results", 0, 0, 100_000)
        if kind == "search"
        else None,
        url=site_path(need_text(body, "url", 2000), "url") if kind == "click" else None,
        rank=get_int(body["rank"], "rank", 0, 1, 1000) if body.get("rank") is not None else None,
        items=(_ref(body["article"], "article"),) if kind == "deflection" else tuple(items),
        source=source.strip() if source else None,
    )


# -- the store --------------------------------------------------------------------------------
class EventStore:
    """A connection to the events database; safe to share between threads."""

    def __init__(self, path: Path, *, create: bool = True) -> None:
        self.path = path
        self._lock = threading.Lock()
        self._conn = connect(path, SCHEMA, "events", create=create)

    def record(self, e: Event, day: dt.date | None = None) -> int:
        """Store one event (committed before returning); return its row id."""
        day = day or dt.datetime.now(dt.UTC).date()
        row = (day.isoformat(), e.event, e.lang, e.query, e.results, e.url, e.rank)
        items = json.dumps(list(e.items)) if e.items else None
        with self._lock:
            cur = self._conn.execute(
                "INSERT INTO events (day, event, lang, query, results, url, rank, items, source)"
                " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (*row, items, e.source),
            )
            self._conn.commit()
            return int(cur.lastrowid or 0)

    def _all(self, sql: str, since: dt.date | None, *args: Any) -> list[tuple[Any, ...]]:
        where, params = ("day >= ?", (since.isoformat(),)) if since else ("1", ())
        with self._lock:
            return self._conn.execute(sql.format(where=where), params + args).fetchall()

    def count(self, event: str | None = None) -> int:
        """Number of stored events (of one kind)."""
        sql = "SELECT COUNT(*) FROM events WHERE {where}" + (" AND event = ?" if event else "")
        return int(self._all(sql, None, *([event] if event else []))[0][0])

    def searches(self, since: dt.date | None = None, limit: int = TOP) -> dict[str, Any]:
        """Top searches, searches without a result and searches whose results nobody clicked."""
        groups = (
            "SELECT lang, query, COUNT(*) AS n, SUM(results = 0), ROUND(AVG(results), 1)"
            " FROM events WHERE {where} AND event = 'search' GROUP BY lang, query"
        )
        clicks = (
            "SELECT lang, query, COUNT(*) FROM events WHERE {where} AND event = 'click'"
            " GROUP BY lang, query"
        )
        clicked = {(r[0], r[1]): int(r[2]) for r in self._all(clicks, since)}
        rows = self._all(groups + " ORDER BY n DESC, query LIMIT ?", since, 5000)

        def entry(r: tuple[Any, ...]) -> dict[str, Any]:
            n_clicks = clicked.get((r[0], r[1]), 0)
            return {"query": r[1], "lang": r[0], "searches": r[2], "results": r[4]} | {
                "no_result": int(r[3] or 0),
                "clicks": n_clicks,
            }

        total = self._all(
            "SELECT COUNT(*), SUM(results = 0) FROM events WHERE {where} AND event = 'search'",
            since,
        )[0]
        return {
            "searches": int(total[0] or 0),
            "no_result_searches": int(total[1] or 0),
            "clicks": sum(clicked.values()),
            "top": [entry(r) for r in rows[:limit]],
            "no_results": [entry(r) for r in rows if r[3] == r[2]][:limit],
            "not_clicked": [
                entry(r) for r in rows if r[3] < r[2] and not clicked.get((r[0], r[1]))
            ][:limit],
        }

    def no_result_queries(self, since: dt.date | None = None) -> list[dict[str, Any]]:
        """Every query that never found anything, with how often it was searched (gap input)."""
        sql = (
            "SELECT lang, query, COUNT(*) AS n FROM events WHERE {where} AND event = 'search'"
            " GROUP BY lang, query HAVING MAX(results) = 0 ORDER BY n DESC LIMIT ?"
        )
        rows = self._all(sql, since, 5000)
        return [{"lang": r[0], "query": r[1], "searches": r[2]} for r in rows]

    def self_service(self, since: dt.date | None = None) -> dict[str, Any]:
        """Counts of the contact page's events: suggestions shown, deflections, submissions."""
        sql = (
            "SELECT event, COUNT(*), SUM(json_array_length(COALESCE(items, '[]')))"
            " FROM events WHERE {where} AND event IN ('suggestions', 'deflection', 'submission')"
            " GROUP BY event"
        )
        got = {r[0]: (int(r[1]), int(r[2] or 0)) for r in self._all(sql, since)}
        per = (
            "SELECT items, COUNT(*) AS n FROM events WHERE {where} AND event = 'deflection'"
            " GROUP BY items ORDER BY n DESC LIMIT ?"
        )
        return {
            "suggestions": got.get("suggestions", (0, 0))[0],
            "articles_suggested": got.get("suggestions", (0, 0))[1],
            "deflections": got.get("deflection", (0, 0))[0],
            "submissions": got.get("submission", (0, 0))[0],
            "deflected_by": [
                {"article": json.loads(r[0])[0], "deflections": r[1]}
                for r in self._all(per, since, TOP)
                if r[0]
            ],
        }

    def close(self) -> None:
        """Close the connection."""
        with self._lock:
            self._conn.close()

    def __enter__(self) -> EventStore:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def load_events(settings: Settings, since: dt.date | None = None) -> dict[str, Any] | None:
    """What `kb stale` shows of the events; None when nothing was ever recorded (no database)."""
    path = db_path(settings)
    if not path.is_file() or os.path.getsize(path) == 0:
        return None
    with EventStore(path, create=False) as store:
        if not store.count():
            return None
        return {
            "searches": store.searches(since),
            "no_result_queries": store.no_result_queries(since),
            "self_service": store.self_service(since),
        }


# -- the endpoint -----------------------------------------------------------------------------
class ApiLike(Protocol):
    """What these endpoints use of kb.server.api.Api (not imported: it imports the OpenAPI spec)."""

    options: ServerOptions
    languages: list[str]
    limiter: RateLimiter

    def internal(self, request: Request) -> bool: ...

    def throttle(self, request: Request, bucket: str) -> None: ...


class EventsApi:
    """POST /api/events: one event in, 204 out."""

    def __init__(self, api: ApiLike, store: EventStore) -> None:
        self.api = api
        self.store = store
        api.limiter.rates.setdefault("events", EVENTS_RATE)

    async def post(self, request: Request) -> Response:
        """Check and store one event; nothing about the client is kept."""
        self.api.internal(request)  # a wrong token is a 401 here as everywhere
        self.api.throttle(request, "events")
        options = self.api.options
        body = await read_json(request, options.max_body, options.body_timeout)
        event = parse_event(body, self.api.languages)
        await run_in_threadpool(self.store.record, event)
        return Response(status_code=204)
