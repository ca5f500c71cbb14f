"""kb check: exact error strings per rule, every error in one run, exit codes, JSON output."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from kb.cli import main
from tests.conftest import REPO, article, load

SOP_BODY = """
## Purpose

Why.

## Scope

Tier 1.

## Definitions

- **SLA**: service level agreement.

## Procedure

1. Do this.
2. Then that.

## Escalation

Call tier 2.
"""


def errors_of(config: Path) -> list[str]:
    return [str(e) for e in load(config).errors]


def warnings_of(config: Path) -> list[str]:
    return [str(w) for w in load(config).warnings]


def test_a_file_with_only_a_title_is_valid(make_kb):
    config = make_kb({"en/a.md": {"title": "Only a title"}})
    kb = load(config)
    assert kb.errors == [] and kb.warnings == []
    a = kb.articles[0]
    assert (a.id, a.lang, a.type, a.audience, a.status) == (
        "en/a",
        "en",
        "solution",
        "public",
        "published",
    )
    assert a.url == "en/a/"


def test_site_defaults_apply(make_kb):
    config = make_kb(
        {"a.md": {"title": "T"}}, kb_options={"defaults": {"review_every": "6m", "owner": "team"}}
    )
    a = load(config).articles[0]
    assert str(a.review_every) == "6m" and a.owner == "team"


@pytest.mark.parametrize(
    ("meta", "expected"),
    [
        (
            {"title": "T", "status": "publised"},
            "articles/a.md:3: status: 'publised' is not one of: draft, review, published, archived (did you mean 'published'?)",
        ),
        (
            {"title": "T", "type": "howto"},
            "articles/a.md:3: type: 'howto' is not one of: solution, faq, sop, troubleshooting",
        ),
        (
            {"title": "T", "audience": "Public"},
            "articles/a.md:3: audience: 'Public' is not one of: public, internal (did you mean 'public'?)",
        ),
        (
            {"title": "T", "reviewed": "2026-13-01"},
            "articles/a.md:3: reviewed: '2026-13-01' is not a valid date (use YYYY-MM-DD)",
        ),
        (
            {"title": "T", "review_every": "3 months"},
            "articles/a.md:3: review_every: '3 months' is not an interval; use for example 90d, 6w, 6m or 1y",
        ),
        (
            {"title": "T", "tags": "billing, invoice"},
            "articles/a.md:3: tags: must be a list such as [billing, invoice], got str 'billing, invoice'",
        ),
        (
            {"title": "T", "lang": "de"},
            "articles/a.md:3: lang: 'de' is not one of the site's languages: en, nl, sv",
        ),
        (
            {"title": "T", "lang": "sw"},
            "articles/a.md:3: lang: 'sw' is not one of the site's languages: en, nl, sv (did you mean 'sv'?)",
        ),
        ({"title": ""}, "articles/a.md:2: title: must not be empty"),
        ({"title": ["a", "b"]}, "articles/a.md:2: title: must be text, got list ['a', 'b']"),
        (
            {"title": "T", "id": "has space"},
            "articles/a.md:3: id: 'has space' is not a valid id: use letters, digits, '-', '_', '.' and '/'",
        ),
        (
            {"title": "T", "products": [{"nam": "App"}]},
            "articles/a.md:4: products: item 1: unknown key 'nam'; a product has 'name' and 'versions'",
        ),
        (
            {"title": "T", "owner": None},
            "articles/a.md:3: owner: has no value; remove the key or give it one",
        ),
        ({"summary": "no title"}, "articles/a.md:1: title: required field is missing"),
    ],
)
def test_field_errors(make_kb, monkeypatch, meta, expected):
    config = make_kb({"a.md": meta})
    monkeypatch.chdir(config.parent)
    assert errors_of(config) == [expected]


def test_list_item_errors_point_at_the_item_line(make_kb, monkeypatch):
    text = "---\ntitle: T\ntags:\n  - ok\n  - [nested]\n---\nBody\n"
    config = make_kb({"a.md": text})
    monkeypatch.chdir(config.parent)
    assert errors_of(config) == ["articles/a.md:5: tags: item 2: must be text, got list ['nested']"]


def test_unknown_key_is_a_warning_with_a_suggestion(make_kb, monkeypatch):
    config = make_kb({"a.md": {"title": "T", "tag": ["x"], "colour": "red"}})
    monkeypatch.chdir(config.parent)
    assert errors_of(config) == []
    assert warnings_of(config) == [
        "articles/a.md:3: tag: warning: unknown field, ignored (did you mean 'tags'?)",
        "articles/a.md:5: colour: warning: unknown field, ignored",
    ]


def test_future_review_date_is_a_warning(make_kb, monkeypatch):
    config = make_kb({"a.md": {"title": "T", "reviewed": "2999-01-01"}})
    monkeypatch.chdir(config.parent)
    assert warnings_of(config) == [
        "articles/a.md:3: reviewed: warning: 2999-01-01 is in the future"
    ]


def test_cross_article_errors(make_kb, monkeypatch):
    config = make_kb(
        {
            "en/a.md": {"title": "A", "id": "same", "related": ["missing-one", "same"]},
            "en/b.md": {"title": "B", "id": "same"},
            "en/c.md": {"title": "C", "related": ["en/b"]},
            "en/d.md": (
                {"title": "D"},
                "See [B](b.md), [gone](../x/gone.md#top) and [web](https://x.org/a.md).\n",
            ),
            "nl/a.md": {"title": "A nl", "translation_of": "nope"},
            "nl/b.md": {"title": "B nl", "translation_of": "en/c", "lang": "en"},
            "sv/c.md": {"title": "C sv", "translation_of": "en/c"},
            "sv/c2.md": {"title": "C sv 2", "translation_of": "en/c"},
        }
    )
    monkeypatch.chdir(config.parent)
    assert errors_of(config) == [
        "articles/en/a.md:5: related: no article with id 'missing-one'",
        "articles/en/a.md:6: related: an article cannot be related to itself",
        "articles/en/b.md:3: id: duplicate id 'same' (also used by articles/en/a.md:3)",
        "articles/en/c.md:4: related: no article with id 'en/b' (did you mean 'nl/b'?)",
        "articles/en/d.md:4: links: broken link to '../x/gone.md#top': no such article",
        "articles/nl/a.md:3: translation_of: no article with id 'nope'",
        "articles/nl/b.md:3: translation_of: 'en/c' is in the same language (en); a translation needs another language",
        "articles/sv/c2.md:3: translation_of: 'en/c' already has a sv translation: articles/sv/c.md",
    ]


def test_sop_anatomy(make_kb, monkeypatch):
    complete = ({"title": "S", "type": "sop", "department": "Support"}, SOP_BODY)
    missing = (
        {"title": "S2", "type": "sop"},
        "## Purpose\n\nWhy.\n\n## Procedure\n\nJust do it.\n",
    )
    dutch = (
        {"title": "S3", "type": "sop", "lang": "nl", "department": "Support"},
        "## Doel\n\nx\n\n## Reikwijdte\n\nx\n\n## Begrippen\n\nx\n\n## Werkwijze\n\n1. a\n2. b\n\n## Escalatie\n\nx\n\n"
        "## Stroomschema\n\n```mermaid\nflowchart TD\n  A --> B\n```\n",
    )
    config = make_kb({"a.md": complete, "b.md": missing, "c.md": dutch})
    monkeypatch.chdir(config.parent)
    assert errors_of(config) == [
        "articles/b.md:1: department: an SOP needs a department",
        "articles/b.md:3: sections: an SOP needs the section '## Definitions'",
        "articles/b.md:3: sections: an SOP needs the section '## Escalation'",
        "articles/b.md:3: sections: an SOP needs the section '## Scope'",
        "articles/b.md:9: sections: the procedure needs numbered steps (1. 2. 3.)",
    ]


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        (b"", "articles/bad.md:1: file: empty file; an article needs front matter with a title"),
        (
            b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR",
            "articles/bad.md:1: file: binary file, not Markdown text",
        ),
        (
            b"---\ntitle: caf\xe9\n---\n",
            "articles/bad.md:2: file: not valid UTF-8 (byte 0xe9 at offset 14)",
        ),
        (
            b"---\ntitle: [unclosed\n---\nbody\n",
            "articles/bad.md:3: front matter: invalid YAML: did not find expected ',' or ']'",
        ),
        (
            b"---\n- a\n- b\n---\n",
            "articles/bad.md:2: front matter: must be a mapping of `key: value` lines",
        ),
        (
            b"---\ntitle: x\n",
            "articles/bad.md:1: front matter: no closing '---' line after the front matter",
        ),
        (
            b"# Just markdown\n",
            "articles/bad.md:1: front matter: missing: start the file with a '---' block holding at least 'title:'",
        ),
        (
            b"---\ntitle: a\ntitle: b\n---\n",
            "articles/bad.md:3: title: duplicate key (first set on line 2)",
        ),
        (
            b"---\ntitle: x\n---\n" + b"a" * (5 * 1024 * 1024),
            "articles/bad.md:1: file: 5.0 MB is larger than the 1.0 MB limit for an article",
        ),
    ],
)
def test_unreadable_files_get_one_line_and_the_rest_is_still_checked(
    make_kb, monkeypatch, content, expected
):
    config = make_kb({"bad.md": content, "good.md": {"title": "Fine", "status": "nope"}})
    monkeypatch.chdir(config.parent)
    errors = errors_of(config)
    assert expected in errors
    assert any(e.startswith("articles/good.md:3: status:") for e in errors)
    assert len([e for e in errors if e.startswith("articles/bad.md")]) == 1


def test_every_error_is_reported_in_one_run(make_kb, monkeypatch, capsys):
    files = {f"a{i}.md": {"title": "T", "status": "bogus"} for i in range(5)}
    config = make_kb(files)
    monkeypatch.chdir(config.parent)
    assert main(["check"]) == 1
    out = capsys.readouterr().out.strip().splitlines()
    assert len(out) == 5 and all(": status: 'bogus' is not one of" in line for line in out)


def test_exit_codes(make_kb, monkeypatch, capsys):
    config = make_kb({"a.md": {"title": "T", "colour": "red"}})
    monkeypatch.chdir(config.parent)
    assert main(["check"]) == 0
    assert main(["check", "--strict"]) == 1
    assert main(["check", "does-not-exist.yml"]) == 2
    with pytest.raises(SystemExit) as exit_info:
        main(["check", "--format", "xml"])
    assert exit_info.value.code == 2
    capsys.readouterr()


def test_check_accepts_an_articles_folder(make_kb, monkeypatch, capsys):
    config = make_kb({"en/a.md": {"title": "T", "lang": "de"}})
    monkeypatch.chdir(config.parent)
    assert main(["check", "articles"]) == 1
    assert (
        "articles/en/a.md:3: lang: 'de' is not one of the site's languages"
        in capsys.readouterr().out
    )


def test_json_format(make_kb, monkeypatch, capsys):
    config = make_kb({"a.md": {"title": "T", "status": "x", "colour": 1}, "b.md": {"title": "B"}})
    monkeypatch.chdir(config.parent)
    assert main(["check", "--format", "json"]) == 1
    report = json.loads(capsys.readouterr().out)
    assert report["ok"] is False and report["articles"] == 2 and report["files"] == 2
    assert report["errors"] == [
        {
            "path": "articles/a.md",
            "line": 3,
            "field": "status",
            "severity": "error",
            "message": "'x' is not one of: draft, review, published, archived",
        }
    ]
    assert report["warnings"][0]["field"] == "colour"


def test_settings_errors_are_clear(tmp_path, monkeypatch, capsys):
    (tmp_path / "articles").mkdir()
    (tmp_path / "mkdocs.yml").write_text(
        "site_name: x\ndocs_dir: articles\nplugins:\n  - kb:\n      languages: [en]\n      default_lang: nl\n"
    )
    monkeypatch.chdir(tmp_path)
    assert main(["check"]) == 1
    assert "mkdocs.yml:6: kb.default_lang: 'nl' is not in kb.languages" in capsys.readouterr().err


def test_mkdocs_python_tags_do_not_break_settings(make_kb):
    config = make_kb({"a.md": {"title": "T"}})
    text = config.read_text() + (
        "markdown_extensions:\n  - pymdownx.superfences:\n      custom_fences:\n"
        "        - name: mermaid\n          format: !!python/name:pymdownx.superfences.fence_code_format\n"
    )
    config.write_text(text)
    assert load(config).errors == []


@pytest.mark.skipif(not (REPO / "articles").is_dir(), reason="sample KB not present")
def test_sample_kb_passes_strict(monkeypatch, capsys):
    monkeypatch.chdir(REPO)
    code = main(["check", "--strict"])
    out = capsys.readouterr()
    assert code == 0, out.out + out.err


def test_article_helper_round_trips():
    assert article({"title": "x"}, "b\n") == "---\ntitle: x\n---\nb\n"
