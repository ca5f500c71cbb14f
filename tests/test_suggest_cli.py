"""`kb suggest` and `kb eval` end to end: real Whoosh index on disk, hash or real embeddings."""

from __future__ import annotations

import io
import json
from pathlib import Path
from typing import Any

import pytest

from kb.cli import main
from tests.conftest import MakeKB

ARTICLES: dict[str, Any] = {
    "en/account/reset-password.md": (
        {"id": "reset-password", "title": "Reset your password", "tags": ["password", "login"]},
        "## Issue\n\nYou forgot your password and cannot log in.\n\n"
        "## Resolution\n\n1. Select Forgot password on the login screen.\n2. Open the e-mail link.\n",
    ),
    "nl/account/reset-password.md": (
        {
            "title": "Wachtwoord herstellen",
            "translation_of": "reset-password",
            "id": "reset-password-nl",
        },
        "## Probleem\n\nJe bent je wachtwoord vergeten en kunt niet inloggen.\n",
    ),
    "en/orders/track-order.md": (
        {"id": "track-order", "title": "Track your order", "tags": ["delivery", "parcel"]},
        "## Issue\n\nYou want to know where your parcel is.\n\n"
        "## Resolution\n\nOpen the tracking link in the shipping e-mail.\n",
    ),
    "en/agents/refund-approval.md": (
        {
            "id": "refund-approval",
            "title": "Approving refunds over 500 euro",
            "audience": "internal",
        },
        "## Issue\n\nA refund over 500 euro needs a team lead approval.\n",
    ),
}


@pytest.fixture
def hash_kb(make_kb: MakeKB) -> Path:
    """A small KB whose embeddings come from the hashing embedder (no model needed)."""
    return make_kb(ARTICLES, kb_options={"model": "hash"})


def run(argv: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    code = main(argv)
    out = capsys.readouterr()
    return code, out.out, out.err


def test_single_ticket_table(hash_kb: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run(
        ["suggest", "I forgot my password, cannot log in", "-f", str(hash_kb)], capsys
    )
    assert code == 0, err
    lines = out.splitlines()
    assert lines[0].split()[:3] == ["#", "score", "article"]
    assert "Reset your password (reset-password)" in lines[1]
    assert "words: forgot, password" in lines[1] or "words: password" in lines[1]
    assert any("en/account/reset-password/#" in line for line in lines)


def test_single_ticket_json_from_stdin(
    hash_kb: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("sys.stdin", io.StringIO("where is my parcel? tracking delivery"))
    code, out, _ = run(["suggest", "--json", "-k", "2", "-f", str(hash_kb)], capsys)
    assert code == 0
    data = json.loads(out)
    assert set(data) == {"abstained", "suggestions"}
    assert data["suggestions"][0]["id"] == "track-order"
    assert len(data["suggestions"]) == 2


def test_customers_never_see_internal_articles(
    hash_kb: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    text = "refund over 500 euro approval team lead"
    _, agent, _ = run(["suggest", text, "--json", "-f", str(hash_kb)], capsys)
    _, public, _ = run(["suggest", text, "--json", "--public", "-f", str(hash_kb)], capsys)
    assert json.loads(agent)["suggestions"][0]["id"] == "refund-approval"
    assert "refund-approval" not in [s["id"] for s in json.loads(public)["suggestions"]]


def test_dutch_ticket_gets_the_dutch_translation(
    hash_kb: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    _, out, _ = run(
        ["suggest", "Ik ben mijn wachtwoord vergeten", "--json", "-f", str(hash_kb)], capsys
    )
    first = json.loads(out)["suggestions"][0]
    assert first["id"] == "reset-password-nl" and first["url"] == "nl/account/reset-password/"


def test_tickets_file_writes_the_jsonl_contract(
    hash_kb: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    tickets = tmp_path / "tickets.csv"
    tickets.write_text(
        "id,subject,description,created_at,tags\n"
        "Z1,Password,I forgot my password and cannot log in,2026-01-01,\n"
        ",No id,this row is bad,2026-01-01,\n"
        "Z2,Quantum,zxqv blorp fnord,2026-01-02,\n",
        encoding="utf-8",
    )
    code, out, err = run(
        ["suggest", "--tickets", str(tickets), "--limit", "3", "-f", str(hash_kb)], capsys
    )
    assert code == 1  # a bad row was skipped
    assert "tickets.csv:3: missing ticket id" in err
    records = [json.loads(line) for line in out.splitlines()]
    assert [r["ticket"] for r in records] == ["Z1", "Z2"]
    for r in records:
        assert list(r) == ["ticket", "abstained", "suggestions"]
        assert len(r["suggestions"]) <= 3
        for s in r["suggestions"]:
            assert list(s) == ["id", "title", "url", "score", "reasons"]
            assert {"matched_terms", "section", "semantic_score"} <= set(s["reasons"])
    assert records[0]["abstained"] is False
    assert records[0]["suggestions"][0]["id"] == "reset-password"
    # nonsense: no good article, but the weak candidates are still listed, ranked
    assert records[1]["abstained"] is True and records[1]["suggestions"]
    assert "\r[" not in err  # no progress bar when stderr is not a terminal


def test_output_file_and_usage_errors(
    hash_kb: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    target = tmp_path / "out.jsonl"
    tickets = tmp_path / "t.jsonl"
    tickets.write_text('{"id": "1", "text": "track my parcel"}\n', encoding="utf-8")
    assert (
        run(["suggest", "--tickets", str(tickets), "-o", str(target), "-f", str(hash_kb)], capsys)[
            0
        ]
        == 0
    )
    assert json.loads(target.read_text())["ticket"] == "1"
    code, _, err = run(["suggest", "x", "--limit", "0", "-f", str(hash_kb)], capsys)
    assert code == 2 and "--limit must be at least 1" in err
    code, _, err = run(["suggest", "x", "--lang", "de", "-f", str(hash_kb)], capsys)
    assert code == 2 and "--lang 'de' is not one of: en, nl, sv" in err
    code, _, err = run(
        ["suggest", "--tickets", str(tmp_path / "none.csv"), "-f", str(hash_kb)], capsys
    )
    assert code == 1 and "none.csv: no such ticket file" in err


def test_second_run_uses_the_cache(hash_kb: Path, capsys: pytest.CaptureFixture[str]) -> None:
    run(["suggest", "parcel", "-f", str(hash_kb)], capsys)
    cache = hash_kb.parent / ".kb" / "cache" / "embeddings-hash-256-kb.npz"
    stamp = cache.stat().st_mtime_ns
    run(["suggest", "password", "-f", str(hash_kb)], capsys)
    assert cache.stat().st_mtime_ns == stamp  # nothing re-embedded, nothing rewritten


def write_jsonl(path: Path, rows: list[dict[str, Any]]) -> Path:
    path.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    return path


def test_eval_prints_metrics_per_language_and_mode(
    hash_kb: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    articles = write_jsonl(
        tmp_path / "a.jsonl",
        [
            {
                "id": "pw",
                "title": "Reset password",
                "body": "forgot password login reset",
                "lang": "en",
            },
            {
                "id": "tr",
                "title": "Track parcel",
                "body": "where is my parcel tracking",
                "lang": "en",
            },
            {"id": "sv", "title": "Glömt lösenord", "body": "återställ lösenordet", "lang": "sv"},
        ],
    )
    queries = write_jsonl(
        tmp_path / "q.jsonl",
        [
            {"id": "1", "text": "I forgot my password", "gold": ["pw"], "lang": "en"},
            {"id": "2", "text": "parcel tracking", "gold": ["tr"], "lang": "en"},
            {"id": "3", "text": "lösenord", "gold": ["sv"], "lang": "sv"},
            {"id": "4", "text": "unknown gold", "gold": ["nope"], "lang": "en"},
        ],
    )
    argv = ["eval", "--queries", str(queries), "--articles", str(articles), "-f", str(hash_kb)]
    code, out, err = run(argv, capsys)
    assert code == 0, err
    assert "3 questions over 3 articles" in out and "1 questions skipped" in out
    rows = {
        tuple(c.strip() for c in line.split("|")[1:3]): line
        for line in out.splitlines()
        if line.startswith("| ")
    }
    for lang in ("en", "sv", "all"):
        for mode in ("keyword", "embedding", "hybrid"):
            assert (lang, mode) in rows
    assert rows[("en", "hybrid")].split("|")[4].strip() == "1.000"  # R@1
    code, out, _ = run([*argv, "--json", "--modes", "keyword"], capsys)
    data = json.loads(out)
    assert {(s["lang"], s["mode"]) for s in data["scores"]} == {
        ("en", "keyword"),
        ("sv", "keyword"),
        ("all", "keyword"),
    }
    assert data["skipped_queries"] == 1
    code, _, err = run([*argv, "--modes", "magic"], capsys)
    assert code == 2 and "--modes: unknown magic" in err


def test_eval_on_the_current_kb(
    hash_kb: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    queries = write_jsonl(
        tmp_path / "q.jsonl",
        [{"id": "1", "text": "forgot password", "gold": ["reset-password"], "lang": "en"}],
    )
    code, out, _ = run(["eval", "--queries", str(queries), "-f", str(hash_kb)], capsys)
    assert code == 0
    assert "| en | keyword | 1 | 1.000 |" in out


@pytest.mark.model
@pytest.mark.slow
def test_real_model_end_to_end(
    make_kb: MakeKB, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    config = make_kb(ARTICLES)  # the default model: MiniLM for English, e5 for nl and sv
    tickets = tmp_path / "t.jsonl"
    tickets.write_text(
        '{"id": "1", "text": "Hi, I cannot remember my login secret and I am locked out"}\n'
        '{"id": "2", "text": "Where is my package? It has not arrived yet."}\n',
        encoding="utf-8",
    )
    code, out, err = run(["suggest", "--tickets", str(tickets), "-f", str(config)], capsys)
    assert code == 0, err
    first, second = (json.loads(line) for line in out.splitlines())
    assert first["suggestions"][0]["id"] == "reset-password"  # by meaning: no shared keyword
    assert first["suggestions"][0]["reasons"]["semantic_score"] > 0.3
    assert second["suggestions"][0]["id"] == "track-order"
    cached = [p.name for p in (config.parent / ".kb" / "cache").glob("embeddings-*-kb.npz")]
    assert len(cached) == 1 and "all-MiniLM-L6-v2" in cached[0] and "e5" in cached[0]


@pytest.mark.model
@pytest.mark.slow
def test_dutch_and_swedish_tickets_find_english_only_articles(
    make_kb: MakeKB, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """One multilingual model embeds both sides: no shared word, the right article, confident."""
    config = make_kb(ARTICLES)
    tickets = tmp_path / "t.jsonl"
    tickets.write_text(
        '{"id": "nl", "text": "Waar blijft mijn pakketje? Ik wacht al een week.", "lang": "nl"}\n'
        '{"id": "sv", "text": "Var är mitt paket? Jag har väntat i en vecka.", "lang": "sv"}\n'
        '{"id": "off", "text": "Kunnen jullie het cadeau mooi inpakken voor mijn zus?", '
        '"lang": "nl"}\n',
        encoding="utf-8",
    )
    code, out, err = run(["suggest", "--tickets", str(tickets), "-f", str(config)], capsys)
    assert code == 0, err
    nl, sv, off = (json.loads(line) for line in out.splitlines())
    for answer in (nl, sv):
        assert answer["suggestions"][0]["id"] == "track-order"  # exists only in English
        assert answer["suggestions"][0]["reasons"]["matched_terms"] == []
    assert off["abstained"] is True  # gift wrapping: no article


@pytest.mark.model
@pytest.mark.slow
def test_a_second_process_answers_tickets_without_torch(make_kb: MakeKB) -> None:
    """After one run has exported and checked the model, tickets need no torch import."""
    import subprocess
    import sys

    english = {k: v for k, v in ARTICLES.items() if k.startswith("en/")}
    config = make_kb(english, kb_options={"languages": ["en"]})
    ticket = "Hi, I cannot remember my login secret and I am locked out"
    probe = (
        "import json, sys\n"
        "from kb.cli import main\n"
        f"sys.argv = ['kb', '-v', 'suggest', '--json', {ticket!r}, '-f', {str(config)!r}]\n"
        "code = main()\n"
        "print(json.dumps(sorted(m for m in ('torch', 'sentence_transformers') "
        "if m in sys.modules)))\n"
    )

    def once() -> tuple[dict[str, Any], list[str], str]:
        done = subprocess.run(
            [sys.executable, "-c", probe], capture_output=True, text=True, timeout=600
        )
        assert done.returncode == 0, done.stderr
        lines = done.stdout.strip().splitlines()
        assert len(lines) >= 2, done.stdout + done.stderr
        return json.loads("\n".join(lines[:-1])), json.loads(lines[-1]), done.stderr

    first, loaded_first, _ = once()
    second, loaded_second, log = once()
    assert loaded_first == ["sentence_transformers", "torch"]  # export and check, once
    assert loaded_second == []
    # the second run's ticket was embedded by a forked process on the other core
    assert "embedded by a second process" in log
    assert second == first  # the same vectors, so the same answer
    assert second["suggestions"][0]["id"] == "reset-password"
