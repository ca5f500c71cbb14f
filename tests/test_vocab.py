"""The browser search vocabulary (kb.site.vocab): public words only, synonyms, size, rebuilds."""

from __future__ import annotations

import dataclasses
import json
import shutil
import tempfile
from pathlib import Path
from typing import Any

import pytest
from test_site_helpers import REPO, built_fixture, copy_fixture, edit

from kb.core.collection import KnowledgeBase
from kb.core.settings import Settings
from kb.search.analysis import Analyzer
from kb.site import vocab
from kb.site.vocab import article_words, build_vocab, read_synonyms, vocab_name


def words_of(data: dict[str, Any]) -> dict[str, int]:
    """{word: article count} of a vocabulary."""
    return {w: int(n) for n, ws in data["df"].items() for w in ws.split()}


@pytest.fixture(scope="module")
def sample() -> KnowledgeBase:
    """The repository's sample KB, loaded from a copy (others edit the checkout)."""
    root = Path(tempfile.mkdtemp(prefix="kb-vocab-test-")) / "kb"
    root.mkdir()
    for name in ("articles", "search"):
        shutil.copytree(REPO / name, root / name)
    return KnowledgeBase.load(Settings.load(root))


def test_public_vocabulary_has_public_words_and_no_internal_only_word(sample):
    public = [a for a in sample.articles if a.is_public]
    en = words_of(build_vocab(public, "en"))
    assert {"password", "refund", "refunds", "invoice"} <= set(en)
    assert en["refund"] == en["refunds"] > 3  # counted per stem: articles holding either
    assert "the" not in en and not any(w.isdigit() for w in en)
    # "chargeback" is written only in the agents' articles
    an = Analyzer("en")
    internal = [a for a in sample.articles if a.lang == "en" and not a.is_public]
    assert any("chargeback" in article_words(a, an) for a in internal)
    assert not any("chargeback" in article_words(a, an) for a in public)
    assert "chargeback" not in en
    assert "chargeback" in words_of(build_vocab(sample.articles, "en"))


def test_each_language_has_its_own_words_stop_words_and_compound_links(sample):
    nl = build_vocab(sample.articles, "nl")
    assert "wachtwoord" in words_of(nl) and "password" not in words_of(nl)
    assert nl["links"] == ["s", "e", "en"] and "het" in nl["stop"].split()
    assert build_vocab(sample.articles, "en")["links"] == []


def test_synonyms_are_shipped_per_language_as_written():
    table = read_synonyms(REPO / "search" / "synonyms.yml")
    assert table["en"]["reimbursement"] == ["refund", "money back"]
    assert table["en"]["charged twice"] == ["double charge", "duplicate charge"]
    assert "double charge" not in table["en"]  # a one-way entry
    assert table["sv"]["lösenord"] == ["inloggningskod"]


def test_a_broken_synonyms_file_only_means_no_synonyms(tmp_path):
    bad = tmp_path / "synonyms.yml"
    bad.write_text("en: [[refund, money back]\n", encoding="utf-8")
    assert read_synonyms(bad) == {}
    assert read_synonyms(tmp_path / "missing.yml") == {}


def test_the_vocabulary_is_capped_rare_words_first(sample, monkeypatch):
    everything = words_of(build_vocab(sample.articles, "en"))
    monkeypatch.setattr(vocab, "MAX_WORDS", 50)
    kept = words_of(build_vocab(sample.articles, "en"))
    assert len(kept) == 50 < len(everything)
    assert min(kept.values()) >= max(n for w, n in everything.items() if w not in kept)
    assert min(everything.values()) == 1 < min(kept.values())


def test_the_built_sites_hold_their_own_vocabularies():
    config, public, internal = built_fixture()
    kb = KnowledgeBase.load(Settings.load(config))
    an = Analyzer("en")
    english = [a for a in kb.articles if a.lang == "en"]
    shown = {w for a in english if a.is_public for w in article_words(a, an)}
    only_hidden = {w for a in english if not a.is_public for w in article_words(a, an)} - shown
    assert only_hidden  # words that only non-public articles hold (internal, drafts...)
    body = (public / vocab_name("en")).read_bytes()
    site_words = set(words_of(json.loads(body)))
    assert "invoice" in site_words and not site_words & only_hidden
    agents = set(words_of(json.loads((internal / vocab_name("en")).read_text(encoding="utf-8"))))
    assert only_hidden & agents
    assert len(body) < 10_000 and b"\n" not in body and b", " not in body  # compact
    for lang in ("nl", "sv"):
        assert json.loads((public / vocab_name(lang)).read_text(encoding="utf-8"))["lang"] == lang


def test_a_rebuild_keeps_the_vocabulary_in_line_with_the_articles():
    from kb.site.build import build_site

    config = copy_fixture(Path(tempfile.mkdtemp(prefix="kb-vocab-rebuild-")) / "kb")
    settings = Settings.load(config)
    site = build_site(settings, internal=False, full=True)
    path = site / vocab_name("en")
    assert "zanzibarian" not in words_of(json.loads(path.read_text(encoding="utf-8")))
    edit(config, "en/billing/download-invoice.md", "The invoice is", "The zanzibarian invoice is")
    site = build_site(settings, internal=False)  # an incremental rebuild
    assert "zanzibarian" in words_of(json.loads(path.read_text(encoding="utf-8")))
    edit(config, "en/billing/download-invoice.md", "The zanzibarian invoice is", "The invoice is")
    site = build_site(settings, internal=False)
    assert "zanzibarian" not in words_of(json.loads(path.read_text(encoding="utf-8")))
    assert sorted(p.name for p in (site / "assets").glob("kb-vocab-*.json")) == [
        "kb-vocab-en.json",
        "kb-vocab-nl.json",
        "kb-vocab-sv.json",
    ]


def test_vocabularies_of_languages_no_longer_built_are_removed(sample, tmp_path):
    stale = tmp_path / vocab_name("de")
    stale.parent.mkdir(parents=True)
    stale.write_text("{}", encoding="utf-8")
    written = vocab.write_vocab(sample.articles, ["en"], REPO / "search" / "synonyms.yml", tmp_path)
    assert written == [tmp_path / vocab_name("en")] and not stale.exists()
    assert vocab.write_vocab(sample.articles, ["en"], tmp_path / "none.yml", tmp_path) == [
        tmp_path / vocab_name("en")
    ]  # the synonyms changed: written again
    assert vocab.write_vocab(sample.articles, ["en"], tmp_path / "none.yml", tmp_path) == []


def test_cached_words_give_the_same_vocabulary_and_only_changed_articles_are_read(sample, tmp_path):
    cache_file = tmp_path / "vocab.pickle"
    fresh = build_vocab(sample.articles, "en")
    first = vocab.WordCache(cache_file)
    assert build_vocab(sample.articles, "en", words_cache=first) == fresh
    english = [a for a in sample.articles if a.lang == "en"]
    assert first.misses == len(english)
    first.save()
    again = vocab.WordCache(cache_file)
    assert build_vocab(sample.articles, "en", words_cache=again) == fresh and again.misses == 0
    # an article whose text changed is read again, and its new words count
    changed = dataclasses.replace(english[0], body=english[0].body + "\n\nZanzibarian words.\n")
    articles = [changed if a is english[0] else a for a in sample.articles]
    third = vocab.WordCache(cache_file)
    assert "zanzibarian" in words_of(build_vocab(articles, "en", words_cache=third))
    assert third.misses == 1
    # a cache made by other code (another fingerprint) is not trusted
    cache_file.write_bytes(b"not a pickle")
    assert build_vocab(sample.articles, "en", words_cache=vocab.WordCache(cache_file)) == fresh
