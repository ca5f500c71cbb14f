"""The ONNX Runtime backend of the embedding model: same vectors as torch, cached export, fallback."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from kb.core.errors import KBError, SettingsError
from kb.core.settings import Settings
from kb.suggest import onnx as onnx_backend
from kb.suggest.chunks import embed_articles
from kb.suggest.embedders import SentenceTransformerEmbedder, model_path
from tests.conftest import MakeKB, load

TEXTS = [
    "My parcel never arrived and the tracking page shows nothing since Monday",
    "Hoe vraag ik een factuur aan?",
    "refund",
    "Jag har glömt mitt lösenord och kan inte logga in på appen",
    " ".join(["The courier left the parcel at the wrong address again."] * 50),  # > 256 pieces
]

pytestmark = [pytest.mark.model, pytest.mark.slow]


def _cos(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    return np.sum(a * b, axis=1)


@pytest.fixture(scope="module")
def exported(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The export a first process leaves in `.kb/cache/onnx/` (made once: the export is tested below)."""
    cache = tmp_path_factory.mktemp("minilm-export")
    assert SentenceTransformerEmbedder(backend="onnx", cache_dir=cache).runs_on == "onnx"
    return cache / "onnx"


def _given(exported: Path, cache: Path) -> Path:
    """Give `cache` that export: the .onnx file alone (no optimised graph, no check marker)."""
    import shutil

    (cache / "onnx").mkdir(parents=True)
    for path in exported.glob("*.onnx"):
        shutil.copy(path, cache / "onnx" / path.name)
    return cache


def test_onnx_gives_torch_vectors_one_by_one_and_in_batches(tmp_path: Path, exported: Path) -> None:
    torch_emb = SentenceTransformerEmbedder(backend="torch")
    onnx_emb = SentenceTransformerEmbedder(backend="onnx", cache_dir=_given(exported, tmp_path))
    want = torch_emb.encode(TEXTS * 3)  # 15 texts: the batched path
    assert onnx_emb.runs_on == "onnx" and torch_emb.runs_on == "torch"
    assert onnx_emb.model_id == torch_emb.model_id  # so the article cache is shared
    few = np.vstack([onnx_emb.encode([t]) for t in TEXTS])
    many = onnx_emb.encode(TEXTS * 3)
    assert few.shape == (5, 384) and many.shape == (15, 384) and many.dtype == np.float32
    assert _cos(few, want[:5]).min() > 0.9999
    assert _cos(many, want).min() > 0.9999
    np.testing.assert_allclose(np.linalg.norm(many, axis=1), 1.0, atol=1e-5)


def test_a_checked_export_embeds_articles_without_torch(
    tmp_path: Path, exported: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """After one process exported and checked the model, articles need no torch: same vectors."""
    from kb.suggest import embedders

    want = SentenceTransformerEmbedder(backend="torch").encode(TEXTS * 3)
    _given(exported, tmp_path)
    assert SentenceTransformerEmbedder(cache_dir=tmp_path).runs_on == "onnx"  # checked, marked
    monkeypatch.setattr(embedders, "_MODELS", {})  # what a later process has: no model loaded
    later = SentenceTransformerEmbedder(cache_dir=tmp_path)
    assert later.dim == 384 and later._light is False  # read off the marker, nothing opened
    few, many = later.encode(TEXTS[:2]), later.encode(TEXTS * 3)  # one by one, and batched
    assert embedders._MODELS == {}  # torch's model was never loaded
    assert later.light is not None and later.dim == 384
    # its sessions opened the optimised graphs the first process kept: still torch's vectors
    assert len(list((tmp_path / "onnx").glob("*.onnx.opt-*"))) == 1
    assert _cos(few, want[:2]).min() > 0.9999
    assert _cos(many, want).min() > 0.9999  # the long text too: truncated where torch cuts it


def test_the_export_is_cached_and_reused(tmp_path: Path) -> None:
    emb = SentenceTransformerEmbedder(backend="onnx", cache_dir=tmp_path)
    attention = emb.model[0].auto_model.config._attn_implementation
    first = emb.onnx
    # exported with eager attention (a faster graph), and the torch model is left as it was
    assert emb.model[0].auto_model.config._attn_implementation == attention != "eager"
    files = list((tmp_path / "onnx").glob("*.onnx"))
    assert len(files) == 1 and first.path == files[0]
    stamp = files[0].stat().st_mtime_ns
    # what another process does: finds the file, so no new export
    encoder = onnx_backend.load(
        "all-MiniLM-L6-v2", model_path("all-MiniLM-L6-v2"), first.st_model, tmp_path
    )
    assert encoder.path == files[0] and files[0].stat().st_mtime_ns == stamp


def test_int8_runs_queries_only_and_shares_the_article_cache(
    tmp_path: Path, exported: Path, make_kb: MakeKB
) -> None:
    """onnx-int8: tickets on int8 weights (close to torch), articles at full precision."""
    from kb.suggest.embedders import encode_queries

    torch_emb = SentenceTransformerEmbedder(backend="torch")
    int8 = SentenceTransformerEmbedder(backend="onnx-int8", cache_dir=_given(exported, tmp_path))
    assert int8.model_id == torch_emb.model_id  # article vectors are the same
    want = torch_emb.encode(TEXTS * 3)
    assert _cos(int8.encode(TEXTS * 3), want).min() > 0.9999
    for queries in (encode_queries(int8, TEXTS), encode_queries(int8, TEXTS * 3)[:5]):
        gap = _cos(queries, want[:5])
        assert gap.min() > 0.95 and gap.max() < 0.99999  # close, but not the same vectors
    assert _cos(encode_queries(torch_emb, TEXTS), want[:5]).min() > 0.9999
    names = sorted(p.name for p in (tmp_path / "onnx").glob("*.onnx"))
    assert len(names) == 2 and names[0].endswith(".int8.onnx")
    kb = load(make_kb({"en/a.md": ({"title": "Reset your password"}, "Open Settings.\n")}))
    embed_articles(kb.articles, torch_emb, tmp_path)
    before = int8.encoded
    embed_articles(kb.articles, int8, tmp_path)
    assert int8.encoded == before  # torch's article vectors served it: no second embedding
    assert [p.name for p in tmp_path.glob("embeddings-*.npz")] == [
        "embeddings-all-MiniLM-L6-v2-kb.npz"
    ]


def test_a_failed_export_falls_back_to_torch_or_is_an_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(st_model: object, target: Path) -> None:
        raise RuntimeError("exporter exploded")

    monkeypatch.setattr(onnx_backend, "export", broken)
    auto = SentenceTransformerEmbedder(backend="auto", cache_dir=tmp_path / "a")
    assert auto.runs_on == "torch"
    assert auto.encode(["refund"]).shape == (1, 384)
    strict = SentenceTransformerEmbedder(backend="onnx", cache_dir=tmp_path / "b")
    with pytest.raises(KBError, match=r"kb.model_backend: onnx: cannot run .*exporter exploded"):
        strict.encode(["refund"])


def test_vectors_that_disagree_are_refused(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    real = onnx_backend.OnnxEncoder.encode

    def skewed(self, texts, batch_size=32, queries=False):  # type: ignore[no-untyped-def]
        out = real(self, texts, batch_size, queries=queries)
        out[:, :50] = 0.0  # a broken graph: part of every vector lost
        return onnx_backend._unit(out)

    monkeypatch.setattr(onnx_backend.OnnxEncoder, "encode", skewed)
    emb = SentenceTransformerEmbedder(backend="auto", cache_dir=tmp_path)
    assert emb.runs_on == "torch"


def test_an_unknown_backend_setting_names_the_field(tmp_path: Path) -> None:
    (tmp_path / "articles").mkdir()
    (tmp_path / "mkdocs.yml").write_text(
        "site_name: t\nplugins:\n  - kb:\n      model_backend: tensorflow\n"
    )
    with pytest.raises(SettingsError, match=r"kb.model_backend: 'tensorflow' is not one of"):
        Settings.load(tmp_path / "mkdocs.yml")
