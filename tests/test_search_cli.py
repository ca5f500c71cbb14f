"""Golden queries in `kb check`, the `kb index` and `kb search` commands, the evaldata loader."""

from __future__ import annotations

import dataclasses
import json
import os
from pathlib import Path

import pytest

from kb.cli import main
from kb.core.collection import KnowledgeBase
from kb.core.errors import KBError
from kb.core.settings import Settings
from kb.search.golden import check_golden_queries
from kb.search.searcher import index_in_memory
from kb.suggest.evalsets import load_jsonl_kb, load_queries
from tests.test_search import ARTICLES, write_kb

REPO = Path(__file__).resolve().parent.parent


@pytest.fixture
def kb_root(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    write_kb(tmp_path, ARTICLES)
    monkeypatch.chdir(tmp_path)
    return tmp_path


def write_queries(root: Path, text: str) -> None:
    (root / "search" / "queries.yml").write_text(text, encoding="utf-8")


# -- golden queries ------------------------------------------------------------------------------
def test_golden_queries_pass(kb_root: Path, capsys: pytest.CaptureFixture[str]) -> None:
    write_queries(
        kb_root,
        "- {query: facturen, expect: download-invoice-nl, top: 1}\n"
        "- {query: wachtwoordherstel, expect: reset-password-nl}\n"
        "- {query: refund override, expect: refund-override, internal: true}\n",
    )
    assert main(["check", "mkdocs.yml"]) == 0
    assert "0 errors" in capsys.readouterr().err


def test_golden_query_miss_fails_check(kb_root: Path, capsys: pytest.CaptureFixture[str]) -> None:
    write_queries(
        kb_root,
        "# golden\n"
        "- {query: facturen, expect: download-invoice-nl}\n"
        "- query: parcel tracking\n"
        "  expect: download-invoice\n"
        "  lang: en\n",
    )
    assert main(["check", "mkdocs.yml"]) == 1
    out = capsys.readouterr().out
    assert out.strip() == (
        "search/queries.yml:3: queries: 'parcel tracking' (en) should find 'download-invoice' "
        "in the top 3, found: track-order"
    )


def test_golden_query_errors(kb_root: Path) -> None:
    write_queries(
        kb_root,
        "- {query: invoice, expect: download-invoise}\n"
        "- {query: refund override, expect: refund-override}\n"
        "- {query: voucher, expect: draft-vouchers}\n"
        "- {query: x, expect: track-order, lang: de}\n"
        "- {query: x, expect: track-order, top: many}\n"
        "- {query: x, expekt: track-order}\n"
        "- just text\n",
    )
    kb = KnowledgeBase.load(Settings.load(kb_root / "mkdocs.yml"))
    messages = [(e.path, e.line, e.field, e.message) for e in check_golden_queries(kb)]
    assert messages == [
        ("search/queries.yml", 5, "queries", "'top' must be a whole number of at least 1"),
        (
            "search/queries.yml",
            6,
            "queries",
            "'expect' must name an article id (or a list of ids)",
        ),
        ("search/queries.yml", 6, "queries", "unknown key 'expekt' (did you mean 'expect'?)"),
        ("search/queries.yml", 7, "queries", "expected a mapping with 'query' and 'expect'"),
    ]
    lines = (kb_root / "search" / "queries.yml").read_text(encoding="utf-8").splitlines()
    write_queries(kb_root, "\n".join(lines[:4]))
    messages = [(e.line, e.message) for e in check_golden_queries(kb)]
    assert messages == [
        (1, "no article with id 'download-invoise' (did you mean 'download-invoice'?)"),
        (2, "'refund-override' is internal; add 'internal: true' to search the agents' index"),
        (3, "'draft-vouchers' is not published (draft), so search cannot find it"),
        (4, "unknown language 'de'"),
    ]


def test_golden_yaml_error_names_the_line(kb_root: Path) -> None:
    write_queries(kb_root, "- {query: a, expect: b}\n- {query: [\n")
    kb = KnowledgeBase.load(Settings.load(kb_root / "mkdocs.yml"))
    (error,) = check_golden_queries(kb)
    assert (error.path, error.field) == ("search/queries.yml", "queries")
    assert error.line == 3 and error.message.startswith("invalid YAML")


def test_synonym_errors_show_up_in_check(kb_root: Path, capsys: pytest.CaptureFixture[str]) -> None:
    write_queries(kb_root, "- {query: invoice, expect: download-invoice}\n")
    (kb_root / "search" / "synonyms.yml").write_text("en:\n  - [refund]\n", encoding="utf-8")
    assert main(["check", "mkdocs.yml"]) == 1
    assert capsys.readouterr().out.strip() == (
        "search/synonyms.yml:2: synonyms: a group needs at least two words or phrases"
    )


def test_sample_golden_queries_pass(tmp_path: Path) -> None:
    """The repository's own search/queries.yml against the sample KB (articles/)."""
    settings = Settings.load(REPO / "mkdocs.yml")
    settings = dataclasses.replace(settings, kb_dir=tmp_path / ".kb")
    assert check_golden_queries(KnowledgeBase.load(settings)) == []


# -- kb index / kb search ------------------------------------------------------------------------
def test_index_and_search_commands(kb_root: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["index"]) == 0
    assert "full build: 8 added" in capsys.readouterr().out
    assert main(["index", "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert (report["unchanged"], report["full"], report["path"]) == (8, False, ".kb/index")
    assert main(["search", "forgot", "password", "--lang", "en", "--limit", "1"]) == 0
    out = capsys.readouterr().out
    assert out.splitlines() == [
        " 1. Reset your password  (reset-password · en · "
        + out.split(" · ")[2].split(")")[0]
        + ")",
        "    Select [Forgot] [password]?",
    ]


def test_search_json_and_internal(kb_root: Path, capsys: pytest.CaptureFixture[str]) -> None:
    main(["index"])
    capsys.readouterr()
    assert main(["search", "refund", "override", "--json", "--lang", "en"]) == 0
    public = json.loads(capsys.readouterr().out)
    assert "refund-override" not in [h["id"] for h in public["hits"]]
    assert main(["search", "refund", "override", "--json", "--internal"]) == 0
    hits = json.loads(capsys.readouterr().out)["hits"]
    assert hits[0]["id"] == "refund-override"
    assert set(hits[0]) >= {"id", "title", "lang", "url", "score", "snippet", "matched_terms"}


def test_search_did_you_mean_and_no_results(
    kb_root: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    main(["index"])
    capsys.readouterr()
    assert main(["search", "pasword"]) == 0
    assert capsys.readouterr().out.startswith("Did you mean: password\n")
    assert main(["search", "qqqqq"]) == 1
    assert capsys.readouterr().out == "No results for 'qqqqq'.\n"


def test_search_errors(kb_root: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["search", "invoice"]) == 1
    assert capsys.readouterr().err == "kb search: no search index in .kb/index; run kb index\n"
    main(["index"])
    capsys.readouterr()
    assert main(["search", "invoice", "--lang", "de"]) == 2
    assert "unknown language 'de' (the index has: en, nl, sv)" in capsys.readouterr().err


def test_index_reports_invalid_articles(kb_root: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (kb_root / "articles" / "en" / "bad.md").write_text("---\ntitle: [\n---\n", encoding="utf-8")
    assert main(["index"]) == 1
    assert "articles/en/bad.md:3: front matter: invalid YAML" in capsys.readouterr().err


# -- evaldata ------------------------------------------------------------------------------------
def test_evaldata_loader(tmp_path: Path) -> None:
    (tmp_path / "articles.jsonl").write_text(
        '{"id": "a1", "title": "", "body": "Hur ansöker jag om bidrag?", "lang": "sv"}\n'
        '{"id": "a2", "title": "Bidrag", "body": "Text om bidrag och ansökan.", "lang": "sv"}\n',
        encoding="utf-8",
    )
    (tmp_path / "queries.jsonl").write_text(
        '{"id": "q1", "text": "text om ansökan", "gold": ["a2"], "lang": "sv"}\n', encoding="utf-8"
    )
    kb = load_jsonl_kb(tmp_path / "articles.jsonl")
    assert [a.id for a in kb.public()] == ["a1", "a2"]
    assert kb.settings.languages == ("sv",)
    (q,) = load_queries(tmp_path / "queries.jsonl")
    assert (q.id, q.text, q.gold, q.lang) == ("q1", "text om ansökan", ("a2",), "sv")
    with index_in_memory(kb.articles, kb.settings) as s:
        assert s.search(q.text, lang="sv").ids()[0] == "a2"
    assert not (tmp_path / ".kb").exists()


def test_evaldata_errors_name_file_and_line(tmp_path: Path) -> None:
    path = tmp_path / "articles.jsonl"
    path.write_text('{"id": "a1", "body": "x"}\n{"id": "a2"\n', encoding="utf-8")
    with pytest.raises(KBError, match=r"articles.jsonl:2: invalid JSON"):
        load_jsonl_kb(path)
    path.write_text('{"id": "a1"}\n', encoding="utf-8")
    with pytest.raises(KBError, match=r"articles.jsonl:1: body: missing"):
        load_jsonl_kb(path)


@pytest.mark.skipif(
    not (REPO.parent / "shared" / "evaldata" / "stackfaq").is_dir(), reason="no evaldata here"
)
def test_real_evaldata_beats_the_keyword_baseline() -> None:
    folder = REPO.parent / "shared" / "evaldata" / "stackfaq"
    kb = load_jsonl_kb(folder / "articles.jsonl")
    queries = load_queries(folder / "queries.jsonl")[::4]
    with index_in_memory(kb.articles, kb.settings) as s:
        ranks = []
        for q in queries:
            ids = s.search(q.text, lang=q.lang, limit=10).ids()
            ranks.append(min((ids.index(g) + 1 for g in q.gold if g in ids), default=None))
    mrr = sum(1 / r for r in ranks if r) / len(ranks)
    assert mrr >= 0.80, mrr  # the README's BM25 baseline for stackfaq
    assert os.environ.get("KB_NEVER_SET") is None
