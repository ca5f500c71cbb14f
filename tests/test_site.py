"""The help site: real mkdocs builds of a fixture KB and of the sample KB, checked for specific facts."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import time
from pathlib import Path

import pytest
from test_site_helpers import REPO, built_fixture, copy_fixture, file_text, leaks, read

from kb.cli import main
from kb.core.collection import KnowledgeBase
from kb.core.errors import ValidationFailed
from kb.core.settings import Settings
from kb.site import ENGINE

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def sites() -> tuple[Path, Path, Path]:
    return built_fixture()


# -- home, categories, articles -------------------------------------------------------------------
def test_home_page_has_search_cards_featured_popular_and_contact(sites):
    _, public, _ = sites
    home = read(public, "index.html")
    assert '<html lang="en"' in home
    assert 'id="kb-search"' in home and "data-kb-search" in home
    cards = re.findall(r'data-category="(\w+)"', home)
    assert cards == ["account", "billing"]  # no agents card: it has no public article
    assert re.search(r'data-category="billing">.*?2 articles', home, re.S)
    assert re.search(r'data-category="account">.*?1 article<', home, re.S)
    featured = home.split('class="kb-featured"')[1].split("</section>")[0]
    assert featured.index("Reset your password") < featured.index("Download an invoice")
    popular = home.split('class="kb-popular"')[1].split("</section>")[0]
    assert popular.index("Pay by card") < popular.index("Reset your password")  # 3 tickets > 1
    assert "mailto:help@fixture.example" in home and "https://fixture.example/contact" in home


def test_category_pages_are_generated_from_metadata(sites):
    _, public, internal = sites
    billing = read(public, "en/billing/index.html")
    assert "<h1>Billing</h1>" in billing
    assert re.findall(r'class="kb-list__item">\s*<a href="([^"]+)"', billing) == [
        "download-invoice/",
        "pay-by-card/",
    ]
    assert '<html lang="nl"' in read(public, "nl/billing/index.html")
    assert "Betalen" in read(public, "nl/billing/index.html")
    assert not (public / "en/agents").exists()
    assert "Approving a refund" in read(internal, "en/agents/index.html")


def test_article_page_shows_its_metadata(sites):
    _, public, _ = sites
    page = read(public, "en/billing/download-invoice/index.html")
    assert '<time datetime="2026-09-14">14 September 2026</time>' in page
    assert "Fixture app 4.9, 5.0, Fixture web shop" in page
    assert 'href="../../tags/#invoice"' in page and ">pdf<" in page
    crumbs = page.split('class="kb-breadcrumbs"')[1].split("</nav>")[0]
    assert 'href="../../..">Help Centre' in crumbs and 'href="../">Billing' in crumbs
    related = page.split('class="kb-related"')[1].split("</section>")[0]
    assert "Pay by card" in related
    assert 'hreflang="nl"' in page and 'href="../../../nl/billing/download-invoice/"' in page
    assert 'href="../../../sv/billing/download-invoice/"' in page
    assert 'data-endpoint="/api/feedback"' in page and 'data-article="download-invoice"' in page
    assert "data-pagefind-body" in page


def test_translations_link_to_each_other_with_html_lang_and_ui_strings(sites):
    _, public, _ = sites
    nl = read(public, "nl/billing/download-invoice/index.html")
    sv = read(public, "sv/billing/download-invoice/index.html")
    assert '<html lang="nl"' in nl and '<html lang="sv"' in sv
    assert "Laatst gecontroleerd" in nl and "Was dit artikel nuttig?" in nl
    assert "Senast granskad" in sv and "Var artikeln till hjälp?" in sv
    assert 'href="../../../en/billing/download-invoice/"' in nl
    assert 'href="../../../sv/billing/download-invoice/"' in nl
    assert 'href="../../../nl/billing/download-invoice/"' in sv
    # the Dutch home is /nl/ and its breadcrumb goes there, not to the English root
    assert 'href="../../">Klantenservice' in nl


def test_sop_page_has_purpose_definitions_steps_and_flowchart(sites):
    _, _, internal = sites
    page = read(internal, "en/agents/sop-refund/index.html")
    assert 'class="kb-internal-banner"' in page
    purpose = page.split('class="kb-sop kb-sop-purpose"')[1].split("</section>")[0]
    assert "AXOLOTL-SOP-6006" in purpose
    assert 'class="kb-sop kb-sop-definitions"' in page
    procedure = page.split('class="kb-sop kb-sop-procedure"')[1].split("</section>")[0]
    assert procedure.count("<li>") == 3
    assert '<div class="kb-mermaid">' in page and "assets/vendor/mermaid.min.js" in page
    assert (internal / "assets/vendor/mermaid.min.js").stat().st_size > 1_000_000
    assert "@media print" in read(internal, "assets/kb.css")


def test_internal_site_marks_internal_articles(sites):
    _, _, internal = sites
    home = read(internal, "index.html")
    assert 'data-category="agents"' in home and "kb-badge--internal" in home
    billing = read(internal, "en/billing/index.html")
    assert "Refund override notes for agents" in billing and "kb-badge--internal" in billing
    assert "Payment plans coming soon" not in billing  # drafts stay out of the agents' site too


def test_navigation_is_bounded(sites):
    _, public, _ = sites
    page = read(public, "en/billing/pay-by-card/index.html")
    nav = page.split('class="md-nav md-nav--primary kb-nav"')[1].split("</nav>")[0]
    categories, languages = nav.split('class="md-nav__item kb-nav--languages"')
    assert categories.count("<li") == 3 + 1  # two categories, the tag list, then the languages
    assert languages.count("<li") == 3  # the drawer's languages: en, nl, sv
    assert "Download an invoice" not in nav  # never the article tree


# -- nothing leaks ------------------------------------------------------------------------------------
def test_public_fixture_site_leaks_nothing(sites):
    config, public, internal = sites
    kb = KnowledgeBase.load(Settings.load(config))
    assert len([a for a in kb.articles if not a.is_public]) == 6
    assert leaks(public, kb) == []
    # the scan itself finds things: the agents' site does name internal articles
    assert any(
        "MARMOT-SECRET-2291" in hit or "internal-refund-notes" in hit for hit in leaks(internal, kb)
    )


def test_search_index_and_sitemap_hold_only_public_pages(sites):
    _, public, _ = sites
    sitemap = read(public, "sitemap.xml")
    assert "en/billing/download-invoice/" in sitemap
    assert "sop-refund" not in sitemap and "internal-refund-notes" not in sitemap
    fragments = [file_text(p) for p in (public / "pagefind/fragment").iterdir()]
    assert any("Een factuur downloaden" in f for f in fragments)
    assert (
        len(fragments) == 6
    )  # the six public articles; home, category and tag pages are not indexed
    entry = read(public, "pagefind/pagefind-entry.json")
    assert sorted(re.findall(r'"(en|nl|sv)":\{', entry)) == [
        "en",
        "nl",
        "sv",
    ]  # one index per language
    empty = [
        p.name for p in (public / "pagefind").rglob("*") if p.is_file() and not p.stat().st_size
    ]
    assert empty == []  # every bundle file written whole (see site_search.write_bundle)


def mkdocs_build(
    config: Path, dest: Path, cwd: Path | None = None
) -> subprocess.CompletedProcess[str]:
    """Run a plain `mkdocs build --strict` (the engine's) of `config` into `dest` in a child."""
    env = {**os.environ, "NO_MKDOCS_2_WARNING": "1"}
    cmd = [
        sys.executable,
        "-m",
        ENGINE,
        "build",
        "--strict",
        "-q",
        "-f",
        str(config),
        "-d",
        str(dest),
    ]
    return subprocess.run(cmd, capture_output=True, text=True, env=env, cwd=cwd)


def test_sample_kb_strict_build_leaks_nothing(tmp_path):
    site = tmp_path / "site"
    result = mkdocs_build(REPO / "mkdocs.yml", site, cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    kb = KnowledgeBase.load(Settings.load(REPO / "mkdocs.yml"))
    assert any(not a.is_public for a in kb.articles)
    assert leaks(site, kb) == []
    assert (site / "nl/index.html").is_file() and (site / "sv/index.html").is_file()


# -- builds: errors, atomic swap, same result as mkdocs, incremental --------------------------------
def test_validation_errors_fail_the_build_list_every_problem_and_keep_the_old_site(make_kb):
    from kb.site.build import build_site

    config = make_kb(
        {
            "en/account/a.md": {"title": "A", "category": "account", "related": ["nope"]},
            "en/account/b.md": {"title": "B", "status": "sometimes"},
        },
        kb_options={"categories": ["account"]},
    )
    old = config.parent / "site"
    old.mkdir()
    (old / "index.html").write_text("previous site")
    with pytest.raises(ValidationFailed) as info:
        build_site(Settings.load(config))
    message = str(info.value)
    assert "2 errors" in message
    assert (
        "articles/en/account/a.md:" in message and "related: no article with id 'nope'" in message
    )
    assert "articles/en/account/b.md:" in message and "status:" in message
    assert (old / "index.html").read_text() == "previous site"
    assert not [p for p in config.parent.iterdir() if ".new-" in p.name]


def test_kb_build_command_reports_errors_without_traceback(make_kb, capsys):
    config = make_kb({"en/x.md": {"title": "X", "type": "recipe"}})
    assert main(["build", "--config", str(config)]) == 1
    err = capsys.readouterr().err
    assert "articles/en/x.md:" in err and "type:" in err and "Traceback" not in err


def test_plain_mkdocs_build_gives_the_same_pages(sites, tmp_path):
    config, public, _ = sites
    out = tmp_path / "plain"
    result = mkdocs_build(config, out)
    assert result.returncode == 0, result.stderr
    pages = sorted(p.relative_to(public).as_posix() for p in public.rglob("*.html"))
    assert pages == sorted(p.relative_to(out).as_posix() for p in out.rglob("*.html"))
    assert len(pages) > 15
    for rel in pages:
        assert (out / rel).read_text() == (public / rel).read_text(), rel


def test_rebuild_after_editing_one_article_renders_only_that_page(tmp_path):
    from kb.site.build import build_site

    config = copy_fixture(tmp_path / "kb")
    settings = Settings.load(config)
    site = build_site(settings)
    other = site / "en/billing/pay-by-card/index.html"
    before = other.stat().st_mtime_ns
    source = config.parent / "articles/en/billing/download-invoice.md"
    time.sleep(0.05)
    source.write_text(source.read_text().replace("ready as soon", "ready the moment"))
    build_site(settings)
    assert "ready the moment" in read(site, "en/billing/download-invoice/index.html")
    assert other.stat().st_mtime_ns == before  # untouched: only the edited page was rendered
    assert any("ready the moment" in file_text(p) for p in (site / "pagefind/fragment").iterdir())
    # a new title shows on other pages, so the next build renders everything again
    time.sleep(0.05)
    source.write_text(
        source.read_text().replace("title: Download an invoice", "title: Get your invoice")
    )
    build_site(settings)
    assert "Get your invoice" in read(site, "en/billing/index.html")
    assert "Get your invoice" in read(site, "en/billing/pay-by-card/index.html")
    leftovers = [p.name for p in tmp_path.joinpath("kb").iterdir() if ".new-" in p.name]
    assert leftovers == []


def test_failed_incremental_build_leaves_the_live_site_untouched(tmp_path):
    from kb.core.errors import KBError
    from kb.site.build import build_site

    config = copy_fixture(tmp_path / "kb")
    settings = Settings.load(config)
    site = build_site(settings)
    page = site / "en/billing/download-invoice/index.html"
    before = page.read_text()
    source = config.parent / "articles/en/billing/download-invoice.md"
    time.sleep(0.05)
    text = source.read_text().replace("ready as soon", "ready the moment")
    source.write_text(text + "\n![Screenshot](no-such-image.png)\n")  # a strict-mode warning
    with pytest.raises(KBError, match="strict"):
        build_site(settings)
    assert page.read_text() == before  # the hard-linked output was not rewritten in place
    assert "ready as soon" in page.read_text()


def _pagefind_of(site: Path, out: Path) -> tuple[list[str], dict[str, int]]:
    """Fragment files and page counts per language of Pagefind's own CLI run over `site`."""
    cmd = [sys.executable, "-m", "pagefind", "--site", str(site), "--output-path", str(out)]
    subprocess.run([*cmd, "--exclude-selectors", ".headerlink"], check=True, capture_output=True)
    return _bundle(out)


def _bundle(bundle: Path) -> tuple[list[str], dict[str, int]]:
    import json

    entry = json.loads((bundle / "pagefind-entry.json").read_text(encoding="utf-8"))
    counts = {lang: v["page_count"] for lang, v in entry["languages"].items()}
    # Every file: fragments are named by a hash of their record; index chunks and meta by a hash
    # that also depends on the order pages reached Pagefind, so only their number is compared.
    files = sorted(p.relative_to(bundle).as_posix() for p in bundle.rglob("*"))
    return [f if "fragment/" in f else re.sub(r"_[0-9a-f]{7,}\.", "_#.", f) for f in files], counts


@pytest.mark.parametrize("parallel", [True, False])
def test_the_search_index_is_what_pagefind_makes_of_the_site(tmp_path, parallel):
    """kb sends Pagefind only what it indexes of each page: the same records as `pagefind --site`.

    Fragment files are named by a hash of each page's record (text, title, anchors, language,
    URL), so equal names are equal records; after a full build and after a one-page rebuild,
    streamed page by page (parallel) or indexed from the written site (parallel: false).
    """
    from kb.site.build import build_site
    from kb.site.fast.cut import BODY_END

    config = copy_fixture(tmp_path / "kb")
    settings = Settings.load(config)
    settings.parallel = parallel
    site = build_site(settings)
    assert BODY_END in read(site, "en/billing/download-invoice/index.html")
    assert _bundle(site / "pagefind") == _pagefind_of(site, tmp_path / "cli-1")
    entry = site / "pagefind/pagefind-entry.json"
    os.link(entry, tmp_path / "old-entry")  # the live file, whatever the rebuild does to it
    old_entry = entry.read_bytes()
    source = config.parent / "articles/en/billing/download-invoice.md"
    time.sleep(0.05)
    source.write_text(source.read_text().replace("ready as soon", "ready the moment"))
    build_site(settings)
    files, counts = _bundle(site / "pagefind")
    assert (files, counts) == _pagefind_of(site, tmp_path / "cli-2")  # no stale file left
    assert sum(counts.values()) == 6
    assert entry.read_bytes() != old_entry
    assert (tmp_path / "old-entry").read_bytes() == old_entry  # unlinked, not written through
