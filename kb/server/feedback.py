"""Article feedback ("Was this helpful?") stored durably in SQLite: `.kb/feedback.db`, WAL mode.

One row per vote: when, which article, the page language, helpful or not, a reason, an optional
comment (redacted) and a keyed hash of the client that changes every day (never a raw address).
`kb stale` reads the aggregates with `votes(settings, since=...)`.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import logging
import os
import secrets
import sqlite3
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from kb.core.errors import KBError, display_path

if TYPE_CHECKING:
    from kb.core.settings import Settings

log = logging.getLogger(__name__)

REASONS = ("outdated", "unclear", "missing", "other")
COMMENT_MAX = 1000
IMPORT_MAX = 1_000_000  # votes per article and kind an import stores
SCHEMA_VERSION = 1
SCHEMA = """
CREATE TABLE IF NOT EXISTS feedback (
    id INTEGER PRIMARY KEY,
    created TEXT NOT NULL,          -- UTC, ISO 8601 with seconds: 2025-01-31T14:05:09Z
    article TEXT NOT NULL,
    lang TEXT,
    helpful INTEGER NOT NULL CHECK (helpful IN (0, 1)),
    reason TEXT,
    comment TEXT,
    client TEXT                     -- keyed hash of the client address and the day
);
CREATE INDEX IF NOT EXISTS feedback_article ON feedback (article, created);
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
"""


def db_path(settings: Settings) -> Path:
    """Where the feedback database of a KB lives."""
    return settings.layout.feedback


@dataclass(frozen=True)
class Vote:
    """One stored vote."""

    id: int
    created: str
    article: str
    lang: str | None
    helpful: bool
    reason: str | None
    comment: str | None
    client: str | None


def _utc_now() -> dt.datetime:
    return dt.datetime.now(dt.UTC).replace(microsecond=0)


def _stamp(when: dt.datetime | dt.date) -> str:
    if not isinstance(when, dt.datetime):
        when = dt.datetime.combine(when, dt.time(), tzinfo=dt.UTC)
    if when.tzinfo is None:
        when = when.replace(tzinfo=dt.UTC)
    return when.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def connect(
    path: Path,
    schema: str,
    name: str,
    *,
    create: bool = True,
    durable: bool = False,
    version: int | None = None,
) -> sqlite3.Connection:
    """One of kb serve's SQLite databases, open in WAL mode with `schema` applied.

    `durable`: each commit reaches the disk (synchronous=FULL). Problems are a KBError naming
    the file and the database (`name`): missing (without `create`) or not openable.
    """
    if create:
        path.parent.mkdir(parents=True, exist_ok=True)
    elif not path.is_file():
        raise KBError(f"{display_path(path)}: no {name} database")
    try:
        conn = sqlite3.connect(path, timeout=10, check_same_thread=False)
        conn.execute("PRAGMA journal_mode=WAL")
        if durable:
            conn.execute("PRAGMA synchronous=FULL")
        conn.executescript(schema)
        if version is not None:
            conn.execute(f"PRAGMA user_version={int(version)}")
        conn.commit()
    except sqlite3.Error as exc:
        raise KBError(f"{display_path(path)}: cannot open the {name} database: {exc}") from None
    return conn


class FeedbackStore:
    """A connection to the feedback database; safe to share between threads."""

    def __init__(self, path: Path, *, create: bool = True) -> None:
        self.path = path
        self._lock = threading.Lock()
        # durable: a vote survives a power cut
        self._conn = connect(
            path, SCHEMA, "feedback", create=create, durable=True, version=SCHEMA_VERSION
        )
        try:
            self._key = self._secret()
        except sqlite3.Error as exc:
            raise KBError(
                f"{display_path(path)}: cannot open the feedback database: {exc}"
            ) from None

    def _secret(self) -> bytes:
        row = self._conn.execute("SELECT value FROM meta WHERE key = 'client_key'").fetchone()
        if row:
            return bytes.fromhex(row[0])
        key = secrets.token_hex(32)
        self._conn.execute("INSERT OR IGNORE INTO meta VALUES ('client_key', ?)", (key,))
        self._conn.commit()
        return self._secret()

    def client_hash(self, client: str, day: dt.date | None = None) -> str:
        """A keyed hash of a client address for one day: counts repeat votes, reveals no address."""
        day = day or _utc_now().date()
        msg = f"{day.isoformat()}|{client}".encode()
        return hmac.new(self._key, msg, hashlib.sha256).hexdigest()[:16]

    def record(
        self,
        article: str,
        helpful: bool,
        *,
        reason: str | None = None,
        lang: str | None = None,
        comment: str | None = None,
        client: str | None = None,
        when: dt.datetime | None = None,
    ) -> int:
        """Store one vote (committed before returning) and return its row id."""
        if reason is not None and reason not in REASONS:
            raise ValueError(f"reason must be one of {', '.join(REASONS)}")
        when = when or _utc_now()
        hashed = self.client_hash(client, when.date()) if client else None
        if comment:
            from kb.suggest.cleaning import redact

            comment = redact(comment.strip())[:COMMENT_MAX] or None
        with self._lock:
            cur = self._conn.execute(
                "INSERT INTO feedback (created, article, lang, helpful, reason, comment, client)"
                " VALUES (?, ?, ?, ?, ?, ?, ?)",
                (_stamp(when), article, lang, int(bool(helpful)), reason, comment or None, hashed),
            )
            self._conn.commit()
            return int(cur.lastrowid or 0)

    def replace_imported(
        self,
        article: str,
        source: str,
        helpful: int,
        not_helpful: int,
        *,
        lang: str | None = None,
        when: dt.date | dt.datetime | None = None,
    ) -> int:
        """An import's vote totals as history rows (client `import:SOURCE`), replacing earlier ones.

        One row per vote, dated `when` (the article's last update in the old help centre), so
        `kb stale` counts them like readers' votes; a second import replaces, never adds.
        """
        helpful, not_helpful = (
            max(0, min(helpful, IMPORT_MAX)),
            max(0, min(not_helpful, IMPORT_MAX)),
        )
        stamp = _stamp(when or _utc_now())
        client = f"import:{source}"
        rows = [(stamp, article, lang, 1, None, None, client)] * helpful
        rows += [(stamp, article, lang, 0, None, None, client)] * not_helpful
        with self._lock:
            self._conn.execute(
                "DELETE FROM feedback WHERE article = ? AND client = ?", (article, client)
            )
            self._conn.executemany(
                "INSERT INTO feedback (created, article, lang, helpful, reason, comment, client)"
                " VALUES (?, ?, ?, ?, ?, ?, ?)",
                rows,
            )
            self._conn.commit()
        return len(rows)

    def rows(self, since: dt.datetime | dt.date | None = None) -> Iterator[Vote]:
        """Every vote (since a time, if given), oldest first."""
        sql = "SELECT id, created, article, lang, helpful, reason, comment, client FROM feedback"
        args: tuple[Any, ...] = ()
        if since is not None:
            sql += " WHERE created >= ?"
            args = (_stamp(since),)
        with self._lock:
            found = self._conn.execute(sql + " ORDER BY id", args).fetchall()
        for r in found:
            yield Vote(r[0], r[1], r[2], r[3], bool(r[4]), r[5], r[6], r[7])

    def votes(self, since: dt.datetime | dt.date | None = None) -> dict[str, dict[str, Any]]:
        """Aggregates per article: {"helpful": n, "not_helpful": n, "reasons": {reason: n}}."""
        sql = "SELECT article, helpful, reason, COUNT(*) FROM feedback"
        args: tuple[Any, ...] = ()
        if since is not None:
            sql += " WHERE created >= ?"
            args = (_stamp(since),)
        with self._lock:
            found = self._conn.execute(sql + " GROUP BY article, helpful, reason", args).fetchall()
        out: dict[str, dict[str, Any]] = {}
        for article, helpful, reason, n in found:
            agg = out.setdefault(article, {"helpful": 0, "not_helpful": 0, "reasons": {}})
            agg["helpful" if helpful else "not_helpful"] += n
            if reason and not helpful:
                agg["reasons"][reason] = agg["reasons"].get(reason, 0) + n
        return out

    def count(self) -> int:
        """Number of stored votes."""
        with self._lock:
            return int(self._conn.execute("SELECT COUNT(*) FROM feedback").fetchone()[0])

    def close(self) -> None:
        """Close the connection."""
        with self._lock:
            self._conn.close()

    def __enter__(self) -> FeedbackStore:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def open_store(settings: Settings) -> FeedbackStore:
    """Open (creating if needed) the feedback database of a KB."""
    return FeedbackStore(db_path(settings))


def votes(
    settings: Settings, since: dt.datetime | dt.date | None = None
) -> dict[str, dict[str, Any]]:
    """Aggregated votes per article id; {} when nobody has voted yet (no database)."""
    path = db_path(settings)
    if not path.is_file() or os.path.getsize(path) == 0:
        return {}
    with FeedbackStore(path, create=False) as store:
        return store.votes(since)
