"""One `kb stale` run: gather the signals (git, tickets, embeddings, feedback), run the rules."""

from __future__ import annotations

import datetime as dt
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, cast

from kb.stale.findings import DEFAULT_INTERVAL, Context, Finding, Limits
from kb.stale.gaps import Gap, cluster_gaps, search_gaps
from kb.stale.history import GitHistory
from kb.stale.kcs import kcs_figures, recorded_figures, self_service_figures
from kb.stale.matching import Counts, LocalSolver, Solver, kb_key, stream_matches, threshold, window
from kb.stale.rules import run_rules
from kb.stale.tally import Tally

if TYPE_CHECKING:
    import numpy as np

    from kb.core.collection import KnowledgeBase
    from kb.core.settings import Settings
    from kb.stale.store import TicketStore
    from kb.suggest.embedders import Embedder

log = logging.getLogger(__name__)
SOON_DAYS = 30  # "due soon" in the freshness chart


@dataclass
class Result:
    """Everything a report shows."""

    today: dt.date
    since: dt.date | None
    tickets_file: str | None
    findings: list[Finding] = field(default_factory=list)
    gaps: list[Gap] = field(default_factory=list)
    kcs: dict[str, Any] | None = None
    freshness: list[dict[str, Any]] = field(default_factory=list)
    tally: Tally | None = None  # the ticket window's figures (kb.stale.tally), with --tickets
    tickets: int | None = None  # tickets in the window (None without a ticket file)
    ticket_errors: list[str] = field(default_factory=list)  # the first bad rows (capped)
    ticket_error_count: int = 0  # every bad row
    notes: list[str] = field(default_factory=list)  # caps that were reached, said in the report
    stats: dict[str, Any] = field(default_factory=dict)
    searches: dict[str, Any] | None = None  # kb serve's search analytics (kb.server.events)
    search_gaps: list[dict[str, Any]] = field(default_factory=list)
    self_service: dict[str, Any] | None = None  # the contact page's deflections
    kcs_recorded: dict[str, Any] | None = None  # agents' links and flags (kb.server.kcs)

    def counts(self) -> dict[str, int]:
        """Findings per severity."""
        out = {"error": 0, "warning": 0, "info": 0}
        for f in self.findings:
            out[f.severity] = out.get(f.severity, 0) + 1
        return out


def freshness(
    kb: KnowledgeBase, today: dt.date, history: GitHistory | None
) -> list[dict[str, Any]]:
    """Per live article: review due date and a state (fresh, due-soon, overdue, undated)."""
    default = kb.settings.defaults.get("review_every") or DEFAULT_INTERVAL
    out = []
    for a in kb.articles:
        if not a.is_live:
            continue
        interval = a.review_every or default
        if a.reviewed is not None:
            due = interval.after(a.reviewed)
            state = (
                "overdue"
                if due < today
                else "due-soon"
                if (due - today).days <= SOON_DAYS
                else "fresh"
            )
        else:
            due, state = None, "undated"
        changed = history.last_changed(a.rel_path)[0] if history else None
        out.append(
            {
                "article": a.id,
                "lang": a.lang,
                "owner": a.owner,
                "reviewed": a.reviewed.isoformat() if a.reviewed else None,
                "due": due.isoformat() if due else None,
                "last_changed": changed.isoformat() if changed else None,
                "state": state,
            }
        )
    return out


def article_vectors(
    kb: KnowledgeBase, embedder: Embedder, cache_dir: Path
) -> dict[str, np.ndarray]:
    """One unit vector per live article: the normalised mean of its section vectors (cached)."""
    import numpy as np

    from kb.suggest.chunks import embed_articles

    index = embed_articles(kb.visible(internal=True), embedder, cache_dir)
    out = {}
    for i, aid in enumerate(index.article_ids):
        rows = index.vectors[index.owner == i]
        if len(rows) == 0:
            continue
        v = rows.mean(axis=0)
        norm = float(np.linalg.norm(v))
        out[aid] = v / norm if norm else v
    return out


def _stored(read: Callable[..., Any], what: str, settings: Settings, since: dt.date | None) -> Any:
    """What one of kb serve's stores holds since `since`; None when it cannot be read (logged)."""
    try:
        return read(settings, since=since)
    except Exception as exc:  # a broken store must not stop the report; say so and go on
        log.warning("%s store unreadable, skipped: %s", what, exc)
        return None


def load_events(settings: Settings, since: dt.date | None) -> dict[str, Any] | None:
    """Search and contact-page figures from kb serve's events store; None without events."""
    from kb.server.events import load_events as read

    return cast("dict[str, Any] | None", _stored(read, "events", settings, since))


def load_kcs(settings: Settings, since: dt.date | None) -> dict[str, Any] | None:
    """Agents' links and flags from kb serve's store; None without any."""
    from kb.server.kcs import load_kcs_events

    return cast(
        "dict[str, Any] | None", _stored(load_kcs_events, "agents' events", settings, since)
    )


def load_feedback(settings: Settings, since: dt.date | None) -> dict[str, dict[str, Any]] | None:
    """Votes per article from the feedback store, or None when the store cannot be read."""
    from kb.server.feedback import votes

    return cast("dict[str, dict[str, Any]] | None", _stored(votes, "feedback", settings, since))


def analyse(
    settings: Settings,
    kb: KnowledgeBase,
    *,
    tickets_file: str | Path | None = None,
    since: dt.date | None = None,
    today: dt.date | None = None,
    embedder: Embedder | None = None,
    limits: Limits | None = None,
    min_confidence: float | None = None,
    rules: bool = True,
    duplicates: bool = True,
    dask: str | None = None,
    partition_size: int | None = None,
) -> Result:
    """Gather every signal and run the rules (rules=False: only tickets, gaps and KCS figures).

    Tickets stream through (kb.stale.matching) into a Tally; `dask` (a scheduler address,
    "local" or "local:N") answers them on Dask workers, `partition_size` tickets at a time.
    """
    from kb.suggest.embedders import settings_embedder

    today = today or settings.today or dt.date.today()
    limits = limits or Limits()
    started = time.perf_counter()
    res = Result(today, since, str(tickets_file) if tickets_file else None)
    history = GitHistory(settings.docs_dir)
    embedder = embedder or settings_embedder(settings)
    if tickets_file is not None:
        res.tally = _tally(
            settings, kb, tickets_file, (since, today), embedder, res, limits, min_confidence,
            dask=dask, partition_size=partition_size,
        )  # fmt: skip
        res.tickets = res.tally.tickets
        res.gaps = cluster_gaps(res.tally.gap_tickets(), res.tally.recent_texts())
        res.kcs = kcs_figures(res.tally, kb, res.gaps)
        for lang, (kept, total) in res.tally.capped().items():
            res.notes.append(
                f"content gaps ({lang}): clustered the {kept:,} most recent of the {total:,} "
                "tickets with no good article (the cap per language)"
            )
    events = load_events(settings, since)
    if events is not None:
        res.searches = events["searches"]
        res.search_gaps = search_gaps(events["no_result_queries"], res.gaps)
        res.self_service = self_service_figures(events["self_service"])
    recorded = load_kcs(settings, since)
    if recorded is not None:  # what agents recorded beats what the ticket text suggests
        res.kcs_recorded = recorded_figures(recorded, kb, res.tally, history)
    res.stats["tickets_seconds"] = round(time.perf_counter() - started, 2)
    if not rules:
        return res
    vectors = article_vectors(kb, embedder, settings.cache_dir) if duplicates else None
    ctx = Context(
        kb=kb,
        today=today,
        since=since,
        tally=res.tally,
        vectors=vectors,
        history=history,
        feedback=load_feedback(settings, since),
        gaps=res.gaps,
        limits=limits,
    )
    res.findings = run_rules(ctx)
    res.freshness = freshness(kb, today, history)
    res.stats["seconds"] = round(time.perf_counter() - started, 2)
    return res


def _tally(
    settings: Settings,
    kb: KnowledgeBase,
    tickets_file: str | Path,
    dates: tuple[dt.date | None, dt.date],
    embedder: Embedder,
    res: Result,
    limits: Limits,
    min_confidence: float | None,
    *,
    dask: str | None,
    partition_size: int | None,
) -> Tally:
    """Stream the window's tickets through the suggester (or Dask) into a Tally."""
    from kb.stale.store import TicketStore, query_id
    from kb.suggest.suggester import Fusion
    from kb.suggest.tickets import TicketStream

    stream = TicketStream(tickets_file)
    key = kb_key(kb, query_id(embedder), Fusion())
    store = TicketStore(settings.caches.tickets if settings.cache else None)
    store.use_answers(key)
    solver: Solver
    if dask:
        from kb.stale.dask_run import DaskSolver

        solver = DaskSolver(dask, settings, kb, key)
        batch = partition_size or DaskSolver.PARTITION
    else:
        solver = LocalSolver(lambda: _engine(settings, kb, embedder, store))
        batch = partition_size or 256
    counts = Counts()
    tally = Tally(kb, dates[1], limits.drift_recent_days)

    def progress(done: int) -> None:
        log.info("matched %d tickets (%d answered now)", done, counts.answered)

    try:
        for m in stream_matches(
            window(stream, *dates),
            solver,
            languages=settings.languages,
            default_lang=settings.default_lang,
            store=store,
            batch=batch,
            counts=counts,
            progress=progress,
        ):
            tally.add(threshold(m, min_confidence))
    finally:
        store.close()
        getattr(solver, "close", lambda: None)()
    res.ticket_errors = [str(e) for e in stream.errors]
    res.ticket_error_count = stream.error_count
    for e in stream.errors[:20]:
        log.warning("%s", e)
    engine = getattr(solver, "engine", None)
    res.stats.update(
        tickets_read=stream.read,
        tickets=counts.tickets,
        cached=counts.cached,
        answered=counts.answered,
        embedded=getattr(engine, "embedded", None),
        vectors_cached=store.vector_hits,
    )
    return tally


def _engine(settings: Settings, kb: KnowledgeBase, embedder: Embedder, store: TicketStore) -> Any:
    """The suggester of this process, its ticket vectors kept in the store."""
    from kb.stale.store import StoredVectors

    engine = cast("StoredVectors", StoredVectors.from_settings(settings, kb=kb, embedder=embedder))
    engine.store = store
    return engine
