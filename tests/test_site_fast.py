"""`parallel: false` turns off all of kb.site.fast: nothing forked, streamed, detached or patched.

That the site is the same either way is tests/split_cases.py's
`a_build_without_the_speed_machinery_is_the_same_site` (it needs a fresh interpreter to fork).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml
from test_site_helpers import copy_fixture, edit, file_text, read

import kb.site.fast as fast
from kb.core import fs
from kb.core.settings import Settings
from kb.site.build import build_site
from kb.site.fast.indexer import IndexProcess
from kb.site.fast.split import RenderSplit
from kb.site.fast.stream import PagefindStream

pytestmark = pytest.mark.slow


def with_kb_option(config: Path, **options: Any) -> Path:
    """Set kb options in the plugin entry of a mkdocs.yml, as a user would."""
    text = config.read_text(encoding="utf-8")
    data = yaml.safe_load(text.replace("!!python/name:", "python-name-"))
    data["plugins"][0]["kb"].update(options)
    config.write_text(
        yaml.safe_dump(data, sort_keys=False).replace("python-name-", "!!python/name:"),
        encoding="utf-8",
    )
    return config


@pytest.mark.parametrize("parallel", [False, True])
def test_parallel_false_starts_nothing_beside_the_build(tmp_path, monkeypatch, parallel):
    config = with_kb_option(copy_fixture(tmp_path / "kb"), parallel=parallel)
    settings = Settings.load(config)
    assert settings.parallel is parallel
    calls: list[str] = []

    def spy(name: str, real: Any) -> Any:
        def call(*args: Any, **kwargs: Any) -> Any:
            calls.append(name)
            return real(*args, **kwargs)

        return call

    monkeypatch.setattr(IndexProcess, "start", spy("index process", IndexProcess.start))
    monkeypatch.setattr(RenderSplit, "start", spy("second renderer", RenderSplit.start))
    monkeypatch.setattr(PagefindStream, "__init__", spy("Pagefind stream", PagefindStream.__init__))
    monkeypatch.setattr(fast, "skip_hidden_theme_folders", spy("theme patch", lambda theme: None))
    monkeypatch.setattr(fs, "start_linking", spy("cp -al", fs.start_linking))
    discard = fs.discard

    def discard_here(paths: list[Path], beside: Path, *, background: bool = True) -> None:
        if background:
            calls.append("background delete")
        discard(paths, beside, background=background)

    monkeypatch.setattr(fs, "discard", discard_here)

    site = build_site(settings)
    other = site / "en/billing/pay-by-card/index.html"
    before = other.stat().st_mtime_ns
    invoice = "en/billing/download-invoice.md"
    edit(config, invoice, "ready as soon", "ready the moment")
    build_site(settings)  # a rebuild: the previous site linked in, one page rendered
    assert "ready the moment" in read(site, "en/billing/download-invoice/index.html")
    assert other.stat().st_mtime_ns == before
    assert any("ready the moment" in file_text(p) for p in (site / "pagefind/fragment").iterdir())
    edit(config, invoice, "title: Download an invoice", "title: Invoices")
    build_site(settings)  # another structure: the previous site is deleted, every page rendered
    assert "Invoices" in read(site, "en/billing/pay-by-card/index.html")
    if parallel:  # the same builds with the machinery: each piece of it is used
        wanted = ["index process", "Pagefind stream", "theme patch", "cp -al", "background delete"]
        assert set(wanted) <= set(calls)
    else:
        assert calls == []
    leftovers = [p.name for p in site.parent.iterdir() if p.name.startswith((".site", ".kb-"))]
    assert (
        leftovers == [] or parallel
    )  # with parallel, old sites are being deleted in the background
