"""The build's output folder (kb.site.output) and the cut pages kept for Pagefind (kb.site.fast.cut)."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest
from test_site_helpers import copy_fixture, read

from kb.core.cache import SITE_STAMP as STAMP
from kb.core.settings import Settings
from kb.site.fast.cut import CutPages, pagefind_html
from kb.site.output import Staging

PAGE = (
    '<!DOCTYPE html><html lang="{lang}"><head><title>{title}</title></head><body><nav>menu</nav>'
    "<div data-pagefind-body><h1>{title}</h1><p>{text}</p></div><!--kb:pagefind-body-end-->"
    "<footer>scripts</footer></body></html>"
)


def page(site: Path, rel: str, text: str, lang: str = "en") -> str:
    """Write a page into `site` (unlinking any old file, as a build does); return its HTML."""
    html = PAGE.format(lang=lang, title=rel, text=text)
    path = site / rel
    path.parent.mkdir(parents=True, exist_ok=True)
    path.unlink(missing_ok=True)
    path.write_text(html, encoding="utf-8")
    return html


def mirrored(cut: CutPages) -> dict[str, str]:
    """Every page copy in the mirror folder, by path."""
    return {
        p.relative_to(cut.pages).as_posix(): p.read_text(encoding="utf-8")
        for p in cut.pages.rglob("*.html")
    }


def test_cut_pages_keep_copies_of_unchanged_pages_and_recut_changed_ones(tmp_path):
    site, root = tmp_path / "site", tmp_path / "mirror"
    a = page(site, "a/index.html", "alpha")
    b = page(site, "b/index.html", "beta")
    (site / "redirect.html").write_text("<html><head></head><body>moved</body></html>")
    cut = CutPages.open(root)
    assert cut is not None
    for rel, html in (("a/index.html", a), ("b/index.html", b)):
        assert cut.put(rel, html) == pagefind_html(html)
    assert cut.put("redirect.html", (site / "redirect.html").read_text()) is None
    cut.close(site, {"a/index.html", "b/index.html", "redirect.html"})
    assert mirrored(cut) == {"a/index.html": pagefind_html(a), "b/index.html": pagefind_html(b)}
    assert "menu" not in mirrored(cut)["a/index.html"]

    # the next build keeps a and the redirect, rewrites b in the site, drops nothing else
    copy = mirrored(cut)["a/index.html"]
    (cut.pages / "a/index.html").write_text(copy + "<!-- still the kept copy -->")
    a2 = page(site, "a/index.html", "alpha changed outside kb")  # a new file: must be re-cut
    cut = CutPages.open(root)
    assert cut is not None
    folder = cut.reuse(site, ["a/index.html", "redirect.html"])
    assert mirrored(cut) == {"a/index.html": pagefind_html(a2)}  # b waits for its render
    b2 = page(site, "b/index.html", "beta edited")
    cut.put("b/index.html", b2)
    cut.close(site, {"a/index.html", "b/index.html", "redirect.html"})
    assert folder == cut.pages
    assert mirrored(cut) == {"a/index.html": pagefind_html(a2), "b/index.html": pagefind_html(b2)}

    # a page the site no longer has leaves the mirror; an unchanged page's copy is used as it is
    (cut.pages / "b/index.html").write_text("the copy kb made")
    cut = CutPages.open(root)
    assert cut is not None
    cut.reuse(site, ["b/index.html"])
    cut.close(site, {"b/index.html"})
    assert mirrored(cut) == {"b/index.html": "the copy kb made"}


def test_after_a_full_build_a_detached_process_writes_the_copies(tmp_path):
    """The build returns (and its piped output ends) while the copies are still being written."""
    site, root = tmp_path / "site", tmp_path / "mirror"
    pages = {f"p{i}/index.html": page(site, f"p{i}/index.html", f"page {i}") for i in range(60)}
    script = f"""
import time
from pathlib import Path
from kb.site.fast.cut import CutPages
slow = CutPages._write_all
def write_all(self, copies):
    time.sleep(3)
    slow(self, copies)
CutPages._write_all = write_all
cut = CutPages.open(Path({str(root)!r}))
for rel in {sorted(pages)!r}:
    cut.put(rel, Path({str(site)!r}, rel).read_text())
cut.close(Path({str(site)!r}), set({sorted(pages)!r}))
print("closed")
"""
    start = time.monotonic()
    out = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=60, check=True
    )
    assert out.stdout.strip() == "closed"
    assert time.monotonic() - start < 2.5  # did not wait for the writer's 3 s
    assert CutPages.open(root) is None  # the writer holds the mirror...
    assert CutPages.wait(root)  # ...until it is done
    cut = CutPages.open(root)
    assert cut is not None
    assert mirrored(cut) == {rel: pagefind_html(html) for rel, html in pages.items()}
    inodes = {p: p.stat().st_ino for p in cut.pages.rglob("*.html")}
    cut.reuse(site, sorted(pages))  # every copy valid: nothing is cut again
    assert {p: p.stat().st_ino for p in cut.pages.rglob("*.html")} == inodes
    cut.close(site, set(pages))


def test_a_build_that_never_ended_or_failed_leaves_no_stale_copy(tmp_path):
    site, root = tmp_path / "site", tmp_path / "mirror"
    html = page(site, "a/index.html", "alpha")
    cut = CutPages.open(root)
    assert cut is not None
    cut.put("a/index.html", html)
    cut.close(site, {"a/index.html"})
    assert (root / "manifest.json").is_file()

    cut = CutPages.open(root)  # a build takes the mirror...
    assert cut is not None
    assert not (root / "manifest.json").exists()  # ...and a crash now leaves no manifest
    assert CutPages.open(root) is None  # a second build meanwhile cuts into a folder of its own
    cut.put("a/index.html", page(site, "a/index.html", "render of a failed build"))
    cut.close(None, {"a/index.html"})  # failed: nothing written, the old copy stays
    assert "alpha" in mirrored(cut)["a/index.html"]

    os.unlink(root / "manifest.json")  # as if killed: everything is cut again
    cut = CutPages.open(root)
    assert cut is not None
    cut.reuse(site, ["a/index.html"])
    assert "render of a failed build" in mirrored(cut)["a/index.html"]
    cut.close(site, {"a/index.html"})


def test_staging_links_the_previous_build_and_swaps(tmp_path, monkeypatch):
    target = tmp_path / "site"
    target.mkdir()
    (target / STAMP).write_text("stamp")
    (target / "a").mkdir()
    (target / "a/index.html").write_text("old page")
    staging = Staging.start(target)
    folder = staging.ready()
    assert (folder / "a/index.html").stat().st_ino == (target / "a/index.html").stat().st_ino
    (folder / "a/index.html").unlink()
    (folder / "a/index.html").write_text("new page")
    assert (target / "a/index.html").read_text() == "old page"  # until the swap
    assert staging.commit() == target
    staging.close()
    assert (target / "a/index.html").read_text() == "new page"
    assert [p.name for p in tmp_path.iterdir() if ".new-" in p.name] == []

    # without GNU cp (or when it fails) Python links the files; --full links nothing
    monkeypatch.setattr("shutil.which", lambda name: "/bin/false")
    staging = Staging.start(target)
    assert (staging.ready() / "a/index.html").read_text() == "new page"
    staging.close()
    staging = Staging.start(target, reuse=False)
    assert list(staging.ready().iterdir()) == []
    staging.close()
    time.sleep(0.05)
    assert [p.name for p in tmp_path.iterdir() if ".new-" in p.name] == []


def test_rebuilds_index_the_kept_copies_and_the_edited_page(tmp_path):
    """After a full build the mirror holds every indexed page; a rebuild updates the edited one."""
    from kb.site.build import build_site

    config = copy_fixture(tmp_path / "kb")
    settings = Settings.load(config)
    site = build_site(settings, full=True)
    mirror = settings.cache_dir / "pagefind" / "public" / "pages"
    rel = "en/billing/download-invoice/index.html"
    assert (mirror / rel).read_text() == pagefind_html(read(site, rel))
    indexed = {p.relative_to(site).as_posix() for p in site.rglob("*.html")}
    copies = {p.relative_to(mirror).as_posix() for p in mirror.rglob("*.html")}
    assert copies and copies <= indexed
    source = config.parent / "articles/en/billing/download-invoice.md"
    time.sleep(0.05)
    source.write_text(source.read_text().replace("ready as soon", "ready the moment"))
    build_site(settings)
    assert "ready the moment" in (mirror / rel).read_text()
    assert {p.relative_to(mirror).as_posix() for p in mirror.rglob("*.html")} == copies
    shutil.rmtree(settings.cache_dir / "pagefind")  # a lost cache only costs time
    source.write_text(source.read_text().replace("ready the moment", "ready right away"))
    build_site(settings)
    assert "ready right away" in (mirror / rel).read_text()


@pytest.mark.parametrize("internal", [False, True])
def test_each_audience_has_its_own_mirror(tmp_path, internal):
    from kb.site.build import build_site

    config = copy_fixture(tmp_path / "kb")
    settings = Settings.load(config)
    build_site(settings, internal=internal, full=True)
    mirrors = settings.cache_dir / "pagefind"
    assert [p.name for p in mirrors.iterdir()] == ["internal" if internal else "public"]


def test_theme_listing_skips_hidden_folders_and_nothing_mkdocs_keeps(tmp_path):
    import jinja2
    from mkdocs.config import load_config
    from mkdocs.structure.files import Files

    from kb.site.fast.templates import ThemeLoader

    config = load_config(config_file=str(copy_fixture(tmp_path / "kb")))
    config.plugins.on_config(config)  # the kb plugin brings its theme and a ThemeLoader
    dirs = config.theme.dirs
    everything = jinja2.FileSystemLoader(dirs).list_templates()
    listed = ThemeLoader(dirs).list_templates()
    visible = [t for t in everything if not any(p.startswith(".") for p in t.split("/"))]
    assert listed == visible
    assert len(everything) > 10 * len(listed)  # Material's .icons

    def assets(loader: jinja2.BaseLoader) -> list[str]:
        files = Files([])
        files.add_files_from_theme(jinja2.Environment(loader=loader), config)
        return sorted(f.src_uri for f in files)

    assert assets(ThemeLoader(dirs)) == assets(jinja2.FileSystemLoader(dirs))
    assert "assets/kb.css" in assets(ThemeLoader(dirs))
    assert type(config.theme.get_env().loader) is ThemeLoader
