"""ONNX Runtime sessions opened from an optimised graph kept beside the export."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pytest

onnx = pytest.importorskip("onnx")
ort = pytest.importorskip("onnxruntime")

from kb.suggest.ort_session import optimised_path, remove, session  # noqa: E402


def _model(path: Path, scale: float = 1.0) -> Path:
    """A small real graph: Relu(x @ W + b)."""
    from onnx import TensorProto, helper, numpy_helper

    rng = np.random.default_rng(0)
    w = numpy_helper.from_array((rng.standard_normal((8, 8)) * scale).astype(np.float32), "w")
    b = numpy_helper.from_array(rng.standard_normal(8).astype(np.float32), "b")
    nodes = [
        helper.make_node("MatMul", ["x", "w"], ["m"]),
        helper.make_node("Add", ["m", "b"], ["a"]),
        helper.make_node("Relu", ["a"], ["y"]),
    ]
    graph = helper.make_graph(
        nodes,
        "g",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, [None, 8])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, [None, 8])],
        [w, b],
    )
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
    model.ir_version = 8
    onnx.save(model, str(path))
    return path


def _plain(path: Path, x: np.ndarray) -> np.ndarray:
    so = ort.SessionOptions()
    so.graph_optimization_level = ort.GraphOptimizationLevel.ORT_DISABLE_ALL
    out = ort.InferenceSession(str(path), so, providers=["CPUExecutionProvider"]).run(
        None, {"x": x}
    )
    return np.asarray(out[0])


X = np.arange(24, dtype=np.float32).reshape(3, 8) / 10


def test_the_first_session_keeps_its_optimised_graph_and_the_next_opens_it(
    tmp_path: Path,
) -> None:
    path = _model(tmp_path / "m.onnx")
    first = session(path, 1)
    kept = optimised_path(path)
    assert kept.is_file() and kept.name.startswith("m.onnx.opt-")
    assert [p.name for p in tmp_path.iterdir() if p.name.endswith(".tmp")] == []
    stamp = kept.stat().st_mtime_ns
    second = session(path, 1, low_memory=True)
    assert kept.stat().st_mtime_ns == stamp  # opened, not written again
    want = _plain(path, X)
    for s in (first, second):
        np.testing.assert_allclose(s.run(None, {"x": X})[0], want, rtol=1e-6, atol=1e-6)


def test_a_damaged_optimised_graph_is_made_again(tmp_path: Path) -> None:
    path = _model(tmp_path / "m.onnx")
    session(path, 1)
    kept = optimised_path(path)
    kept.write_bytes(b"not a graph")
    s = session(path, 1)
    np.testing.assert_allclose(s.run(None, {"x": X})[0], _plain(path, X), rtol=1e-6, atol=1e-6)
    assert kept.stat().st_size > 100


def test_a_new_export_by_the_same_name_gets_its_own_and_the_old_one_goes(
    tmp_path: Path,
) -> None:
    path = _model(tmp_path / "m.onnx")
    session(path, 1)
    old = optimised_path(path)
    _model(path, scale=2.0)  # another graph, written where the first was
    os.utime(path, ns=(old.stat().st_mtime_ns + 10**9,) * 2)
    s = session(path, 1)
    assert optimised_path(path) != old and not old.exists()
    np.testing.assert_allclose(s.run(None, {"x": X})[0], _plain(path, X), rtol=1e-6, atol=1e-6)
    remove(path)
    assert list(tmp_path.iterdir()) == []


def test_a_cache_that_cannot_keep_the_graph_still_gives_a_session(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = _model(tmp_path / "m.onnx")

    def refuse(src: str, dst: str) -> None:
        raise PermissionError("read-only")

    monkeypatch.setattr(os, "replace", refuse)
    s = session(path, 1)
    np.testing.assert_allclose(s.run(None, {"x": X})[0], _plain(path, X), rtol=1e-6, atol=1e-6)
    assert [p.name for p in tmp_path.iterdir()] == ["m.onnx"]
