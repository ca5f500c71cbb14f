"""Agents' KCS events: an article linked to a ticket, and an article flagged ("flag it or fix it").

`POST /api/links` and `POST /api/flags` take them from the ticket assistant (internal only:
a signed-in agent or the API token) and store them in SQLite, `.kb/agents.db` (WAL mode,
durable commits). `GET /api/flags` lists the open flags, the caller's own with `?mine=1`.
`kb stale` reads them with `load_kcs_events(settings, since=...)` for link rate, reuse per
article, flags per article and time to fix.
"""

from __future__ import annotations

import datetime as dt
import os
import re
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from kb.server.auth import signed_in
from kb.server.feedback import connect
from kb.server.input import ApiError, get_lang, need_text, read_json

if TYPE_CHECKING:
    from kb.core.settings import Settings
    from kb.server.options import ServerOptions
    from kb.server.snapshot import Snapshot

REASONS = ("outdated", "wrong", "unclear", "other")
COMMENT_MAX = 2000
AGENT_MAX = 200
TICKET_PATTERN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.#:/-]{0,99}$")  # helpdesk ids: 123, T-1001
LIST_MAX = 200  # flags one GET returns
SCHEMA = """
CREATE TABLE IF NOT EXISTS links (
    id INTEGER PRIMARY KEY,
    at TEXT NOT NULL,               -- UTC, ISO 8601 seconds
    ticket TEXT NOT NULL,
    article TEXT NOT NULL,          -- the article's source id (translations are one article)
    lang TEXT,
    agent TEXT,
    UNIQUE (ticket, article)
);
CREATE TABLE IF NOT EXISTS flags (
    id INTEGER PRIMARY KEY,
    at TEXT NOT NULL,
    article TEXT NOT NULL,
    reason TEXT NOT NULL,
    comment TEXT,
    ticket TEXT,
    agent TEXT
);
CREATE INDEX IF NOT EXISTS links_at ON links (at);
CREATE INDEX IF NOT EXISTS flags_article ON flags (article, at);
"""


def db_path(settings: Settings) -> Path:
    """Where the agents' events database of a KB lives."""
    return settings.layout.agents


def _now() -> str:
    return dt.datetime.now(dt.UTC).replace(microsecond=0).isoformat()


@dataclass(frozen=True)
class Flag:
    """One flag on an article, as stored."""

    id: int
    at: str
    article: str
    reason: str
    comment: str
    ticket: str | None
    agent: str | None

    def to_dict(self) -> dict[str, Any]:
        """The flag as JSON."""
        return dict(self.__dict__)


class KcsStore:
    """A connection to the agents' events database; safe to share between threads."""

    def __init__(self, path: Path, *, create: bool = True) -> None:
        self.path = path
        self._lock = threading.Lock()
        self._conn = connect(path, SCHEMA, "agents' events", create=create, durable=True)

    def link(
        self, ticket: str, article: str, lang: str | None, agent: str | None, at: str = ""
    ) -> bool:
        """Record that `article` answered `ticket`; False when that link was there already."""
        with self._lock:
            cur = self._conn.execute(
                "INSERT OR IGNORE INTO links (at, ticket, article, lang, agent)"
                " VALUES (?, ?, ?, ?, ?)",
                (at or _now(), ticket, article, lang, agent),
            )
            self._conn.commit()
            return cur.rowcount > 0

    def flag(
        self,
        article: str,
        reason: str,
        comment: str,
        ticket: str | None,
        agent: str | None,
        at: str = "",
    ) -> int:
        """Record a flag on `article`; return its id."""
        with self._lock:
            cur = self._conn.execute(
                "INSERT INTO flags (at, article, reason, comment, ticket, agent)"
                " VALUES (?, ?, ?, ?, ?, ?)",
                (at or _now(), article, reason, comment, ticket, agent),
            )
            self._conn.commit()
            return int(cur.lastrowid or 0)

    def _rows(self, sql: str, *params: Any) -> list[tuple[Any, ...]]:
        with self._lock:
            return self._conn.execute(sql, params).fetchall()

    def links(self, since: dt.date | None = None) -> list[dict[str, Any]]:
        """Every link (oldest first) since `since`."""
        rows = self._rows(
            "SELECT at, ticket, article, lang, agent FROM links WHERE at >= ? ORDER BY at, id",
            since.isoformat() if since else "",
        )
        return [
            dict(zip(("at", "ticket", "article", "lang", "agent"), r, strict=True)) for r in rows
        ]

    def flags(
        self, since: dt.date | None = None, agent: str | None = None, limit: int = 0
    ) -> list[Flag]:
        """Flags since `since` (newest first), only `agent`'s when given, at most `limit` (0: all)."""
        sql = "SELECT id, at, article, reason, comment, ticket, agent FROM flags WHERE at >= ?"
        params: list[Any] = [since.isoformat() if since else ""]
        if agent is not None:
            sql += " AND agent = ?"
            params.append(agent)
        sql += " ORDER BY at DESC, id DESC" + (" LIMIT ?" if limit else "")
        rows = self._rows(sql, *params, *([limit] if limit else []))
        return [Flag(r[0], r[1], r[2], r[3], r[4] or "", r[5], r[6]) for r in rows]

    def count(self) -> int:
        """Links and flags stored."""
        return sum(int(self._rows(f"SELECT COUNT(*) FROM {t}")[0][0]) for t in ("links", "flags"))

    def close(self) -> None:
        """Close the connection."""
        with self._lock:
            self._conn.close()

    def __enter__(self) -> KcsStore:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def load_kcs_events(settings: Settings, since: dt.date | None = None) -> dict[str, Any] | None:
    """The stored links and flags for `kb stale`; None when nothing was ever recorded."""
    path = db_path(settings)
    if not path.is_file() or os.path.getsize(path) == 0:
        return None
    with KcsStore(path, create=False) as store:
        if not store.count():
            return None
        return {
            "links": store.links(since),
            "flags": [f.to_dict() for f in store.flags(since)],
        }


# -- the endpoints ----------------------------------------------------------------------------
class ApiLike(Protocol):
    """What these endpoints use of kb.server.api.Api."""

    options: ServerOptions
    languages: list[str]

    def internal(self, request: Request) -> bool: ...

    def snapshot(self, request: Request) -> Snapshot: ...


def ticket_id(value: Any, fld: str = "ticket") -> str:
    """A helpdesk ticket id as given (letters, digits and . _ # : / -), or a 400."""
    if not isinstance(value, str) or not TICKET_PATTERN.match(value.strip()):
        raise ApiError(400, f"{fld}: expected a ticket id such as 1234 or T-1001", fld)
    return value.strip()


class KcsApi:
    """POST /api/links, POST /api/flags and GET /api/flags: agents only."""

    def __init__(self, api: ApiLike, store: KcsStore) -> None:
        self.api = api
        self.store = store

    def _agent(self, request: Request) -> str | None:
        if not self.api.internal(request):
            raise ApiError(401, "sign in (or send the API token) to link and flag articles")
        who = signed_in(request)  # the agent's name; None for the API token
        return who.name[:AGENT_MAX] if who is not None and who.name else None

    def _article(self, request: Request, body: dict[str, Any]) -> str:
        aid = need_text(body, "article", 200).strip()
        snap = self.api.snapshot(request)
        a = snap.kb.get(aid) if snap.kb is not None else None
        if a is None or not a.is_live:
            raise ApiError(404, f"no article with id {aid!r}", "article")
        return a.source_id

    async def link(self, request: Request) -> Response:
        """Link an article to a ticket: 201 when new, 200 when it was linked already."""
        agent = self._agent(request)
        body = await read_json(request, self.api.options.max_body, self.api.options.body_timeout)
        ticket = ticket_id(body.get("ticket"))
        article = self._article(request, body)
        lang = get_lang(body.get("lang"), self.api.languages)
        new = await run_in_threadpool(self.store.link, ticket, article, lang, agent)
        out = {"ticket": ticket, "article": article, "linked": True}
        return JSONResponse(out, status_code=201 if new else 200)

    async def flag(self, request: Request) -> Response:
        """Flag an article as outdated, wrong or unclear, with a comment: 201."""
        agent = self._agent(request)
        body = await read_json(request, self.api.options.max_body, self.api.options.body_timeout)
        article = self._article(request, body)
        reason = body.get("reason")
        if reason not in REASONS:
            raise ApiError(400, f"reason: expected one of {', '.join(REASONS)}", "reason")
        comment = body.get("comment") or ""
        if not isinstance(comment, str) or len(comment) > COMMENT_MAX:
            raise ApiError(400, f"comment: expected text of at most {COMMENT_MAX} characters")
        ticket = ticket_id(body["ticket"]) if body.get("ticket") else None
        args = (article, reason, comment.strip(), ticket, agent)
        fid = await run_in_threadpool(self.store.flag, *args)
        return JSONResponse({"id": fid, "article": article, "reason": reason}, status_code=201)

    async def flags(self, request: Request) -> Response:
        """/api/flags: GET lists them, POST adds one."""
        return await (self.list_flags if request.method in ("GET", "HEAD") else self.flag)(request)

    async def list_flags(self, request: Request) -> Response:
        """The newest flags; `?mine=1`: only those of the signed-in agent."""
        agent = self._agent(request)
        mine = request.query_params.get("mine") in ("1", "true")
        if mine and agent is None:
            return JSONResponse({"flags": []})
        flags = await run_in_threadpool(self.store.flags, None, agent if mine else None, LIST_MAX)
        snap = self.api.snapshot(request)

        def shown(f: Flag) -> dict[str, Any]:
            a = snap.kb.get(f.article) if snap.kb is not None else None
            return f.to_dict() | {"title": a.title if a else None, "url": a.url if a else None}

        return JSONResponse({"flags": [shown(f) for f in flags]})
