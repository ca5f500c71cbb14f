"""Texts on a checked ONNX export without torch: the model's own tokenizer.json and ONNX Runtime.

Loading torch and sentence-transformers takes 5-15 s; a ticket needs neither once the model has
been exported and checked. When kb.suggest.onnx has checked an export, it also checks that the
`tokenizers` library, reading the model's tokenizer.json, gives sentence-transformers' word
pieces for the probe texts, and writes a marker beside the export. A later process that finds
the marker runs tickets, and articles to embed, on ONNX Runtime alone.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from kb.core import fs
from kb.core.cache import Caches

log = logging.getLogger(__name__)
LIGHT_VERSION = 1
Tokenize = Callable[[Sequence[str]], dict[str, Any]]


def marker_path(query_path: Path) -> Path:
    """The marker that says an export may run tickets without torch."""
    return query_path.with_name(query_path.name + ".light.json")


def fast_tokenizer(location: str, max_length: int) -> Tokenize | None:
    """The model's tokenizer.json as a function of texts to int64 arrays (None without one)."""
    import numpy as np

    path = Path(location) / "tokenizer.json"
    if not path.is_file():
        return None
    try:
        from tokenizers import Tokenizer

        tok = Tokenizer.from_file(str(path))
    except Exception:  # an unreadable or unsupported tokenizer: the full model is used
        return None
    pad = tok.token_to_id("[PAD]")
    tok.enable_truncation(max_length=max_length)
    tok.enable_padding(pad_id=pad if pad is not None else 0, pad_token="[PAD]")

    def tokenize(texts: Sequence[str]) -> dict[str, Any]:
        encs = tok.encode_batch(list(texts))
        return {
            "input_ids": np.array([e.ids for e in encs], dtype=np.int64),
            "attention_mask": np.array([e.attention_mask for e in encs], dtype=np.int64),
            "token_type_ids": np.array([e.type_ids for e in encs], dtype=np.int64),
        }

    return tokenize


def write_marker(encoder: Any, st_model: Any, location: str) -> bool:
    """Write the marker when the fast tokenizer agrees with the model's on every probe."""
    from kb.suggest.onnx import PROBES, _tokenize

    max_length = int(getattr(st_model, "max_seq_length", 0) or 0)
    tokenize = fast_tokenizer(location, max_length) if max_length else None
    if tokenize is None:
        return False
    for texts in ([p] for p in PROBES):
        want = _tokenize(st_model, texts)
        got = tokenize(texts)
        for key in encoder.inputs:
            if key not in got or want[key].cpu().numpy().tolist() != got[key].tolist():
                log.info("fast tokenizer differs from the model's (%s): tickets load torch", key)
                return False
    get = getattr(st_model, "get_embedding_dimension", None) or getattr(
        st_model, "get_sentence_embedding_dimension", None
    )
    record = {
        "version": LIGHT_VERSION,
        "max_length": max_length,
        "dim": int(get()) if get else 0,
        "location": location,
    }
    fs.write_atomic(marker_path(encoder.query_path), json.dumps(record).encode("utf-8"))
    return True


def _marker(
    name: str, location: str, cache_dir: Path | None, int8: bool
) -> tuple[Path, Path, dict[str, Any]] | None:
    """The export's two files and its marker's record, when a marker of this version is there."""
    from kb.suggest.onnx import export_paths

    if cache_dir is None:
        return None
    fp32, path = export_paths(name, location, Caches(cache_dir).onnx, int8)
    try:
        record = json.loads(marker_path(path).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if not isinstance(record, dict) or record.get("version") != LIGHT_VERSION:
        return None
    return fp32, path, record


def checked_dim(name: str, location: str, cache_dir: Path | None, int8: bool) -> int | None:
    """The vector length a checked export's marker records (no session opened), if there is one."""
    found = _marker(name, location, cache_dir, int8)
    dim = found[2].get("dim") if found is not None else None
    return dim if isinstance(dim, int) and dim > 0 else None


def load(name: str, location: str, cache_dir: Path | None, int8: bool) -> tuple[Any, int] | None:
    """A torch-free query encoder and the vector length, or None when no checked export exists."""
    from kb.suggest.onnx import OnnxEncoder

    if cache_dir is None:
        return None
    try:
        import onnxruntime  # noqa: F401
    except ImportError:
        return None
    found = _marker(name, location, cache_dir, int8)
    if found is None:
        return None
    fp32, path, record = found
    if not (fp32.is_file() and path.is_file()):
        return None
    tokenize = fast_tokenizer(location, int(record.get("max_length") or 0))
    if tokenize is None:
        return None
    try:
        return OnnxEncoder(None, fp32, path, tokenize=tokenize), int(record.get("dim") or 0)
    except Exception as exc:  # a damaged export: the full model is used, and re-exports
        log.info("cannot open %s without torch (%s)", path, exc)
        return None
