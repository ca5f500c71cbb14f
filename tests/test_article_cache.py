"""Loading a KB reuses what reading each unchanged file gave before (kb.core.reading)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from conftest import article

import kb.core.reading
from kb.core.collection import KnowledgeBase
from kb.core.settings import Settings


@pytest.fixture
def reads(monkeypatch):
    """The files read_article parsed, in order."""
    seen: list[str] = []
    real = kb.core.reading.read_article

    def spy(path, settings, ctx=None):
        seen.append(path.name)
        return real(path, settings, ctx)

    monkeypatch.setattr(kb.core.reading, "read_article", spy)
    return seen


def summary(base: KnowledgeBase) -> tuple:
    """Everything a load gives that a cached load must give too."""
    return (
        [(a.rel_path, dict(a.meta), a.body, a.content_hash) for a in base.articles],
        [str(e) for e in base.errors],
        [str(w) for w in base.warnings],
    )


def test_unchanged_files_are_not_parsed_again_and_give_the_same_kb(make_kb, reads):
    config = make_kb(
        {
            "en/a.md": {"title": "Alpha", "category": "billing"},
            "en/b.md": {"title": "Beta", "tags": ["x"], "type": "recipe"},  # an error
            "en/c.md": {"title": "Gamma", "reviewed": "2026-01-01", "review_every": "1m"},
        }
    )
    first = KnowledgeBase.scan(Settings.load(config))
    assert sorted(reads) == ["a.md", "b.md", "c.md"]
    assert any("type" in str(e) for e in first.errors)
    reads.clear()
    second = KnowledgeBase.scan(Settings.load(config))
    assert reads == []
    assert summary(second) == summary(first)

    path = config.parent / "articles/en/a.md"
    path.write_text(article({"title": "Alpha, edited", "category": "billing"}))
    third = KnowledgeBase.scan(Settings.load(config))
    assert reads == ["a.md"]
    assert third.get("en/a").title == "Alpha, edited"


def test_settings_and_the_date_are_part_of_the_cache_key(make_kb, reads):
    files = {"en/a.md": {"title": "Alpha", "reviewed": "2026-01-01", "review_every": "1m"}}
    config = make_kb(files)
    settings = Settings.load(config)
    settings.today = dt.date(2026, 1, 15)
    KnowledgeBase.scan(settings)
    reads.clear()
    settings.today = dt.date(2027, 1, 15)  # the review is overdue now
    KnowledgeBase.scan(settings)
    assert reads == ["a.md"]
    reads.clear()
    config = make_kb(files, kb_options={"languages": ["en", "nl"]})
    KnowledgeBase.scan(Settings.load(config))
    assert reads == ["a.md"]


def test_a_damaged_cache_is_ignored_and_replaced(make_kb, reads):
    config = make_kb({"en/a.md": {"title": "Alpha"}})
    settings = Settings.load(config)
    KnowledgeBase.scan(settings)
    cache = settings.cache_dir / "articles.pickle"
    assert cache.is_file()
    cache.write_bytes(b"not a pickle")
    reads.clear()
    assert KnowledgeBase.scan(settings).get("en/a").title == "Alpha"
    assert reads == ["a.md"]
    reads.clear()
    KnowledgeBase.scan(settings)
    assert reads == []


def test_the_code_fingerprint_covers_modules_in_subpackages(tmp_path):
    from kb.core.cache import code_fingerprint

    package = tmp_path / "kb"
    (package / "core").mkdir(parents=True)
    (package / "cli.py").write_text("# top\n")
    module = package / "core" / "reading.py"
    module.write_text("# one\n")
    before = code_fingerprint(package)
    assert code_fingerprint(package) == before
    module.write_text("# two, longer\n")
    edited = code_fingerprint(package)
    assert edited != before
    (package / "core" / "new.py").write_text("# added\n")
    assert code_fingerprint(package) != edited


def test_package_versions_are_those_importlib_metadata_gives(tmp_path: Path) -> None:
    import importlib.metadata as metadata
    import sys

    from kb.core import cache

    for name in ("PyYAML", "whoosh-reloaded", "whoosh_reloaded", "Markdown", "numpy"):
        assert cache.package_version(name) == metadata.version(name)
    assert cache.package_version("no-such-distribution-xyz") == "-"
    assert cache.package_version("no-such-distribution-xyz", missing="missing") == "missing"
    # a folder put on sys.path later, with a distribution spelled as old pips wrote it
    (tmp_path / "Some.Odd_Dist-1.2.3+local.dist-info").mkdir()
    sys.path.insert(0, str(tmp_path))
    try:
        assert cache.package_version("some-odd-dist") == "1.2.3+local"
    finally:
        sys.path.remove(str(tmp_path))
