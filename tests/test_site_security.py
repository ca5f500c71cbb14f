"""Nothing from outside the KB and nothing non-public reaches the public site (issue #17)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from conftest import article, load
from test_site_helpers import leaks

from kb.cli import main
from kb.core.settings import Settings
from kb.site.build import build_site

PUBLIC = {"title": "Returns", "id": "returns", "category": "account"}
INTERNAL = {
    "title": "Agent refund override",
    "id": "refund-override",
    "audience": "internal",
    "category": "agents",
}
SECRET = "The override code is hunter2 and only agents may use it."
OPTIONS = {"categories": ["account", "agents"], "languages": ["en"]}


@pytest.fixture(autouse=True)
def _in_the_kb(tmp_path, monkeypatch):
    """Problems are shown relative to the working folder: the KB's own."""
    (tmp_path / "kb").mkdir()
    monkeypatch.chdir(tmp_path / "kb")


def problems(config: Path) -> list[str]:
    kb = load(config)
    return [str(e) for e in kb.errors]


def built(config: Path) -> Path:
    """A strict public build of `config`, its site folder."""
    return build_site(Settings.load(config), full=True)


def test_symlinks_out_of_the_kb_are_refused_in_one_line(make_kb, tmp_path, capsys):
    config = make_kb({"en/account/returns.md": PUBLIC}, kb_options=OPTIONS)
    docs = config.parent / "articles/en"
    outside = tmp_path / "elsewhere"
    (outside / "private").mkdir(parents=True)
    (outside / "private/secrets.env").write_text("TOKEN=s3cret\n")
    (outside / "passwd").write_text("root:x:0:0\n")
    (docs / "passwd").symlink_to(outside / "passwd")
    (docs / "linked").symlink_to(outside / "private", target_is_directory=True)
    (outside / "private/gone").symlink_to(outside / "nothing")  # dangling, inside the linked one
    (docs / "ghost.md").symlink_to(tmp_path / "no-such-file.md")
    assert problems(config) == [
        "articles/en/ghost.md:1: file: a symbolic link to nothing "
        f"({tmp_path / 'no-such-file.md'}): remove it",
        f"articles/en/linked:1: file: a symbolic link to {outside / 'private'}, outside the "
        "articles folder: kb publishes nothing from outside the knowledge base",
        f"articles/en/passwd:1: file: a symbolic link to {outside / 'passwd'}, outside the "
        "articles folder: kb publishes nothing from outside the knowledge base",
    ]
    assert main(["build"]) == 1
    err = capsys.readouterr().err
    assert "Traceback" not in err and "articles/en/passwd:1: file:" in err
    assert not (config.parent / "site").exists()


def test_the_site_never_takes_a_file_through_a_link_out_of_the_kb(make_kb, tmp_path):
    from kb.core.publish import outside
    from kb.site.model import SiteModel

    config = make_kb({"en/account/returns.md": PUBLIC}, kb_options=OPTIONS)
    (tmp_path / "secret.txt").write_text("s3cret")
    link = config.parent / "articles/assets/secret.txt"
    link.parent.mkdir()
    link.symlink_to(tmp_path / "secret.txt")
    settings = Settings.load(config)
    assert outside(settings, str(link))

    class File:  # what the plugin asks SiteModel about, as MkDocs gives it
        src_uri = "assets/secret.txt"
        abs_src_path = str(link)
        src_dir = str(settings.docs_dir)

    assert SiteModel(load(config), internal=False).excludes(File())


@pytest.mark.parametrize("name", ["x.markdown", "x.mkd", "x.mdown", "x.MD", "x.Md", "x.mkdn"])
def test_markdown_that_kb_would_not_read_is_refused(make_kb, name):
    config = make_kb(
        {"en/account/returns.md": PUBLIC, f"en/agents/{name}": article(INTERNAL, SECRET)},
        kb_options=OPTIONS,
    )
    assert problems(config) == [
        f"articles/en/agents/{name}:1: file: kb reads Markdown only from files ending in .md, so "
        "this one would be published unchecked: rename it to x.md"
    ]


@pytest.mark.slow
def test_only_linked_files_and_asset_folders_are_published(make_kb):
    body = "See ![the form](form.png) and [the PDF](../../shared/terms.pdf).\n"
    config = make_kb(
        {
            "en/account/returns.md": (PUBLIC, body),
            "en/account/form.png": b"\x89PNG public",
            "shared/terms.pdf": b"%PDF public",
            "en/agents/refund-override.md": (INTERNAL, SECRET + "\n\n![](override-screen.png)\n"),
            "en/agents/override-screen.png": b"\x89PNG internal",
            "en/agents/notes.txt": "internal notes",
            "assets/logo.svg": "<svg/>",
        },
        kb_options=OPTIONS,
    )
    site = built(config)
    assert (site / "en/account/form.png").is_file() and (site / "shared/terms.pdf").is_file()
    assert (site / "assets/logo.svg").is_file()
    assert not (site / "en/agents/override-screen.png").exists()
    assert not (site / "en/agents/notes.txt").exists()
    assert leaks(site, load(config)) == []
    internal = build_site(Settings.load(config), internal=True, full=True)
    assert (internal / "en/agents/override-screen.png").is_file()
    assert not (internal / "en/agents/notes.txt").exists()  # linked from no page


def test_a_public_include_of_a_non_public_article_is_refused(make_kb, tmp_path):
    (tmp_path / "outside.md").write_text("outside text")
    body = (
        '--8<-- "en/agents/refund-override.md"\n\n'
        f'--8<-- "{tmp_path / "outside.md"}"\n\n'
        "--8<--\nen/agents/refund-override.md\n--8<--\n\n"
        ';--8<-- "en/agents/refund-override.md"\n\n'
        '--8<-- "snippets/abbreviations.md"\n'
    )
    config = make_kb(
        {
            "en/account/returns.md": (PUBLIC, body),
            "en/agents/refund-override.md": (INTERNAL, SECRET),
        },
        kb_options=OPTIONS,
    )
    (config.parent / "snippets").mkdir()
    (config.parent / "snippets/abbreviations.md").write_text("*[SLA]: service level agreement")
    bad = "the include 'en/agents/refund-override.md' is a non-public article "
    assert problems(config) == [
        f"articles/en/account/returns.md:6: includes: {bad}(refund-override, internal, published)",
        f"articles/en/account/returns.md:8: includes: the include '{tmp_path / 'outside.md'}' is "
        "outside the project: kb publishes nothing from outside the knowledge base",
        f"articles/en/account/returns.md:11: includes: {bad}(refund-override, internal, published)",
    ]


def test_kb_check_refuses_a_public_link_to_an_internal_article(make_kb):
    config = make_kb(
        {
            "en/account/returns.md": (
                PUBLIC,
                "Agents: [override](../agents/refund-override.md).\n",
            ),
            "en/agents/refund-override.md": (INTERNAL, SECRET),
            "en/agents/other.md": (
                {**INTERNAL, "id": "other", "title": "Other"},
                "[back](../account/returns.md) and [override](refund-override.md)\n",
            ),
        },
        kb_options=OPTIONS,
    )
    assert problems(config) == [
        "articles/en/account/returns.md:6: links: links to '../agents/refund-override.md', which "
        "customers cannot open (internal, published): link a public article, or make this one "
        "internal"
    ]


@pytest.mark.slow
def test_front_matter_in_the_title_is_escaped(make_kb):
    title = "Refunds &amp; </title><script>alert(1)</script> &lt;script&gt;alert(2)&lt;/script&gt;"
    config = make_kb(
        {
            "en/account/returns.md": {
                **PUBLIC,
                "title": title,
                "summary": '"><script>alert(3)</script>',
            }
        },
        kb_options=OPTIONS,
    )
    site = built(config)
    for rel in ("en/account/returns/index.html", "en/account/index.html", "index.html"):
        page = (site / rel).read_text()
        assert "<script>alert" not in page, rel
    page = (site / "en/account/returns/index.html").read_text()
    assert "<title>Refunds &amp;amp; &lt;/title&gt;&lt;script&gt;" in page


@pytest.mark.slow
def test_the_site_honours_the_umask_and_removes_leftovers_of_killed_builds(make_kb):
    config = make_kb({"en/account/returns.md": PUBLIC}, kb_options=OPTIONS)
    root = config.parent
    leftovers = [root / ".site.new-abc", root / ".site.new-999999-x", root / ".kb-trash-999998-y"]
    for folder in leftovers:
        (folder / "big").mkdir(parents=True)
    live = root / f".site.new-{os.getpid()}-mine"  # a running build's folder stays
    live.mkdir()
    old = os.umask(0o022)
    try:
        site = built(config)
        built(config)  # a rebuild, which links the old site in, keeps the modes too
    finally:
        os.umask(old)
    assert [p for p in leftovers if p.exists()] == [] and live.exists()
    modes = {oct(p.stat().st_mode & 0o777) for p in [site, *site.rglob("*")] if p.is_dir()}
    assert modes == {"0o755"}
    files = {oct(p.stat().st_mode & 0o777) for p in site.rglob("*") if p.is_file()}
    assert files == {"0o644"}


@pytest.mark.slow
def test_static_pages_carry_the_policy_for_hosts_that_send_no_header(make_kb):
    from kb.core.csp import CONTENT_SECURITY_POLICY, META_POLICY

    config = make_kb({"en/account/returns.md": PUBLIC}, kb_options=OPTIONS)
    site = built(config)
    meta = f'<meta http-equiv="Content-Security-Policy" content="{META_POLICY}">'
    for rel in ("index.html", "en/account/returns/index.html", "en/account/index.html"):
        assert meta.replace("'", "&#39;") in (site / rel).read_text(), rel
    assert "frame-ancestors" not in META_POLICY and "frame-ancestors" in CONTENT_SECURITY_POLICY
