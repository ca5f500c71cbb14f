"""How fast MiniLM embeds article sections: full-precision ONNX against its int8 copy.

Run from the repository root:  python bench/embed_rate.py [--sections 800] [--rounds 2]
The sections are the English evaluation articles of ../shared/evaldata cut into 80-word parts,
as bench/suggest.py writes them. Both graphs run batched on every core (what a first embedding
does); the rounds take turns, so both meet the same load. Prints sections/s of each, the
machine's float32 matrix-product rate (numpy, for scale), and the cosine of the int8 vectors
with the full-precision ones (how much int8 articles would move them).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
EVALDATA = REPO.parent / "shared" / "evaldata"
if not EVALDATA.is_dir():
    EVALDATA = Path("/work/shared/evaldata")
os.environ.setdefault("HF_HUB_OFFLINE", "1")


def sections(n: int) -> list[str]:
    """The first n 80-word parts of the English evaluation articles."""
    out: list[str] = []
    for name in ("stackfaq", "doc2dial"):
        for line in (EVALDATA / name / "articles.jsonl").read_text(encoding="utf-8").splitlines():
            words = json.loads(line)["body"].split()
            out += [" ".join(words[i : i + 80]) for i in range(0, len(words), 80)]
    return out[:n]


def gflops() -> float:
    """numpy's float32 matrix-product rate on this machine, in GFLOP/s (best of three)."""
    import numpy as np

    a = np.random.default_rng(0).random((1024, 1024), dtype=np.float32)
    best = 0.0
    for _ in range(3):
        start = time.perf_counter()
        a @ a
        best = max(best, 2 * 1024**3 / (time.perf_counter() - start) / 1e9)
    return best


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sections", type=int, default=800)
    parser.add_argument("--rounds", type=int, default=2)
    args = parser.parse_args()
    import numpy as np

    from kb.suggest.embedders import SentenceTransformerEmbedder

    texts = sections(args.sections)
    with tempfile.TemporaryDirectory(prefix="kb-bench-rate-") as tmp:
        emb = SentenceTransformerEmbedder(backend="onnx-int8", cache_dir=Path(tmp))
        encoder = emb.onnx
        if encoder is None:
            print("MiniLM does not run on ONNX Runtime here", file=sys.stderr)
            return 1
        pieces = [len(x) for x in emb.model.tokenizer(texts)["input_ids"]]
        rates: dict[str, list[float]] = {"float32": [], "int8": []}
        vectors = {}
        for _ in range(args.rounds):
            for name, int8 in (("float32", False), ("int8", True)):
                start = time.perf_counter()
                vectors[name] = encoder.encode(texts, emb.batch_size, queries=int8)
                rates[name].append(len(texts) / (time.perf_counter() - start))
    cos = np.sum(vectors["float32"] * vectors["int8"], axis=1)
    print(f"{len(texts)} sections, {statistics.mean(pieces):.0f} word pieces each on average")
    print(f"numpy float32 matrix product: {gflops():.0f} GFLOP/s")
    for name, got in rates.items():
        print(
            f"{name}: {statistics.median(got):.1f} sections/s (rounds: "
            + ", ".join(f"{r:.1f}" for r in got)
            + ")"
        )
    ratio = statistics.median(rates["int8"]) / statistics.median(rates["float32"])
    print(
        f"int8 / float32: {ratio:.2f}x; cosine int8 with float32: min {cos.min():.3f}, "
        f"mean {cos.mean():.4f}"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
