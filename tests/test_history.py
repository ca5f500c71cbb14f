"""Last-change dates from git skip the mechanical commits listed in `.git-blame-ignore-revs`."""

from __future__ import annotations

import datetime as dt
import json
import logging
import os
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest

from kb.cli import main
from kb.stale.history import IGNORE_REVS_FILE, GitHistory
from tests.conftest import MakeKB, article

pytestmark = pytest.mark.skipif(shutil.which("git") is None, reason="needs git")
OLD, MECHANICAL = "2021-03-01", "2026-10-01"


@pytest.fixture(autouse=True)
def _no_user_git_config(monkeypatch: pytest.MonkeyPatch) -> None:
    """The user's own git config (a global blame.ignoreRevsFile, say) stays out of the tests."""
    monkeypatch.setenv("GIT_CONFIG_GLOBAL", os.devnull)
    monkeypatch.setenv("GIT_CONFIG_NOSYSTEM", "1")


def git(root: Path, *args: str) -> str:
    """Run git in `root` and return its output."""
    done = subprocess.run(
        ["git", *args], cwd=root, capture_output=True, text=True, check=True, env=os.environ.copy()
    )
    return done.stdout.strip()


def commit(root: Path, day: str, message: str) -> str:
    """Commit everything on `day` (author and committer date); returns the full commit id."""
    stamp = f"{day}T12:00:00"
    env = {**os.environ, "GIT_COMMITTER_DATE": stamp}
    subprocess.run(["git", "add", "-A"], cwd=root, check=True, env=env)
    who = ["-c", "user.name=t", "-c", "user.email=t@t"]
    subprocess.run(
        ["git", *who, "commit", "-q", "--date", stamp, "-m", message], cwd=root, check=True, env=env
    )
    return git(root, "rev-parse", "HEAD")


@pytest.fixture
def repo(tmp_path: Path) -> tuple[Path, str]:
    """A repository: guide.md and moved.md from 2021, then a 2026 reformat that also imports."""
    root = tmp_path / "repo"
    docs = root / "articles"
    (docs / "en").mkdir(parents=True)
    git(root, "init", "-q")
    (docs / "en/guide.md").write_text("# Guide\nSome  text.\n", encoding="utf-8")
    (docs / "en/moved.md").write_text("# Moved\nText.\n", encoding="utf-8")
    (docs / "en/återställ.md").write_text("# Återställ\nText.\n", encoding="utf-8")
    commit(root, OLD, "articles")
    (docs / "en/guide.md").write_text("# Guide\n\nSome text.\n", encoding="utf-8")
    (docs / "en/imported.md").write_text("# Imported\n\nFrom elsewhere.\n", encoding="utf-8")
    (docs / "faq").mkdir()
    git(root, "mv", "articles/en/moved.md", "articles/faq/moved.md")
    return root, commit(root, MECHANICAL, "reformat and import")


def _day(text: str) -> dt.date:
    return dt.date.fromisoformat(text)


def test_without_the_file_the_mechanical_commit_counts(repo: tuple[Path, str]) -> None:
    root, _ = repo
    history = GitHistory(root / "articles")
    assert history.ignored_revs == frozenset()
    assert history.last_changed("en/guide.md") == (_day(MECHANICAL), "git")
    assert history.last_changed("en/imported.md") == (_day(MECHANICAL), "git")


def test_an_ignored_commit_keeps_the_earlier_date(repo: tuple[Path, str]) -> None:
    root, sha = repo
    text = f"# Mechanical commits\n\n{sha}  # reformat and import\n"
    (root / IGNORE_REVS_FILE).write_text(text, encoding="utf-8")
    history = GitHistory(root / "articles")
    assert history.ignored_revs == {sha}
    assert history.last_changed("en/guide.md") == (_day(OLD), "git")
    assert history.last_changed("faq/moved.md") == (_day(OLD), "git")  # renamed by the reformat
    assert history.last_changed("en/återställ.md") == (_day(OLD), "git")


def test_a_file_only_ignored_commits_touched_has_no_git_date(repo: tuple[Path, str]) -> None:
    root, sha = repo
    (root / IGNORE_REVS_FILE).write_text(sha + "\n", encoding="utf-8")
    history = GitHistory(root / "articles")
    assert history.only_ignored == {"en/imported.md"}
    assert "en/imported.md" not in history.last_changes
    assert history.last_changed("en/imported.md") == (None, "ignored")  # not the clone's mtime
    (root / "articles/en/imported.md").write_text("# Imported\n\nEdited.\n", encoding="utf-8")
    assert GitHistory(root / "articles").last_changed("en/imported.md") == (dt.date.today(), "file")


def test_abbreviated_ids_comments_and_bad_lines(
    repo: tuple[Path, str], caplog: pytest.LogCaptureFixture
) -> None:
    root, sha = repo
    lines = ["# one commit per line", "", sha[:7].upper(), "not-a-sha", "abc12", "0000000dead"]
    (root / IGNORE_REVS_FILE).write_text("\n".join(lines) + "\n", encoding="utf-8")
    with caplog.at_level(logging.INFO, logger="kb.stale.history"):
        history = GitHistory(root / "articles")
        assert history.ignored_revs == {sha}
    assert history.last_changed("en/guide.md") == (_day(OLD), "git")
    logged = caplog.text
    assert "'not-a-sha'" in logged and "'abc12'" in logged and "0000000dead" in logged
    assert "one commit per line" not in logged


def test_blame_ignore_revs_file_from_git_config(repo: tuple[Path, str]) -> None:
    root, sha = repo
    (root / "meta").mkdir()
    (root / "meta/mechanical.txt").write_text(sha + "\n", encoding="utf-8")
    git(root, "config", "blame.ignoreRevsFile", "meta/mechanical.txt")
    history = GitHistory(root / "articles")
    assert history.ignore_revs_files == [root / IGNORE_REVS_FILE, root / "meta/mechanical.txt"]
    assert history.ignored_revs == {sha}
    assert history.last_changed("en/guide.md") == (_day(OLD), "git")


def test_versions_keep_the_ignored_commits(repo: tuple[Path, str]) -> None:
    root, sha = repo
    (root / IGNORE_REVS_FILE).write_text(sha + "\n", encoding="utf-8")
    history = GitHistory(root / "articles")
    versions = list(history.versions(root / "articles/en/guide.md"))
    assert len(versions) == 2 and versions[0].commit == sha
    assert versions[0].text == "# Guide\n\nSome text.\n"


def test_outside_git_everything_is_quiet(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GIT_CEILING_DIRECTORIES", str(tmp_path))
    docs = tmp_path / "articles"
    docs.mkdir()
    (docs / "a.md").write_text("text\n", encoding="utf-8")
    (tmp_path / IGNORE_REVS_FILE).write_text("0" * 40 + "\n", encoding="utf-8")
    history = GitHistory(docs)
    assert history.root is None
    assert history.ignored_revs == frozenset() and history.ignore_revs_files == []
    assert history.last_changes == {} and history.only_ignored == set()
    assert history.last_changed("a.md") == (dt.date.today(), "file")
    assert history.last_changed("missing.md") == (None, "unknown")


def test_kb_stale_sees_through_a_mechanical_commit(
    make_kb: MakeKB, capsys: pytest.CaptureFixture[str]
) -> None:
    base = {"type": "solution", "lang": "en", "owner": "sam", "summary": "How."}
    config = make_kb(
        {"en/undated.md": article({**base, "id": "undated", "title": "Shipping days"})},
        kb_options={"model": "hash", "defaults": {"review_every": "1y"}},
    )
    root, docs = config.parent, config.parent / "articles"
    git(root, "init", "-q")
    (root / ".gitignore").write_text(".kb/\n", encoding="utf-8")
    commit(root, OLD, "first articles")
    path = docs / "en/undated.md"
    path.write_text(path.read_text(encoding="utf-8") + "\n", encoding="utf-8")  # a reformat
    imported = {**base, "title": "Imported", "reviewed": "2024-01-10"}
    (docs / "en/imported.md").write_text(article({**imported, "id": "imported"}), "utf-8")
    (docs / "en/imported-undated.md").write_text(
        article({**base, "id": "imported-undated", "title": "Imported, undated"}), "utf-8"
    )
    sha = commit(root, MECHANICAL, "import from the old help centre, reformat")
    argv = ["stale", "-f", str(config), "--today", "2026-11-20", "--format", "json"]
    argv.append("--no-duplicates")

    def run() -> dict[str, Any]:
        assert main(argv) == 0
        data = json.loads(capsys.readouterr().out)
        overdue = {f["article"]: f for f in data["findings"] if f["rule"] == "review-overdue"}
        changed = {row["article"]: row["last_changed"] for row in data["freshness"]}
        return {"overdue": overdue, "changed": changed}

    before = run()
    assert set(before["overdue"]) == {"imported"}  # the reformat made "undated" look fresh
    (root / IGNORE_REVS_FILE).write_text(f"# mechanical\n{sha[:10]}\n", encoding="utf-8")
    after = run()
    assert set(after["overdue"]) == {"undated", "imported"}
    warning = after["overdue"]["undated"]
    assert warning["severity"] == "warning"
    assert warning["evidence"] == {
        "last_changed": OLD,
        "last_changed_from": "git",
        "review_every": "1y",
    }
    assert after["overdue"]["imported"]["severity"] == "error"  # by its `reviewed` date
    assert after["changed"] == {"undated": OLD, "imported": None, "imported-undated": None}
