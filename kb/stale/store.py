"""The ticket store of `kb stale`: ticket vectors by text and model, answers by KB state (SQLite).

One SQLite file in the cache folder (`Caches.tickets`), read row by row, never loaded whole:

- `vectors`: a ticket's query vector, keyed by the model's query id, the ticket's language and
  its text. It does not depend on the articles, so after a KB edit no ticket is embedded again;
  only the matching (dot products and keyword search) is redone.
- `answers`: the suggester's answer (abstained, best candidates) per ticket text, valid for one
  KB state (`kb_key`: model, fusion settings, every live article). With the KB unchanged only
  tickets not seen before are answered; a run under another KB state empties the table.

Each batch is written in one transaction, so a run stopped half-way leaves every committed
batch valid and nothing half-written. An unreadable or unwritable store only means no cache.
"""

from __future__ import annotations

import json
import logging
import sqlite3
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from kb.core.cache import digest
from kb.core.lang import guess_lang
from kb.stale.matching import Answer
from kb.suggest.suggester import Suggester

if TYPE_CHECKING:
    import numpy as np

log = logging.getLogger(__name__)
VERSION = "1"
SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (name TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS vectors (key TEXT PRIMARY KEY, vec BLOB NOT NULL);
CREATE TABLE IF NOT EXISTS answers (key TEXT PRIMARY KEY, answer TEXT NOT NULL);
"""


def query_id(embedder: Any) -> str:
    """The id of an embedder's ticket vectors (its `query_id`, else its `model_id`)."""
    return str(getattr(embedder, "query_id", embedder.model_id))


def vector_key(model: str, lang: str, text: str) -> str:
    """The key of one ticket's vector: model query id, language and text."""
    return digest(model, lang, text, size=32)


class TicketStore:
    """Ticket vectors and answers in one SQLite file; every method is a no-op once it failed."""

    def __init__(self, path: Path | None) -> None:
        self.path = path
        self.db: sqlite3.Connection | None = None
        self.answer_hits = self.vector_hits = 0
        if path is not None:
            self.db = self._open(path)

    def _open(self, path: Path) -> sqlite3.Connection | None:
        for attempt in (1, 2):
            try:
                path.parent.mkdir(parents=True, exist_ok=True)
                db = sqlite3.connect(path, timeout=60, check_same_thread=False)
                with db:
                    db.executescript(SCHEMA)
                    row = db.execute("SELECT value FROM meta WHERE name='version'").fetchone()
                    if row is None or row[0] != VERSION:
                        db.execute("DELETE FROM vectors")
                        db.execute("DELETE FROM answers")
                        db.execute("INSERT OR REPLACE INTO meta VALUES ('version', ?)", (VERSION,))
                return db
            except sqlite3.DatabaseError as exc:  # damaged or not a database: start afresh
                log.warning("ticket store %s unreadable (%s), starting afresh", path, exc)
                if attempt == 2:
                    return None
                path.unlink(missing_ok=True)
            except (OSError, sqlite3.Error) as exc:  # a read-only folder only means no cache
                log.info("ticket store %s not used: %s", path, exc)
                return None
        return None

    def _failed(self, exc: Exception) -> None:
        log.warning("ticket store %s not used from here on: %s", self.path, exc)
        if self.db is not None:
            self.db.close()
        self.db = None

    def use_answers(self, kb_key: str) -> None:
        """Keep the answers only when they were given for this KB state; else empty them."""
        if self.db is None:
            return
        try:
            with self.db:
                row = self.db.execute("SELECT value FROM meta WHERE name='kb_key'").fetchone()
                if row is None or row[0] != kb_key:
                    self.db.execute("DELETE FROM answers")
                    self.db.execute("INSERT OR REPLACE INTO meta VALUES ('kb_key', ?)", (kb_key,))
        except sqlite3.Error as exc:
            self._failed(exc)

    def _rows(self, table: str, keys: Sequence[str]) -> list[tuple[str, Any]]:
        if self.db is None or not keys:
            return []
        unique = list(dict.fromkeys(keys))
        out: list[tuple[str, Any]] = []
        try:
            for start in range(0, len(unique), 900):
                part = unique[start : start + 900]
                marks = ",".join("?" * len(part))
                sql = f"SELECT key, {'vec' if table == 'vectors' else 'answer'} FROM {table} "
                out += self.db.execute(f"{sql}WHERE key IN ({marks})", part).fetchall()
        except sqlite3.Error as exc:
            self._failed(exc)
            return []
        return out

    def _write(self, table: str, rows: list[tuple[str, Any]]) -> None:
        if self.db is None or not rows:
            return
        try:
            with self.db:  # one transaction: all of the batch or none of it
                self.db.executemany(f"INSERT OR REPLACE INTO {table} VALUES (?, ?)", rows)
        except sqlite3.Error as exc:
            self._failed(exc)

    def answers(self, keys: Sequence[str]) -> dict[str, Answer]:
        """The stored answers of these keys (missing keys are left out)."""
        out: dict[str, Answer] = {}
        for key, raw in self._rows("answers", keys):
            try:
                abstained, top = json.loads(raw)
                out[key] = (bool(abstained), tuple((str(i), float(c)) for i, c in top))
            except (ValueError, TypeError):
                continue  # a damaged row is a miss
        self.answer_hits += sum(1 for k in keys if k in out)
        return out

    def put_answers(self, answers: Mapping[str, Answer]) -> None:
        """Store answers (one transaction)."""
        rows = [(k, json.dumps([a, [[i, c] for i, c in top]])) for k, (a, top) in answers.items()]
        self._write("answers", rows)

    def vectors(self, keys: Sequence[str], dim: int | None = None) -> dict[str, np.ndarray]:
        """The stored vectors of these keys (float32; rows of another length are misses)."""
        import numpy as np

        out = {}
        for key, raw in self._rows("vectors", keys):
            vec = np.frombuffer(raw, dtype=np.float32)
            if len(vec) and (dim is None or len(vec) == dim):
                out[key] = vec
        self.vector_hits += sum(1 for k in keys if k in out)
        return out

    def put_vectors(self, vectors: Mapping[str, np.ndarray]) -> None:
        """Store vectors (one transaction)."""
        import numpy as np

        rows = [(k, np.asarray(v, dtype=np.float32).tobytes()) for k, v in vectors.items()]
        self._write("vectors", rows)

    def close(self) -> None:
        """Close the database."""
        if self.db is not None:
            self.db.close()
            self.db = None


class StoredVectors(Suggester):
    """The suggester, with ticket vectors read from the store and only new tickets embedded."""

    store: TicketStore | None = None
    embedded = 0  # tickets this suggester embedded (the rest came from the store)

    def encode(
        self, texts: Sequence[str], langs: Sequence[str | None] | None = None
    ) -> np.ndarray | None:
        """Embed ticket texts, reusing the vectors the store has for the same model, language, text."""
        import numpy as np

        if self.store is None or self.embedder is None or self.chunks is None:
            return super().encode(texts, langs)
        given = list(langs) if langs is not None else [None] * len(texts)
        sure = [
            lang or guess_lang(t, self.languages, self.default_lang)
            for t, lang in zip(texts, given, strict=True)
        ]
        model = query_id(self.embedder)
        keys = [vector_key(model, lang, t) for t, lang in zip(texts, sure, strict=True)]
        dim = int(self.chunks.vectors.shape[1]) if len(self.chunks.vectors.shape) == 2 else None
        found = self.store.vectors(keys, dim)
        todo: dict[str, int] = {}
        for i, key in enumerate(keys):
            if key not in found:
                todo.setdefault(key, i)
        if todo:
            rows = list(todo.values())
            fresh = super().encode([texts[i] for i in rows], [sure[i] for i in rows])
            if fresh is None:
                return None
            new = {keys[i]: fresh[j] for j, i in enumerate(rows)}
            self.embedded += len(rows)
            self.store.put_vectors(new)
            found.update(new)
        return np.stack([found[k] for k in keys]).astype(np.float32, copy=False)
