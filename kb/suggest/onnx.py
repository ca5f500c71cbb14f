"""Run a sentence-transformers model on ONNX Runtime: the same vectors, about twice as fast on CPU.

sentence-transformers' own ONNX backend needs `optimum-onnx`, which cannot be installed next to
sentence-transformers 6 (see docs/suggest.md). So kb exports the loaded model itself with
`torch.onnx.export`, caches the file in `.kb/cache/onnx/`, and checks on every load that ONNX
Runtime gives the same vectors as torch for a few probe texts. Any failure means torch is used.
"""

from __future__ import annotations

import contextlib
import functools
import logging
import os
import re
import tempfile
import threading
import warnings
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from kb.core.cache import Caches, digest, package_version, slug, tree_identity
from kb.core.errors import KBError
from kb.suggest.ort_session import remove, session

if TYPE_CHECKING:
    import numpy as np

log = logging.getLogger(__name__)

EXPORT_VERSION = "2"  # bump when the exported graph changes (2: eager attention)
FEW_TEXTS = 8  # up to this many texts are run one by one on one thread: no padding, no spinning
MAX_COSINE_GAP = 1e-4  # ONNX vectors must have a cosine of at least 1 - this with torch's
INT8_COSINE_GAP = 0.05  # int8 weights move vectors a little (cosine about 0.99 on tickets)
PROBES = (
    "I forgot my password and cannot log in",
    "Waar blijft mijn pakket? Ik heb het vorige week besteld en nog niets ontvangen.",
    "Hur ändrar jag leveransadressen?",
    " ".join(["The invoice shows a charge I do not recognise, please explain it."] * 40),
)


class OnnxEncoder:
    """Encodes texts with an ONNX export of a SentenceTransformer (tokenised by the model itself).

    Documents (articles) run on `path`; queries (tickets, questions) on `query_path`, the int8
    copy with `onnx-int8`: articles are embedded once at full precision, tickets at int8 speed.
    """

    def __init__(
        self,
        st_model: Any,
        path: Path,
        query_path: Path | None = None,
        tokenize: Any = None,
    ) -> None:
        self.st_model = st_model  # None with `tokenize`: the light, torch-free query encoder
        self.tokenize = tokenize
        self.path = path
        self.query_path = query_path or path
        self._sessions: dict[tuple[Path, int], Any] = {}
        self._lock = threading.Lock()
        # one-thread runs; kb serve runs at most one suggest call per core at a time
        self.inputs = [i.name for i in self._session(self.query_path, 1).get_inputs()]

    def _session(self, path: Path, threads: int) -> Any:
        with self._lock:
            found = self._sessions.get((path, threads))
            if found is None:
                found = self._sessions[(path, threads)] = session(path, threads)
            return found

    def _features(self, texts: Sequence[str]) -> dict[str, Any]:
        if self.tokenize is not None:
            feats = self.tokenize(texts)
            return {k: feats[k] for k in self.inputs}
        feats = _tokenize(self.st_model, texts)
        return {k: feats[k].cpu().numpy() for k in self.inputs}

    def encode(
        self, texts: Sequence[str], batch_size: int = 32, *, queries: bool = False
    ) -> np.ndarray:
        """Unit vectors, one row per text, in the order given (`queries`: tickets, questions)."""
        import numpy as np

        path = self.query_path if queries else self.path
        if len(texts) <= FEW_TEXTS:
            few = self._session(path, 1)
            rows = []
            for text in texts:
                rows.append(few.run(None, self._features([text]))[0])
            return _unit(np.concatenate(rows)) if rows else np.zeros((0, 0), np.float32)
        # as sentence-transformers does: longest first, batched, so padding stays small
        order = sorted(range(len(texts)), key=lambda i: -len(texts[i]))
        out: list[Any] = [None] * len(texts)
        runner = self._session(path, os.cpu_count() or 1)
        for start in range(0, len(order), batch_size):
            part = order[start : start + batch_size]
            vectors = runner.run(None, self._features([texts[i] for i in part]))[0]
            for i, row in zip(part, vectors, strict=True):
                out[i] = row
        return _unit(np.stack(out))


def _tokenize(st_model: Any, texts: Sequence[str]) -> dict[str, Any]:
    """The model's own tokenisation (preprocess in sentence-transformers 6, tokenize before)."""
    prep = getattr(st_model, "preprocess", None) or st_model.tokenize
    return dict(prep(list(texts)))


def _unit(vectors: np.ndarray) -> np.ndarray:
    import numpy as np

    vectors = np.asarray(vectors, dtype=np.float32)
    norms = np.linalg.norm(vectors, axis=1, keepdims=True)
    return vectors / np.maximum(norms, 1e-12)


@functools.lru_cache(maxsize=16)
def model_fingerprint(name: str, location: str) -> str:
    """A key for the exported file: model name and files, torch and sentence-transformers versions.

    The versions are read from the installed packages' metadata: no torch import, so a later
    process can find a checked export (and run tickets on it) without loading torch at all.
    """
    root = Path(location)
    files = tree_identity(root) if root.is_dir() else ""
    versions = [package_version(p) for p in ("torch", "sentence-transformers", "onnxruntime")]
    return digest(name, EXPORT_VERSION, *versions, files, size=16)


def export(st_model: Any, target: Path) -> None:
    """Write the model (transformer, pooling, normalisation) as ONNX to `target`, atomically."""
    import torch

    sample = _tokenize(st_model, ["hello world", "a second and somewhat longer example sentence"])
    names = [k for k, v in sample.items() if isinstance(v, torch.Tensor)]

    class Graph(torch.nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.st = st_model

        def forward(self, *tensors: torch.Tensor) -> torch.Tensor:
            out = self.st(dict(zip(names, tensors, strict=True)))["sentence_embedding"]
            return torch.nn.functional.normalize(out, p=2, dim=1)

    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = target.with_name(f"{target.name}.{os.getpid()}.tmp")
    axes = {k: {0: "batch", 1: "tokens"} for k in names}
    with warnings.catch_warnings(), torch.inference_mode(), _eager_attention(st_model):
        warnings.simplefilter("ignore")
        torch.onnx.export(
            Graph().eval(),
            tuple(sample[k] for k in names),
            str(tmp),
            input_names=names,
            output_names=["embedding"],
            dynamic_axes={**axes, "embedding": {0: "batch"}},
            opset_version=17,
            dynamo=False,
        )
    os.replace(tmp, target)


@contextlib.contextmanager
def _eager_attention(st_model: Any) -> Iterator[None]:
    """Export attention as plain matrix products, not torch's SDPA kernel (restored after).

    The same vectors; the graph runs faster on ONNX Runtime, most with int8 weights: a ticket of
    about 47 word pieces took 9.9 ms instead of 11.9 ms on one thread (fp32 about the same).
    """
    switched = []
    for module in st_model.modules():
        set_impl = getattr(module, "set_attn_implementation", None)
        config = getattr(module, "config", None)
        was = getattr(config, "_attn_implementation", None)
        if set_impl is None or was in (None, "eager"):
            continue
        try:
            set_impl("eager")
        except Exception:  # a model without an eager path: exported as it is
            continue
        switched.append((set_impl, was))
    try:
        yield
    finally:
        for set_impl, was in switched:
            set_impl(was)


def check(encoder: OnnxEncoder, st_model: Any) -> None:
    """Raise KBError unless ONNX and torch agree on the probe texts (one by one and batched).

    This opens every session, documents' and queries', before a temporary export goes.
    """
    import numpy as np

    want = st_model.encode(
        list(PROBES), normalize_embeddings=True, convert_to_numpy=True, show_progress_bar=False
    )
    many = list(PROBES) * 3
    # queries run on the documents' sessions unless they have their own int8 copy
    for queries in (False, True) if encoder.query_path != encoder.path else (False,):
        max_gap = INT8_COSINE_GAP if queries else MAX_COSINE_GAP
        for got in (
            encoder.encode(PROBES, queries=queries),
            encoder.encode(many, batch_size=4, queries=queries)[:4],
        ):
            gap = float(1.0 - np.min(np.sum(want * got, axis=1)))
            if gap > max_gap:
                what = "int8 ONNX" if queries else "ONNX"
                raise KBError(f"{what} vectors differ from torch's (cosine gap {gap:.2e})")


def quantize(source: Path, target: Path) -> None:
    """Write an int8 copy of an exported model (dynamic quantisation, per channel), atomically."""
    from onnxruntime.quantization import QuantType, quantize_dynamic

    tmp = target.with_name(f"{target.name}.{os.getpid()}.tmp")
    logging.disable(logging.WARNING)  # it logs advice ("consider pre-processing") on the root
    try:
        quantize_dynamic(source, tmp, weight_type=QuantType.QInt8, per_channel=True)
    finally:
        logging.disable(logging.NOTSET)
    os.replace(tmp, target)


def export_paths(name: str, location: str, folder: Path, int8: bool) -> tuple[Path, Path]:
    """The files of a model's export in `folder`: full precision, and what queries run on."""
    fp32 = folder / f"{slug(name)}-{model_fingerprint(name, location)}.onnx"
    return fp32, (fp32.with_suffix(".int8.onnx") if int8 else fp32)


def load(
    name: str, location: str, st_model: Any, cache_dir: Path | None, int8: bool = False
) -> OnnxEncoder:
    """Export (once) and load the ONNX version of a loaded model; KBError when it cannot be had.

    With int8, queries (tickets, questions) run on a copy with int8 weights: faster again, with
    vectors close to (not equal to) torch's; documents keep full precision.
    """
    try:
        import onnxruntime  # noqa: F401
    except ImportError:
        raise KBError("onnxruntime is not installed (pip install 'kb[ml]')") from None
    model = slug(name)
    tmpdir = None
    if cache_dir is None:
        tmpdir = tempfile.TemporaryDirectory(prefix="kb-onnx-")
        folder = Path(tmpdir.name)
    else:
        folder = Caches(cache_dir).onnx
    try:
        fp32, path = export_paths(name, location, folder, int8)
        if not fp32.is_file() or not path.is_file():
            if not fp32.is_file():
                log.info("exporting %s to ONNX (%s), once", name, fp32)
                export(st_model, fp32)
            if not path.is_file():
                quantize(fp32, path)
            earlier = re.compile(re.escape(model) + r"-[0-9a-f]{16}(\.int8)?\.onnx")
            for old in folder.glob(f"{model}-*.onnx"):  # this model's exports by older versions
                if earlier.fullmatch(old.name) and not old.name.startswith(fp32.stem):
                    remove(old)
        encoder = OnnxEncoder(st_model, fp32, path)
        check(encoder, st_model)
        return encoder
    except KBError:
        raise
    except Exception as exc:  # an export or runtime failure of any kind: say what it was
        raise KBError(f"cannot run {name} on ONNX Runtime ({type(exc).__name__}: {exc})") from None
    finally:
        if tmpdir is not None:
            tmpdir.cleanup()
