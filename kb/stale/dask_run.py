"""kb stale on Dask: partitions of tickets answered by dask.distributed workers, folded here.

The client reads the ticket file, looks each partition up in its own answer store and sends
only the tickets it has no answer for: their (cleaned, redacted) text and language. A worker
builds the KB's suggester once per process (kept in `_ENGINES`, keyed by the mkdocs.yml path and
the KB state) from the KB folder at the same path, refuses a KB that differs from the client's,
and sends back each ticket's compact answer (abstained, three best article ids with their
confidence). The client folds the answers in file order, so the figures equal a run in one
process. Dask does the scheduling; at most `IN_FLIGHT` partitions per worker thread are out.
"""

from __future__ import annotations

import collections
import logging
import threading
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

from kb.core.errors import KBError
from kb.stale.matching import TOP, Answer, Job, answers_of, kb_key

if TYPE_CHECKING:
    from kb.core.collection import KnowledgeBase
    from kb.core.settings import Settings

log = logging.getLogger(__name__)
INSTALL = '--dask needs dask.distributed: pip install "kb[dask]"'
IN_FLIGHT = 2  # partitions sent ahead per worker thread
_ENGINES: dict[tuple[str, str], Any] = {}  # per worker process: (mkdocs.yml, KB key) -> suggester
_LOCK = threading.Lock()  # one suggester answers one partition at a time in a worker process


def connect(address: str) -> tuple[Any, Any]:
    """A dask.distributed Client for `address` ("local", "local:N" start a LocalCluster here)."""
    try:
        from dask.distributed import Client, LocalCluster
    except ImportError:
        raise KBError(INSTALL) from None
    cluster = None
    try:
        if address == "local" or address.startswith("local:"):
            count = address.partition(":")[2] or "2"
            if not count.isdigit() or int(count) < 1:
                raise KBError(f"--dask {address}: expected local or local:N (N workers)")
            cluster = LocalCluster(
                n_workers=int(count),
                threads_per_worker=1,
                processes=True,
                dashboard_address=None,
                silence_logs=logging.ERROR,
            )
            return Client(cluster), cluster
        return Client(address, timeout="30s"), None
    except KBError:
        raise
    except Exception as exc:  # an unreachable scheduler, a refused port: one line
        if cluster is not None:
            cluster.close()
        raise KBError(f"--dask {address}: cannot connect: {type(exc).__name__}: {exc}") from None


def answer_partition(config: str, key: str, texts: list[str], langs: list[str]) -> list[Answer]:
    """On a worker: the suggester's compact answers for one partition of tickets."""
    engine = _engine(config, key)
    with _LOCK:
        return answers_of(engine.suggest_many(texts, langs, k=TOP))


def _engine(config: str, key: str) -> Any:
    """This worker process's suggester for the KB at `config` in the state `key` (built once)."""
    with _LOCK:
        found = _ENGINES.get((config, key))
        if found is not None:
            return found
        from kb.core.collection import KnowledgeBase
        from kb.core.settings import Settings
        from kb.stale.store import StoredVectors, TicketStore, query_id
        from kb.suggest.embedders import settings_embedder
        from kb.suggest.suggester import Fusion

        settings = Settings.load(Path(config))
        kb = KnowledgeBase.load(settings)
        embedder = settings_embedder(settings)
        mine = kb_key(kb, query_id(embedder), Fusion())
        if mine != key:
            raise KBError(
                f"the worker's KB at {config} differs from the client's (its articles, model or "
                "synonyms): give every worker the same KB folder at the same path"
            )
        engine = StoredVectors.from_settings(settings, kb=kb, embedder=embedder)
        store = TicketStore(settings.caches.tickets if settings.cache else None)
        engine.store = store  # type: ignore[attr-defined]
        _ENGINES.clear()  # one KB state per worker process: an older one is not used again
        _ENGINES[(config, key)] = engine
        return engine


class DaskSolver:
    """Answers jobs on Dask workers, yielding them in order with a bounded number in flight."""

    PARTITION = 1000  # tickets per partition (--partition-size)

    def __init__(self, address: str, settings: Settings, kb: KnowledgeBase, key: str) -> None:
        self.config = str(Path(settings.config_file or settings.docs_dir).resolve())
        self.key = key
        self.client, self.cluster = connect(address)
        threads = sum((self.client.nthreads() or {}).values()) or 1
        self.in_flight = max(2, IN_FLIGHT * threads)
        if self.cluster is not None:  # workers here share the index: bring it up to date once
            from kb.search.index import build_index

            build_index(kb, settings)
        log.info("dask: %d worker threads at %s", threads, self.client.scheduler.address)

    def solve(self, jobs: Iterable[Job]) -> Iterator[tuple[Any, list[Answer]]]:
        """Submit each job's tickets as one task; yield the answers in the order of the jobs."""
        pending: collections.deque[tuple[Any, Any]] = collections.deque()
        for tag, texts, langs in jobs:
            future = None
            if texts:
                future = self.client.submit(
                    answer_partition, self.config, self.key, texts, langs, pure=False
                )
            pending.append((tag, future))
            while len(pending) > self.in_flight:
                yield self._result(pending.popleft())
        while pending:
            yield self._result(pending.popleft())

    def _result(self, item: tuple[Any, Any]) -> tuple[Any, list[Answer]]:
        tag, future = item
        if future is None:
            return tag, []
        try:
            answers = future.result()
        except KBError:
            raise
        except Exception as exc:  # a worker died or could not import kb: one line
            raise KBError(f"--dask: a worker failed: {type(exc).__name__}: {exc}") from None
        return tag, [(bool(a), tuple((str(i), float(c)) for i, c in top)) for a, top in answers]

    def close(self) -> None:
        """Close the client (and the local cluster this solver started)."""
        self.client.close()
        if self.cluster is not None:
            self.cluster.close()
