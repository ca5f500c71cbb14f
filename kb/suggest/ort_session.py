"""ONNX Runtime sessions for kb's exports, opened from a graph optimised once and kept beside them.

Opening a session optimises the graph first (fusing attention, layer norms, GELU): about half of
the 0.1-0.2 s a cold `kb suggest` spends opening its model. The first session of an export
writes its optimised graph next to it (the portable "extended" level, so no machine-specific
layout); later processes open that file, which needs no fusing again, and compute the same graph.
"""

from __future__ import annotations

import contextlib
import logging
import os
from pathlib import Path
from typing import Any

from kb.core.cache import digest

log = logging.getLogger(__name__)


def optimised_path(path: Path) -> Path:
    """Where the optimised graph of `path` is kept: its size, time and ONNX Runtime's version."""
    import onnxruntime as ort

    st = path.stat()
    key = digest(path.name, str(st.st_size), str(st.st_mtime_ns), ort.__version__, size=12)
    return path.with_name(f"{path.name}.opt-{key}")


def remove(path: Path) -> None:
    """Delete an export and every optimised graph kept of it."""
    path.unlink(missing_ok=True)
    for old in path.parent.glob(f"{path.name}.opt-*"):
        old.unlink(missing_ok=True)


def session(path: Path, threads: int, *, low_memory: bool = False) -> Any:
    """A CPU session of `path` on `threads` threads (idle ones sleep), from its optimised graph.

    `low_memory`: no memory arena or pattern, so a pass's buffers go back after it.
    """
    import onnxruntime as ort

    def options() -> Any:
        so = ort.SessionOptions()
        so.intra_op_num_threads = threads
        so.inter_op_num_threads = 1
        so.log_severity_level = 3
        # idle threads sleep instead of spinning: the other core is serving requests or searching
        so.add_session_config_entry("session.intra_op.allow_spinning", "0")
        if low_memory:
            so.enable_cpu_mem_arena = False
            so.enable_mem_pattern = False
        return so

    providers = ["CPUExecutionProvider"]
    optimised = optimised_path(path)
    if optimised.is_file():
        try:
            return ort.InferenceSession(str(optimised), options(), providers=providers)
        except Exception as exc:  # damaged: optimised again from the export below
            log.info("cannot open %s (%s): optimising %s again", optimised, exc, path.name)
            optimised.unlink(missing_ok=True)
    so = options()
    so.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_EXTENDED
    tmp = optimised.with_name(f"{optimised.name}.{os.getpid()}.tmp")
    so.optimized_model_filepath = str(tmp)
    try:
        found = ort.InferenceSession(str(path), so, providers=providers)
    except Exception:
        tmp.unlink(missing_ok=True)
        raise
    try:
        for old in path.parent.glob(f"{path.name}.opt-*"):  # of an earlier file by that name
            if old.name != tmp.name:
                old.unlink(missing_ok=True)
        os.replace(tmp, optimised)
    except OSError as exc:  # a read-only cache: sessions are optimised each time
        log.info("cannot keep %s (%s)", optimised, exc)
        with contextlib.suppress(OSError):
            tmp.unlink(missing_ok=True)
    return found
