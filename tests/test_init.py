"""A team's own KB: `kb init`, a bare mkdocs.yml, custom_dir overrides, config errors, ProperDocs."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from kb.cli import main
from kb.core.collection import KnowledgeBase
from kb.core.settings import OPTIONS, Settings
from kb.core.translations import state
from kb.site import ENGINE
from kb.site.i18n import STRINGS

TYPES = {"solution", "faq", "sop", "troubleshooting"}


def init(tmp_path: Path, *langs: str, name: str = "Acme Help") -> Path:
    target = tmp_path / "help"
    argv = ["init", str(target), "--name", name]
    for lang in langs:
        argv += ["--lang", lang]
    assert main(argv) == 0
    return target


def engine_build(config: Path, engine: str, dest: Path) -> None:
    """A plain `mkdocs build` or `properdocs build` of `config` in a child process."""
    env = {**os.environ, "NO_MKDOCS_2_WARNING": "1"}
    cmd = [sys.executable, "-m", engine, "build", "--strict", "-q", "-f", str(config)]
    result = subprocess.run(
        [*cmd, "-d", str(dest)], cwd=config.parent, env=env, capture_output=True, text=True
    )
    assert result.returncode == 0, result.stderr


def test_init_writes_every_type_in_every_language_linked_as_translations(tmp_path, capsys):
    root = init(tmp_path, "en", "nl", "sv")
    for rel in ("mkdocs.yml", "search/synonyms.yml", "search/queries.yml", ".gitignore"):
        assert (root / rel).is_file(), rel
    for ci in (".github/workflows/kb.yml", ".gitlab-ci.yml"):
        text = (root / ci).read_text()
        assert "kb check --strict" in text and "kb build" in text, ci
    kb = KnowledgeBase.scan(Settings.load(root / "mkdocs.yml"))
    assert kb.errors == [] and kb.warnings == []
    for lang in ("en", "nl", "sv"):
        assert {a.type for a in kb.articles if a.lang == lang} == TYPES, lang
    for article in kb.articles:
        if article.lang != "en":
            assert article.translation_of and kb.get(article.translation_of).lang == "en"
            assert state(kb, article) == "current", article.id
    assert {a.audience for a in kb.articles if a.type == "sop"} == {"internal"}
    assert "next: cd " in capsys.readouterr().err
    assert main(["check", str(root / "mkdocs.yml"), "--strict"]) == 0


def test_init_mkdocs_yml_explains_every_kb_setting(tmp_path):
    text = (init(tmp_path, "en") / "mkdocs.yml").read_text()
    for option in OPTIONS:
        assert re.search(rf"^\s+# {option.name}: ", text, re.M), option.name
    settings = Settings.load(tmp_path / "help" / "mkdocs.yml")
    assert settings.site_name == "Acme Help" and settings.languages == ("en",)


def test_init_refuses_a_folder_with_files_unless_forced(tmp_path, capsys):
    target = tmp_path / "help"
    target.mkdir()
    (target / "notes.txt").write_text("mine")
    assert main(["init", str(target)]) == 2
    assert "not empty" in capsys.readouterr().err
    assert not (target / "mkdocs.yml").exists()
    assert main(["init", str(target), "--force"]) == 0
    assert (target / "notes.txt").read_text() == "mine" and (target / "mkdocs.yml").is_file()


def test_init_a_language_without_example_text_says_so_and_still_checks(tmp_path, capsys):
    root = init(tmp_path, "nl", "de")
    assert "no example text in 'de'" in capsys.readouterr().err
    kb = KnowledgeBase.scan(Settings.load(root / "mkdocs.yml"))
    assert kb.errors == [] and kb.warnings == []
    assert kb.get("reset-password").lang == "nl"  # the first language is the source
    assert kb.get("reset-password-de").translation_of == "reset-password"
    assert main(["init", str(tmp_path / "x"), "--lang", "english"]) == 2


@pytest.mark.slow
def test_a_new_kb_builds_searches_and_has_kb_home(tmp_path, monkeypatch, capsys):
    root = init(tmp_path, "en", "nl")
    monkeypatch.chdir(root)
    assert main(["build"]) == 0
    home = (root / "site/index.html").read_text()
    assert 'class="kb-hero' in home and "Acme Help" in home
    assert (root / "site/pagefind/pagefind-entry.json").is_file()
    assert (root / "site/nl/account/reset-password/index.html").is_file()
    assert not (root / "site/en/agents").exists()  # the SOP is internal
    assert "fonts.googleapis" not in home  # no third-party font requests by default
    capsys.readouterr()
    assert main(["search", "forgot my pasword", "--json"]) == 0
    assert '"reset-password"' in capsys.readouterr().out
    assert main(["build", "--internal"]) == 0
    sop = (root / "site-internal/en/agents/sop-escalate-ticket/index.html").read_text()
    assert 'class="kb-mermaid"' in sop


BARE = "site_name: Bare Help\ndocs_dir: articles\nplugins:\n  - kb\n"


@pytest.mark.slow
def test_a_bare_mkdocs_yml_builds_the_full_help_centre(tmp_path, monkeypatch):
    root = init(tmp_path, "en")
    (root / "mkdocs.yml").write_text(BARE)
    (root / "search/queries.yml").unlink()
    monkeypatch.chdir(root)
    assert main(["check", "--strict"]) == 0
    if ENGINE == "properdocs":  # ProperDocs asks every site to name its theme
        (root / "mkdocs.yml").write_text(BARE + "theme: material\n")
    assert main(["build"]) == 0
    home = (root / "site/index.html").read_text()
    assert 'class="kb-hero' in home and "assets/kb.css" in home
    assert 'content="mkdocs-' in home and "material" in home
    page = (root / "site/en/account/reset-password/index.html").read_text()
    assert 'class="headerlink"' in page  # toc permalinks, as kb's extensions set them


@pytest.mark.slow
def test_a_language_material_does_not_know(tmp_path, monkeypatch, capsys):
    root = init(tmp_path, "en", "lu_LU")
    monkeypatch.chdir(root)
    capsys.readouterr()
    assert main(["check"]) == 0
    out = capsys.readouterr().out.splitlines()
    assert [line for line in out if "lu_LU" in line] == [
        "mkdocs.yml:20: kb.languages: warning: Material has no interface strings for 'lu_LU': "
        "its buttons and labels are in English ('en'); the articles stay in 'lu_LU'; "
        f"kb's own {len(STRINGS['en'])} texts (such as 'home') show in English until "
        "kb.strings.lu_LU sets them"
    ]
    assert main(["build"]) == 0
    page = (root / "site/lu_LU/account/reset-password/index.html").read_text()
    assert '<html lang="lu-LU"' in page


@pytest.mark.slow
def test_a_custom_dir_overrides_one_kb_partial(tmp_path, monkeypatch):
    root = init(tmp_path, "en")
    overrides = root / "overrides/partials"
    overrides.mkdir(parents=True)
    (overrides / "kb-contact.html").write_text('<aside class="acme-contact">Call Acme</aside>\n')
    (overrides.parent / "main.html").write_text(
        '{% extends "kb-base.html" %}\n'
        '{% block extrahead %}{{ super() }}<meta name="acme" content="1">{% endblock %}\n'
    )
    text = (root / "mkdocs.yml").read_text()
    (root / "mkdocs.yml").write_text(
        text.replace("  # custom_dir: overrides", "  custom_dir: overrides")
    )
    monkeypatch.chdir(root)
    assert main(["check", "--strict"]) == 0
    assert main(["build"]) == 0
    home = (root / "site/index.html").read_text()
    assert '<aside class="acme-contact">Call Acme</aside>' in home
    assert 'class="kb-hero' in home and 'class="kb-contact' not in home  # the rest is kb's
    page = (root / "site/en/account/reset-password/index.html").read_text()
    assert '<meta name="acme" content="1">' in page and "assets/kb.css" in page
    assert 'class="kb-feedback' in page  # one block changed, kb's article page kept


CONFIG_ERRORS = [
    (
        "  # palette: {primary: indigo, accent: deep orange}  # kb check warns on low contrast",
        "  features: [navigation.instant, content.code.cpy]",
        "mkdocs.yml:15: theme.features: warning: 'content.code.cpy' is not a Material feature "
        "(did you mean 'content.code.copy'?)",
        0,
    ),
    (
        "      defaults:",
        "      parallel: sometimes\n      defaults:",
        "kb check: mkdocs.yml:38: kb.parallel: must be true or false",
        1,
    ),
    (
        '          title: {en: "Billing and payments"}\n',
        "",
        "mkdocs.yml:29: kb.categories.billing: warning: no title; the site shows 'Billing' "
        "(give `title:` per language)",
        0,
    ),
    (
        "  name: material",
        "  name: readthedocs",
        "mkdocs.yml:12: theme.name: kb's help centre is built on Material, not "
        "'readthedocs': leave `theme:` out or use `name: material`",
        1,
    ),
]


@pytest.mark.parametrize(("old", "new", "line", "code"), CONFIG_ERRORS)
def test_config_problems_are_one_line_from_kb_check(
    tmp_path, monkeypatch, capsys, old, new, line, code
):
    root = init(tmp_path, "en")
    config = root / "mkdocs.yml"
    text = config.read_text()
    assert old in text
    config.write_text(text.replace(old, new, 1))
    monkeypatch.chdir(root)
    capsys.readouterr()
    assert main(["check"]) == code
    captured = capsys.readouterr()
    lines = [
        x
        for x in (captured.out + captured.err).splitlines()
        if x.startswith(("mkdocs", "kb check: mkdocs"))
    ]
    assert lines == [line]


@pytest.mark.slow
def test_kb_build_refuses_a_theme_it_cannot_build_on_in_one_line(tmp_path, monkeypatch, capsys):
    root = init(tmp_path, "en")
    config = root / "mkdocs.yml"
    config.write_text(config.read_text().replace("  name: material", "  name: readthedocs"))
    monkeypatch.chdir(root)
    capsys.readouterr()
    assert main(["build"]) == 1
    err = capsys.readouterr().err
    assert "theme.name: kb's help centre is built on Material" in err and "Traceback" not in err


def _pages(site: Path) -> dict[str, str]:
    generator = re.compile(r'<meta name="generator" content="[^"]*">')
    return {
        p.relative_to(site).as_posix(): generator.sub("", p.read_text())
        for p in sorted(site.rglob("*.html"))
    }


@pytest.mark.slow
def test_properdocs_and_mkdocs_build_the_same_site(tmp_path):
    if ENGINE == "properdocs":
        pytest.skip("builds with both engines: once, in the MkDocs pass, is enough")
    root = init(tmp_path, "en", "sv")
    engine_build(root / "mkdocs.yml", "mkdocs", tmp_path / "by-mkdocs")
    engine_build(root / "mkdocs.yml", "properdocs", tmp_path / "by-properdocs")
    mk, pd = _pages(tmp_path / "by-mkdocs"), _pages(tmp_path / "by-properdocs")
    assert sorted(mk) == sorted(pd) and len(mk) > 10
    for rel in mk:
        assert mk[rel] == pd[rel], rel
    for site in ("by-mkdocs", "by-properdocs"):
        entry = (tmp_path / site / "pagefind/pagefind-entry.json").read_text()
        assert '"en"' in entry and '"sv"' in entry, site
    search = [
        sorted(p.name for p in (tmp_path / site / "pagefind/fragment").iterdir())
        for site in ("by-mkdocs", "by-properdocs")
    ]
    assert search[0] == search[1] and search[0]
