"""The cases of test_site_split.py, each run in a fresh interpreter: forking needs one thread.

Run one with `python tests/split_cases.py NAME TMPDIR`; it exits non-zero when an assert fails.
"""

from __future__ import annotations

import json
import logging
import os
import sys
import tempfile
from pathlib import Path
from types import SimpleNamespace

import pytest
from test_site_helpers import copy_fixture, read

import kb.site.fast.split as site_split
from kb.core.errors import KBError
from kb.core.settings import Settings
from kb.site import LOGGER
from kb.site.fast.split import RenderSplit


def force_split(mp: pytest.MonkeyPatch) -> list[RenderSplit | None]:
    """Force the split on the small fixture KB and record each build's RenderSplit (parent side)."""
    seen: list[RenderSplit | None] = []
    start = RenderSplit.start.__func__  # type: ignore[attr-defined]

    def spy(cls: type[RenderSplit], *args: object, **kwargs: object) -> RenderSplit | None:
        split = start(cls, *args, **kwargs)
        if split is None or not split.child:
            seen.append(split)
        return split

    mp.setattr(site_split, "MIN_PAGES", 1)
    mp.setattr(RenderSplit, "start", classmethod(spy))
    return seen


class Records(logging.Handler):
    """The warnings logged while it is attached to the root logger."""

    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self.records: list[logging.LogRecord] = []
        logging.getLogger().addHandler(self)

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)


def site_files(site: Path) -> dict[str, bytes]:
    """Every file of a built site but the Pagefind bundle (its chunks depend on page order)."""
    return {
        p.relative_to(site).as_posix(): p.read_bytes()
        for p in site.rglob("*")
        if p.is_file() and not p.relative_to(site).as_posix().startswith("pagefind/")
    }


def pagefind_pages(site: Path) -> dict[str, int]:
    """Pages per language in the site's Pagefind index."""
    entry = json.loads(read(site, "pagefind/pagefind-entry.json"))
    return {lang: meta["page_count"] for lang, meta in entry["languages"].items()}


def two_renderers_build_the_same_site_as_one(tmp_path: Path, mp: pytest.MonkeyPatch) -> None:
    from kb.site.build import build_site

    splits = force_split(mp)

    settings = Settings.load(copy_fixture(tmp_path / "kb"))
    site = build_site(settings, full=True)
    assert len(splits) == 1 and splits[0] is not None and len(splits[0].pages) > 5
    two = site_files(site)
    two_search = pagefind_pages(site)
    fragments = len(list((site / "pagefind/fragment").iterdir()))

    mp.setattr(site_split, "MIN_PAGES", 10**9)
    build_site(settings, full=True)
    assert splits[-1] is None  # this build rendered in one process
    one = site_files(site)
    assert sorted(one) == sorted(two)
    assert [name for name in one if one[name] != two[name]] == []
    searchable = [name for name in one if b"data-pagefind-body" in one[name]]
    assert pagefind_pages(site) == two_search
    assert sum(two_search.values()) == len(searchable) > 5
    assert len(list((site / "pagefind/fragment").iterdir())) == fragments


def a_build_without_the_speed_machinery_is_the_same_site(
    tmp_path: Path, mp: pytest.MonkeyPatch
) -> None:
    """parallel: false (one process, Pagefind over the written site) against a split build."""
    from kb.site.build import build_site
    from kb.site.fast import Fast

    splits = force_split(mp)
    started: list[str] = []
    start = Fast.render

    def render(self, *args, **kwargs):  # type: ignore[no-untyped-def]
        start(self, *args, **kwargs)
        started.extend(name for name in ("split", "stream", "indexer") if getattr(self, name))

    mp.setattr(Fast, "render", render)
    settings = Settings.load(copy_fixture(tmp_path / "kb"))
    site = build_site(settings, full=True)
    assert splits[-1] is not None and sorted(set(started)) == ["indexer", "split", "stream"]
    fast = site_files(site)
    fast_search = pagefind_pages(site)
    fragments = sorted(p.name for p in (site / "pagefind/fragment").iterdir())

    started.clear()
    settings.parallel = False
    build_site(settings, full=True)
    assert started == [] and len(splits) == 1  # nothing forked, streamed or split
    plain = site_files(site)
    assert sorted(plain) == sorted(fast)
    assert [name for name in plain if plain[name] != fast[name]] == []
    assert pagefind_pages(site) == fast_search and sum(fast_search.values()) > 5
    assert sorted(p.name for p in (site / "pagefind/fragment").iterdir()) == fragments


def second_renderers_warnings_count_in_strict_mode(tmp_path: Path, mp: pytest.MonkeyPatch) -> None:
    from kb.site.build import build_site

    splits = force_split(mp)

    config = copy_fixture(tmp_path / "kb")
    settings = Settings.load(config)
    site = build_site(settings, full=True)
    split = splits[-1]
    assert split is not None
    docs = config.parent / "articles"
    child_page = next(p for p in split.pages if (docs / f"{p.rsplit('/', 1)[0]}.md").is_file())
    source = docs / f"{child_page.rsplit('/', 1)[0]}.md"
    before = read(site, child_page)
    source.write_text(source.read_text() + "\n![Screenshot](no-such-image.png)\n")
    caught = Records()
    with pytest.raises(KBError, match="strict"):
        build_site(settings, full=True)
    assert splits[-1] is not None and child_page in splits[-1].pages  # the child rendered it
    assert any("no-such-image.png" in r.getMessage() for r in caught.records)
    assert read(site, child_page) == before  # the live site is untouched


def failing_second_renderer_fails_the_build_and_keeps_the_old_site(
    tmp_path: Path, mp: pytest.MonkeyPatch
) -> None:
    from kb.site.build import build_site
    from kb.site.plugin import KBPlugin

    force_split(mp)

    settings = Settings.load(copy_fixture(tmp_path / "kb"))
    site = build_site(settings, full=True)
    home = read(site, "index.html")
    parent = os.getpid()
    render = KBPlugin.on_page_content

    def boom(self, html, page, config, files):  # type: ignore[no-untyped-def]
        if os.getpid() != parent:
            raise RuntimeError(f"cannot render {page.file.src_uri}")
        return render(self, html, page, config, files)

    mp.setattr(KBPlugin, "on_page_content", boom)
    with pytest.raises(KBError, match=r"second page renderer failed: .*cannot render"):
        build_site(settings, full=True)
    assert read(site, "index.html") == home
    assert [p.name for p in site.parent.iterdir() if ".new-" in p.name] == []


def fake_pages(n: int) -> list[SimpleNamespace]:
    """Stand-ins for MkDocs files: a dest_uri and an is_modified() that says True."""
    return [
        SimpleNamespace(dest_uri=f"p{i:02}/index.html", is_modified=lambda: True) for i in range(n)
    ]


def pages_are_shared_out_and_a_child_that_dies_is_reported(
    tmp_path: Path, mp: pytest.MonkeyPatch
) -> None:
    pages = fake_pages(6)
    split = RenderSplit.start(pages, [], minimum=1)
    assert split is not None
    if split.child:  # pragma: no cover - runs in the forked child
        os._exit(3)
    assert split.pages == ["p01/index.html", "p03/index.html", "p05/index.html"]
    assert [p.is_modified() for p in pages] == [True, False] * 3  # the parent skips the child's
    with pytest.raises(KBError, match="exit code 3"):
        split.join()


def child_sends_its_pages_and_warnings_to_the_parent(
    tmp_path: Path, mp: pytest.MonkeyPatch
) -> None:
    split = RenderSplit.start(fake_pages(4), [], minimum=1)
    assert split is not None
    if split.child:  # pragma: no cover - runs in the forked child
        try:
            split.send_page("p01/index.html", "<p>één</p>" * 10_000)  # larger than a pipe buffer
            logging.getLogger(f"{LOGGER}.plugins.kb").warning("a child warning")
            split.finish_child()
        finally:
            os._exit(5)
    got: list[tuple[str, str]] = []
    split.receive(lambda path, html: got.append((path, html)))
    caught = Records()
    split.join()
    assert got == [("p01/index.html", "<p>één</p>" * 10_000)]
    assert [(r.name, r.getMessage()) for r in caught.records] == [
        (f"{LOGGER}.plugins.kb", "a child warning")
    ]


def small_builds_and_threaded_processes_render_in_one_process(
    tmp_path: Path, mp: pytest.MonkeyPatch
) -> None:
    assert RenderSplit.start(fake_pages(3), [], minimum=10) is None

    import threading

    event = threading.Event()
    thread = threading.Thread(target=event.wait)
    thread.start()
    try:
        assert RenderSplit.start(fake_pages(30), [], minimum=1) is None  # forking is unsafe
    finally:
        event.set()
        thread.join()


CASES = [
    two_renderers_build_the_same_site_as_one,
    a_build_without_the_speed_machinery_is_the_same_site,
    second_renderers_warnings_count_in_strict_mode,
    failing_second_renderer_fails_the_build_and_keeps_the_old_site,
    pages_are_shared_out_and_a_child_that_dies_is_reported,
    child_sends_its_pages_and_warnings_to_the_parent,
    small_builds_and_threaded_processes_render_in_one_process,
]

if __name__ == "__main__":
    case = {c.__name__: c for c in CASES}[sys.argv[1]]
    with pytest.MonkeyPatch.context() as patch:
        case(Path(sys.argv[2] if len(sys.argv) > 2 else tempfile.mkdtemp()), patch)
    print(f"{case.__name__}: ok")
