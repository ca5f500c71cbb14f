"""The named evaluation sets of `kb eval`: nlfaq and its cross-language variants, gnome-sv-en."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from kb.cli import main
from kb.suggest.evalsets import EVAL_SETS, load_jsonl_kb, load_queries, named_set, open_eval_set
from tests.conftest import MakeKB

REPO = Path(__file__).resolve().parent.parent
NLFAQ = REPO / "evaldata" / "nlfaq"


def rows(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line]


def test_english_pages_are_the_dutch_pages() -> None:
    nl, en = rows(NLFAQ / "articles.jsonl"), rows(NLFAQ / "articles-en.jsonl")
    assert len(en) == 249
    assert [r["id"] for r in en] == [r["id"] for r in nl]
    for a, b in zip(nl, en, strict=True):
        assert b["lang"] == "en" and b["title"] and b["body"].strip()
        # the same page: the same Mallard file, the same number of text blocks
        assert b["source"].endswith("/gnome-help/C/" + a["source"].split("/C/")[1].split()[0])
        assert b["body"].count("\n") == a["body"].count("\n"), a["id"]


@pytest.mark.parametrize("name", sorted(EVAL_SETS))
def test_every_gold_id_is_in_the_set(name: str) -> None:
    evalset = EVAL_SETS[name]
    kb = evalset.load()
    ids = {a.id for a in kb.articles}
    assert len(ids) == len(kb.articles) == 249
    queries = load_queries(name)
    answerable = [q for q in queries if q.gold]
    assert answerable and len(answerable) < len(queries)  # off-topic questions come too
    assert all(set(q.gold) <= ids for q in answerable)
    assert kb.settings.languages == (evalset.languages or ("nl",))
    assert {q.lang for q in queries} == {kb.settings.languages[0]}


def test_mixed_set_has_every_second_page_in_english() -> None:
    kb = EVAL_SETS["nlfaq-mixed"].load()
    lang = {a.id: a.lang for a in kb.articles}
    ordered = sorted(lang)
    assert [lang[i] for i in ordered[:4]] == ["en", "nl", "en", "nl"]
    assert all(lang[i] == ("en" if n % 2 == 0 else "nl") for n, i in enumerate(ordered))
    assert sum(v == "en" for v in lang.values()) == 125
    assert lang["nlfaq-a11y-bouncekeys"] == "en" and lang["nlfaq-a11y-braille"] == "nl"
    en = {r["id"]: r for r in rows(NLFAQ / "articles-en.jsonl")}
    nl = {r["id"]: r for r in rows(NLFAQ / "articles.jsonl")}
    for a in kb.articles:  # each page's text comes from the file of its language
        assert a.body == (en if a.lang == "en" else nl)[a.id]["body"]


def test_a_file_of_that_name_wins_over_a_set(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    assert named_set("nlfaq-en") is EVAL_SETS["nlfaq-en"]
    Path("nlfaq-en").write_text('{"id": "x", "body": "b", "lang": "sv"}\n', encoding="utf-8")
    assert named_set("nlfaq-en") is None
    assert [a.id for a in load_jsonl_kb("nlfaq-en").articles] == ["x"]


def test_cross_language_set_uses_both_models_languages(make_kb: MakeKB) -> None:
    config = make_kb({}, kb_options={"model": "hash"})
    suggester = open_eval_set("nlfaq-en", config)
    assert suggester.languages == ("nl", "en")
    assert {a.lang for a in suggester.articles} == {"en"}


def test_kb_eval_runs_a_named_set(
    make_kb: MakeKB, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    config = make_kb({}, kb_options={"model": "hash"})
    queries = tmp_path / "q.jsonl"
    queries.write_text(
        "".join(json.dumps(q.__dict__) + "\n" for q in load_queries("nlfaq-mixed")[:3]),
        encoding="utf-8",
    )
    argv = ["eval", "--articles", "nlfaq-mixed", "--queries", str(queries), "--modes", "keyword"]
    assert main([*argv, "-f", str(config)]) == 0
    out = capsys.readouterr().out
    assert "3 questions over 249 articles (nlfaq-mixed)" in out
    assert "| nl | keyword | 3 |" in out


def test_readme_lists_the_english_only_pages_of_the_mixed_set() -> None:
    readme = (NLFAQ / "README.md").read_text(encoding="utf-8")
    listed = readme.split("The English-only pages are:", 1)[1].split("\n\n")[1]
    pages = {"nlfaq-" + p.strip(" `\n") for p in listed.split(",")}
    kb = EVAL_SETS["nlfaq-mixed"].load()
    assert pages == {a.id for a in kb.articles if a.lang == "en"}
