"""Embeddings: section chunks, the vector cache, and the real model."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pytest

from kb.core.errors import KBError
from kb.suggest.chunks import CHUNK_WORDS, article_chunks, cache_file, embed_articles
from kb.suggest.embedders import HashEmbedder, SentenceTransformerEmbedder, model_path
from tests.conftest import MakeKB, load


class Counting(HashEmbedder):
    """A HashEmbedder that remembers what it was asked to encode."""

    def __init__(self) -> None:
        super().__init__()
        self.calls: list[list[str]] = []

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        self.calls.append(list(texts))
        return super().encode(texts)


BODY = "Intro words.\n\n## Cause\n\nThe cause.\n\n## Resolution\n\nDo this.\n"


def test_chunks_are_title_plus_section(make_kb: MakeKB) -> None:
    kb = load(make_kb({"en/a.md": ({"title": "Lamp broken", "summary": "Short."}, BODY)}))
    chunks = article_chunks(kb.articles[0])
    assert [c.heading for c in chunks] == ["", "Cause", "Resolution"]
    assert chunks[0].text == "Lamp broken. Short. Intro words."
    assert chunks[1].text == "Lamp broken. Cause The cause."
    assert chunks[2].anchor == "resolution"


def test_a_long_section_is_split_into_overlapping_windows(make_kb: MakeKB) -> None:
    words = " ".join(f"w{i}" for i in range(CHUNK_WORDS * 2))
    kb = load(make_kb({"en/a.md": ({"title": "Long"}, f"## Steps\n\n{words}\n")}))
    chunks = article_chunks(kb.articles[0])
    assert len(chunks) == 3
    assert all(c.heading == "Steps" and c.text.startswith("Long. ") for c in chunks)
    assert all(len(c.text.split()) <= CHUNK_WORDS + 1 for c in chunks)
    assert "w319" in chunks[-1].text  # the end is not cut off


def test_an_article_without_body_is_embedded_by_its_title(make_kb: MakeKB) -> None:
    kb = load(make_kb({"en/a.md": ({"title": "Only a title"}, "")}))
    assert [c.text for c in article_chunks(kb.articles[0])] == ["Only a title"]


def test_second_run_embeds_nothing_and_an_edit_re_embeds_only_itself(
    make_kb: MakeKB, tmp_path: Path
) -> None:
    files = {f"en/a{i}.md": ({"title": f"Article {i}"}, BODY) for i in range(5)}
    config = make_kb(files)
    cache = tmp_path / "cache"
    emb = Counting()
    first = embed_articles(load(config).articles, emb, cache)
    assert first.embedded == 15 and first.stats == {"articles": 5, "chunks": 15, "embedded": 15}
    assert cache_file(cache, emb.model_id).is_file()

    emb2 = Counting()
    again = embed_articles(load(config).articles, emb2, cache)
    assert again.embedded == 0 and emb2.calls == []
    np.testing.assert_allclose(again.vectors, first.vectors)

    edited = config.parent / "articles" / "en" / "a3.md"
    edited.write_text(edited.read_text().replace("The cause.", "A new cause."), encoding="utf-8")
    emb3 = Counting()
    third = embed_articles(load(config).articles, emb3, cache)
    assert third.embedded == 3
    assert all(t.startswith("Article 3.") for t in emb3.calls[0])


def test_an_unchanged_article_is_not_parsed_again(
    make_kb: MakeKB, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import kb.suggest.chunks as chunks_module

    files = {f"en/a{i}.md": ({"title": f"Article {i}"}, BODY) for i in range(3)}
    config = make_kb(files)
    cache, emb = tmp_path / "cache", HashEmbedder()
    first = embed_articles(load(config).articles, emb, cache)
    parsed: list[str] = []
    real = chunks_module.article_chunks

    def counting(article):  # type: ignore[no-untyped-def]
        parsed.append(article.id)
        return real(article)

    monkeypatch.setattr(chunks_module, "article_chunks", counting)
    again = embed_articles(load(config).articles, emb, cache)
    assert parsed == [] and again.embedded == 0
    assert [(c.heading, c.anchor) for c in again.chunks] == [
        (c.heading, c.anchor) for c in first.chunks
    ]
    np.testing.assert_array_equal(again.owner, first.owner)
    np.testing.assert_allclose(again.vectors, first.vectors)

    # a heading renamed: that article is parsed (and embedded) again, and its places follow
    edited = config.parent / "articles" / "en" / "a1.md"
    edited.write_text(edited.read_text().replace("## Cause", "## Why"), encoding="utf-8")
    third = embed_articles(load(config).articles, emb, cache)
    assert parsed == ["en/a1"] and third.embedded == 3
    assert [c.heading for c in third.chunks][3:6] == ["", "Why", "Resolution"]
    parsed.clear()
    embed_articles(load(config).articles, emb, cache)
    assert parsed == []


def test_a_cache_without_or_with_a_damaged_source_map_is_still_used(
    make_kb: MakeKB, tmp_path: Path
) -> None:
    arts = load(make_kb({"en/a.md": ({"title": "A"}, BODY)})).articles
    emb = Counting()
    embed_articles(arts, emb, tmp_path)
    path = cache_file(tmp_path, emb.model_id)
    with np.load(path) as data:
        kept = {k: data[k] for k in data.files}
    for sources in (None, np.frombuffer(b"{not json", dtype=np.uint8)):
        fields = {k: v for k, v in kept.items() if k != "sources"}
        if sources is not None:
            fields["sources"] = sources
        np.savez(path, **fields)  # what kb before the source map wrote, or a damaged map
        emb.calls.clear()
        again = embed_articles(arts, emb, tmp_path)
        assert again.embedded == 0 and emb.calls == []
        assert [c.heading for c in again.chunks] == ["", "Cause", "Resolution"]
        with np.load(path) as data:  # written again, with its map
            assert "sources" in data.files and len(data["sources"]) > 10


def test_cache_is_per_model(make_kb: MakeKB, tmp_path: Path) -> None:
    arts = load(make_kb({"en/a.md": {"title": "A"}})).articles
    cache = tmp_path / "cache"
    embed_articles(arts, HashEmbedder(64), cache)
    other = HashEmbedder(32)
    assert embed_articles(arts, other, cache).embedded == 1
    assert sorted(p.name for p in cache.iterdir()) == [
        "embeddings-hash-32-kb.npz",
        "embeddings-hash-64-kb.npz",
    ]


def test_a_damaged_cache_is_rebuilt(make_kb: MakeKB, tmp_path: Path) -> None:
    arts = load(make_kb({"en/a.md": {"title": "A"}})).articles
    emb = HashEmbedder()
    cache_file(tmp_path, emb.model_id).write_bytes(b"not a numpy file")
    assert embed_articles(arts, emb, tmp_path).embedded == 1
    assert embed_articles(arts, emb, tmp_path).embedded == 0


def test_best_section_per_article(make_kb: MakeKB) -> None:
    kb = load(
        make_kb(
            {
                "en/a.md": (
                    {"title": "Lamp"},
                    "## Cause\n\nbulb voltage\n\n## Fix\n\nrefund money",
                ),
                "en/b.md": ({"title": "Sofa"}, "## Cause\n\nfabric stain\n"),
            }
        )
    )
    emb = HashEmbedder()
    index = embed_articles(kb.articles, emb, None)
    best, chunk = index.best_per_article(emb.encode(["refund money"])[0])
    assert index.chunks[int(chunk[0])].heading == "Fix"
    assert best[0] > best[1]


def test_default_model_comes_from_the_bundled_package() -> None:
    path = Path(model_path("all-MiniLM-L6-v2"))
    assert (path / "modules.json").is_file()
    assert model_path("someone/other-model") == "someone/other-model"


@pytest.mark.model
def test_an_unknown_model_is_a_clear_error() -> None:
    emb = SentenceTransformerEmbedder("no-such-org/no-such-model-xyz")
    with pytest.raises(
        KBError, match="cannot load the embedding model 'no-such-org/no-such-model-xyz'"
    ):
        emb.encode(["x"])


@pytest.fixture(scope="session")
def real_embedder() -> SentenceTransformerEmbedder:
    """The default model, loaded once per test session."""
    return SentenceTransformerEmbedder()


@pytest.mark.model
@pytest.mark.slow
def test_real_model_vectors(real_embedder: SentenceTransformerEmbedder) -> None:
    vecs = real_embedder.encode(
        ["I forgot my password", "How do I reset my password?", "My sofa arrived damaged"]
    )
    assert vecs.shape == (3, 384) and vecs.dtype == np.float32
    np.testing.assert_allclose(np.linalg.norm(vecs, axis=1), 1.0, atol=1e-4)
    assert vecs[0] @ vecs[1] > 0.6 > vecs[0] @ vecs[2]


@pytest.mark.model
@pytest.mark.slow
def test_real_model_embeds_a_kb_and_caches(
    real_embedder: SentenceTransformerEmbedder, make_kb: MakeKB, tmp_path: Path
) -> None:
    kb = load(make_kb({"en/a.md": ({"title": "Reset your password"}, BODY)}))
    first = embed_articles(kb.articles, real_embedder, tmp_path)
    assert first.embedded == 3 and first.vectors.shape == (3, 384)
    assert embed_articles(kb.articles, real_embedder, tmp_path).embedded == 0


@pytest.mark.model
@pytest.mark.slow
def test_a_few_texts_run_on_one_thread_with_the_same_vectors() -> None:
    import torch

    real_embedder = SentenceTransformerEmbedder(backend="torch")  # the model is shared

    texts = ["My parcel never arrived and the tracking page shows nothing", "refund", "x", "y", "z"]
    before = torch.get_num_threads()
    torch.set_num_threads(2)
    try:
        together = real_embedder.encode(texts)  # five texts: torch's own two threads
        assert torch.get_num_threads() == 2
        seen: list[int] = []
        model = real_embedder.model
        original = model.encode

        def spy(*args, **kwargs):  # type: ignore[no-untyped-def]
            seen.append(torch.get_num_threads())
            return original(*args, **kwargs)

        model.encode = spy
        try:
            alone = real_embedder.encode(texts[:1])
        finally:
            del model.encode
        assert seen == [1] and torch.get_num_threads() == 2  # one thread, then restored
        np.testing.assert_allclose(alone[0], together[0], atol=1e-5)
    finally:
        torch.set_num_threads(before)


@pytest.mark.parametrize(
    ("marker", "dim"),
    [
        ('{"version": 1, "dim": 384}', 384),
        ("[1]", None),
        ("{}", None),
        ('{"version": 1, "dim": "a"}', None),
        ("not json", None),
    ],
)
def test_the_vector_length_is_read_off_a_checked_exports_marker(
    tmp_path: Path, marker: str, dim: int | None
) -> None:
    from kb.core.cache import Caches
    from kb.suggest import onnx_light
    from kb.suggest.onnx import export_paths

    name, location = "all-MiniLM-L6-v2", model_path("all-MiniLM-L6-v2")
    _, path = export_paths(name, location, Caches(tmp_path).onnx, False)
    path.parent.mkdir(parents=True, exist_ok=True)
    onnx_light.marker_path(path).write_text(marker, encoding="utf-8")
    assert onnx_light.checked_dim(name, location, tmp_path, False) == dim
    assert onnx_light.checked_dim(name, location, None, False) is None  # no cache folder
