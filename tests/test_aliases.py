"""Old URLs keep working: `aliases:` validation, redirect pages and `_redirects` from a real build,
and `kb check` failing for a published URL that is gone (`.kb/published.json`)."""

from __future__ import annotations

import json
import os
import posixpath
import re
import subprocess
import time
from pathlib import Path

import pytest

from kb.cli import main
from kb.core.settings import Settings
from kb.site import html
from kb.site.html import alias_file, relative_url
from tests.conftest import article

TITLE = "Reset your password"
RESET = f"""---
title: {TITLE}
category: account
aliases:
  - /hc/en-us/articles/360012345-Reset-password
  - old/reset.html
---
Open the sign-in page, choose "Forgot password" and follow the link in the email.
It is valid for one hour; ask for a new one when it has run out.
"""
SECRET = """---
title: Unlock an account by hand
audience: internal
aliases: [agents/unlock-by-hand/]
---
Only agents read this: open the admin console and clear the lock.
"""


def write_kb(root: Path, files: dict[str, str]) -> Path:
    """A KB at `root` with one category and these article texts; returns its mkdocs.yml."""
    docs = root / "articles"
    for rel, text in files.items():
        (docs / rel).parent.mkdir(parents=True, exist_ok=True)
        (docs / rel).write_text(text, encoding="utf-8")
    config = root / "mkdocs.yml"
    config.write_text(
        "site_name: Test Help\ndocs_dir: articles\ntheme: {name: material}\n"
        "plugins:\n  - kb: {languages: [en], default_lang: en, categories: [account]}\n",
        encoding="utf-8",
    )
    return config


def build(config: Path, internal: bool = False) -> Path:
    from kb.site.build import build_site

    return build_site(Settings.load(config), internal=internal)


def check(root: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]):
    monkeypatch.chdir(root)
    code = main(["check"])
    captured = capsys.readouterr()
    assert "Traceback" not in captured.err
    return code, captured.out.strip().splitlines()


def git(root: Path, *args: str) -> None:
    subprocess.run(
        ["git", "-c", "user.name=Test", "-c", "user.email=test@example.com", *args],
        cwd=root,
        check=True,
        capture_output=True,
    )


# -- the field ----------------------------------------------------------------------------------
def test_aliases_are_normalised(make_kb, monkeypatch, capsys):
    config = make_kb({"en/a.md": {"title": "A", "aliases": [" /old/a/ ", "b.html", 360012345]}})
    code, out = check(config.parent, monkeypatch, capsys)
    assert (code, out) == (0, [])
    from tests.conftest import load

    assert load(config).articles[0].aliases == ("old/a/", "b.html", "360012345")


def test_bad_aliases_are_reported_per_item(make_kb, monkeypatch, capsys):
    bad = {
        "https://help.example.com/hc/en-us/articles/1": "'https://help.example.com/hc/en-us/"
        "articles/1': give the path only, without the host",
        "//help.example.com/x": "'//help.example.com/x': give the path only, without the host",
        "hc/../secret": "'hc/../secret' must not contain '.' or '..' segments",
        "./x": "'./x' must not contain '.' or '..' segments",
        "search?q=1": "'search?q=1' must not contain '?': a query string never reaches a static "
        "page",
        "page#top": "'page#top' must not contain '#': a fragment never reaches the server",
        "hc\\x": "'hc\\\\x' must not contain a backslash; separate folders with '/'",
        "a\x07b": "must not contain control characters",
        "x" * 301: "is longer than 300 characters",
        " ": "must not be empty",
        "a b": "'a b' must not contain spaces",
        "/": "'/' is the site root: give the old article's path",
    }
    files = {f"en/a{i:02}.md": {"title": "A", "aliases": ["ok/", v]} for i, v in enumerate(bad)}
    config = make_kb(files)
    code, out = check(config.parent, monkeypatch, capsys)
    assert code == 1
    assert out == [
        f"articles/en/a{i:02}.md:5: aliases: item 2: {message}"
        for i, message in enumerate(bad.values())
    ]


def test_aliases_must_be_a_list(make_kb, monkeypatch, capsys):
    config = make_kb({"en/a.md": {"title": "A", "aliases": "old/a/"}})
    code, out = check(config.parent, monkeypatch, capsys)
    assert code == 1
    assert out == [
        "articles/en/a.md:3: aliases: must be a list such as "
        "[hc/en-us/articles/360012345-Reset-password], got str 'old/a/'"
    ]


def test_an_alias_may_not_be_a_live_url_or_claimed_twice(make_kb, monkeypatch, capsys):
    config = make_kb(
        {
            "en/a.md": {"title": "A", "aliases": ["en/b/index.html", "en/a", "old/x/"]},
            "en/b.md": {"title": "B", "audience": "internal", "aliases": ["old/x"]},
            "en/c.md": {"title": "C", "status": "draft", "aliases": ["old/x/"]},  # not live
        }
    )
    code, out = check(config.parent, monkeypatch, capsys)
    assert code == 1
    assert out == [
        "articles/en/a.md:4: aliases: 'en/b/index.html' is the URL of articles/en/b.md: "
        "a live article's page cannot redirect",
        "articles/en/a.md:5: aliases: 'en/a' is this article's own URL",
        "articles/en/b.md:5: aliases: 'old/x' is also an alias of articles/en/a.md:6: "
        "an old URL can redirect to one article",
    ]


# -- redirect pages ------------------------------------------------------------------------------
def test_relative_urls_work_below_a_sub_path():
    assert alias_file("hc/a/") == "hc/a/index.html"
    assert alias_file("hc/a") == "hc/a/index.html"
    assert alias_file("old/a.HTM") == "old/a.HTM"
    assert relative_url("en/account/x/", "hc/a/index.html") == "../../en/account/x/"
    assert relative_url("en/account/x/", "old.html") == "en/account/x/"
    assert relative_url("", "hc/index.html") == "../"
    assert relative_url("en/my page/", "old.html") == "en/my%20page/"


def test_build_writes_redirect_pages_and_redirects_file(tmp_path):
    root = tmp_path / "kb"
    config = write_kb(root, {"en/account/reset-password.md": RESET, "en/account/unlock.md": SECRET})
    site = build(config)
    page = site / "hc/en-us/articles/360012345-Reset-password/index.html"
    text = page.read_text(encoding="utf-8")
    assert text.startswith("<!doctype html>")
    assert '<meta charset="utf-8">' in text and f"<title>{TITLE}</title>" in text
    assert '<meta name="robots" content="noindex">' in text
    assert "<script" not in text  # the site's CSP allows no inline script
    rel = re.search(r'http-equiv="refresh" content="0; url=([^"]+)"', text).group(1)
    assert f'<link rel="canonical" href="{rel}">' in text
    assert f'<a href="{rel}">{TITLE}</a>' in text
    # the target, resolved from the redirect page's folder, is the article's real page
    target = posixpath.normpath(
        posixpath.join(posixpath.dirname(page.relative_to(site).as_posix()), rel)
    )
    assert (site / target / "index.html").is_file()
    assert TITLE in (site / target / "index.html").read_text(encoding="utf-8")
    old = (site / "old/reset.html").read_text(encoding="utf-8")
    assert 'url=../en/account/reset-password/"' in old
    assert (site / "_redirects").read_text(encoding="utf-8") == (
        "/hc/en-us/articles/360012345-Reset-password /en/account/reset-password/ 301\n"
        "/old/reset.html /en/account/reset-password/ 301\n"
    )
    # an internal article's alias never reaches the public site: not in any file
    for path in site.rglob("*"):
        assert not (path.is_file() and b"unlock-by-hand" in path.read_bytes()), path
        assert "agents" not in path.relative_to(site).parts
    internal = build(config, internal=True)
    assert (internal / "agents/unlock-by-hand/index.html").is_file()
    assert "/agents/unlock-by-hand/ /en/account/unlock/ 301\n" in (
        internal / "_redirects"
    ).read_text(encoding="utf-8")
    # the manifest: public URLs only, and only from the public build
    manifest = json.loads((root / ".kb/published.json").read_text(encoding="utf-8"))
    entry = {"id": "en/account/reset-password", "path": "en/account/reset-password.md"}
    assert manifest == {
        "version": 1,
        "commit": None,
        "urls": {
            "en/account/reset-password/": entry,
            "hc/en-us/articles/360012345-Reset-password": entry,
            "old/reset.html": entry,
        },
    }


def test_a_removed_alias_page_is_gone_after_a_rebuild(tmp_path):
    root = tmp_path / "kb"
    config = write_kb(
        root, {"en/account/reset-password.md": RESET, "en/b.md": article({"title": "B"})}
    )
    site = build(config)
    other = site / "en/b/index.html"
    before = other.stat().st_ino
    source = root / "articles/en/account/reset-password.md"
    time.sleep(0.05)
    source.write_text(RESET.replace("  - old/reset.html\n", ""), encoding="utf-8")
    build(config)
    assert other.stat().st_ino == before  # an incremental build: the other page was kept
    assert not (site / "old").exists()
    assert (site / "hc/en-us/articles/360012345-Reset-password/index.html").is_file()
    assert "old/reset.html" not in (site / "_redirects").read_text(encoding="utf-8")
    time.sleep(0.05)
    source.write_text(re.sub(r"aliases:\n(  - .*\n)+", "", RESET), encoding="utf-8")
    build(config)
    assert not (site / "hc").exists() and not (site / "_redirects").exists()


def test_redirects_end_with_a_404_rule_per_language_folder_that_rebuilds_keep(tmp_path):
    root = tmp_path / "kb"
    config = write_kb(root, {"en/account/reset-password.md": RESET})
    text = config.read_text(encoding="utf-8").replace("[en]", "[en, nl, sv]")
    config.write_text(text, encoding="utf-8")
    site = build(config)
    lines = (site / "_redirects").read_text(encoding="utf-8").splitlines()
    assert lines[-2:] == ["/nl/* /nl/404.html 404", "/sv/* /sv/404.html 404"]
    assert all(line.endswith(" 301") for line in lines[:-2]) and len(lines) == 4
    assert (site / "nl/404.html").is_file() and (site / "sv/404.html").is_file()
    assert html.previous_aliases(site) == [
        "hc/en-us/articles/360012345-Reset-password",
        "old/reset.html",
    ]  # the 404 rules are no aliases: a rebuild removes no page for them
    time.sleep(0.05)
    source = root / "articles/en/account/reset-password.md"
    source.write_text(re.sub(r"aliases:\n(  - .*\n)+", "", RESET), encoding="utf-8")
    build(config)
    assert (site / "_redirects").read_text(encoding="utf-8").splitlines() == lines[-2:]
    assert (site / "nl/404.html").is_file()


def test_an_alias_never_overwrites_a_page_of_the_build(tmp_path, caplog):
    from kb.core.errors import KBError

    root = tmp_path / "kb"
    clash = RESET.replace("old/reset.html", "en/account/")  # the category page's URL
    config = write_kb(root, {"en/account/reset-password.md": clash})
    site = build(config)
    assert "<!-- kb: the old URL" not in (site / "en/account/index.html").read_text(
        encoding="utf-8"
    )
    assert "/en/account/ " not in (site / "_redirects").read_text(encoding="utf-8")
    assert any(
        "the build has a page at en/account/index.html" in r.getMessage() for r in caplog.records
    )
    # strict mode fails the build on that warning, after on_post_build: no manifest is recorded
    manifest = root / ".kb/published.json"
    manifest.write_text('{"version": 1, "commit": null, "urls": {}}', encoding="utf-8")
    config.write_text(config.read_text(encoding="utf-8") + "strict: true\n", encoding="utf-8")
    with pytest.raises(KBError):
        build(config)
    assert manifest.read_text(encoding="utf-8") == '{"version": 1, "commit": null, "urls": {}}'


# -- published URLs ------------------------------------------------------------------------------
def test_kb_check_fails_for_a_published_url_renamed_in_git(tmp_path, monkeypatch, capsys):
    root = tmp_path / "kb"
    plain = RESET.replace(re.search(r"aliases:\n(  - .*\n)+", RESET).group(0), "")
    config = write_kb(root, {"en/account/reset-password.md": plain})
    monkeypatch.chdir(root)  # messages name files relative to it (kb.core.reading caches that)
    (root / ".gitignore").write_text("site/\nsite-internal/\n.kb/\n", encoding="utf-8")
    git(root, "init", "-q", ".")
    git(root, "add", "-A")
    git(root, "commit", "-qm", "articles")
    assert check(root, monkeypatch, capsys) == (0, [])  # no manifest: nothing to keep
    build(config)
    manifest = json.loads((root / ".kb/published.json").read_text(encoding="utf-8"))
    assert re.fullmatch(r"[0-9a-f]{40}", manifest["commit"])
    git(root, "mv", "articles/en/account/reset-password.md", "articles/en/account/new-password.md")
    renamed = root / "articles/en/account/new-password.md"
    renamed.write_text(plain.replace(TITLE, "Choose a new password"), encoding="utf-8")
    code, out = check(root, monkeypatch, capsys)
    assert code == 1
    assert out == [
        "articles/en/account/new-password.md:1: aliases: the URL en/account/reset-password/ "
        "published by the last build is gone: git shows en/account/reset-password.md became "
        "en/account/new-password.md: add it to aliases (aliases: [en/account/reset-password/]); "
        "if the URL is meant to go, the next kb build records that"
    ]
    renamed.write_text(
        renamed.read_text(encoding="utf-8").replace(
            "category: account\n", "category: account\naliases: [en/account/reset-password/]\n"
        ),
        encoding="utf-8",
    )
    assert check(root, monkeypatch, capsys) == (0, [])


def test_a_moved_file_that_kept_its_id_and_a_removed_one(tmp_path, monkeypatch, capsys):
    root = tmp_path / "kb"
    config = write_kb(
        root,
        {
            "en/account/a.md": article({"title": "A", "id": "a", "category": "account"}),
            "en/account/b.md": article({"title": "B"}, "Nothing like any other page.\n"),
        },
    )
    monkeypatch.chdir(root)  # messages name files relative to it (kb.core.reading caches that)
    build(config)
    os.rename(root / "articles/en/account/a.md", root / "articles/en/a.md")
    (root / "articles/en/account/b.md").unlink()
    code, out = check(root, monkeypatch, capsys)  # outside git: no lookups, no noise
    assert code == 1
    assert out == [
        "articles/en/a.md:1: aliases: the URL en/account/a/ published by the last build is "
        "gone: add it to aliases (aliases: [en/account/a/]); if the URL is meant to go, the "
        "next kb build records that",
        "articles/en/account/b.md:1: aliases: the URL en/account/b/ published by the last "
        "build is gone: en/account/b.md was removed since the last build: add en/account/b/ "
        "to the aliases of the article that replaces it; if the URL is meant to go, the next "
        "kb build records that",
    ]
    build(config)  # kb build keeps working and records the removal
    assert check(root, monkeypatch, capsys) == (0, [])


@pytest.mark.parametrize(
    "content", ["{not json", '{"version": 2, "urls": {}}', '{"version": 1, "urls": []}', "\xff"]
)
def test_a_damaged_manifest_is_one_warning(make_kb, monkeypatch, capsys, content):
    config = make_kb({"en/a.md": {"title": "A"}})
    (config.parent / ".kb").mkdir()
    (config.parent / ".kb/published.json").write_text(content, encoding="latin-1")
    code, out = check(config.parent, monkeypatch, capsys)
    assert code == 0 and len(out) == 1
    assert out[0].startswith(".kb/published.json:1: aliases: warning: the URLs of the last build")
