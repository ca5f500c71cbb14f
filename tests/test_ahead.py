"""A ticket embedded by a forked process (kb.suggest.ahead): the same vector, or none at all."""

from __future__ import annotations

import os
import time
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from kb.core.settings import Settings
from kb.suggest import ahead as ahead_module
from kb.suggest.ahead import Ahead
from kb.suggest.embedders import HashEmbedder, encode_queries, settings_embedder
from kb.suggest.suggester import Suggester
from tests.conftest import MakeKB

pytestmark = pytest.mark.skipif(not hasattr(os, "fork"), reason="needs fork")

ARTICLES = {
    "en/a.md": ({"id": "reset", "title": "Reset your password"}, "## Steps\n\nOpen Settings.\n"),
    "en/b.md": ({"id": "track", "title": "Track your order"}, "## Steps\n\nOpen the link.\n"),
}
TICKET = "I forgot my password and cannot log in"


@pytest.fixture
def settings(make_kb: MakeKB, monkeypatch: pytest.MonkeyPatch) -> Settings:
    # the protocol is tested here, not when forking is safe (fs.can_fork, tested elsewhere)
    monkeypatch.setattr(ahead_module.fs, "can_fork", lambda cores=1: True)
    monkeypatch.setattr(os, "cpu_count", lambda: 2)
    monkeypatch.setattr(ahead_module, "_worth_it", lambda embedder, lang: True)
    return Settings.load(make_kb(ARTICLES, kb_options={"model": "hash"}))


def _gone(pid: int) -> bool:
    try:
        os.waitpid(pid, os.WNOHANG)
    except ChildProcessError:
        return True
    return False


def _sends_nothing(settings: Settings) -> bool:
    """A child was started, and what it sent (if anything) gave no vector."""
    started = Ahead.start(settings, settings_embedder(settings), TICKET, "en")
    return started is not None and started.vector() is None


def test_the_child_sends_the_vector_the_suggester_would_compute(settings: Settings) -> None:
    started = Ahead.start(settings, settings_embedder(settings), TICKET, "en")
    assert started is not None
    got = started.vector()
    want = encode_queries(settings_embedder(settings), [TICKET], ["en"])[0]
    assert got is not None and got.dtype == np.float32
    np.testing.assert_array_equal(got, want)
    assert _gone(started.pid)  # reaped


def test_suggestions_with_the_vector_from_ahead_are_the_same(settings: Settings) -> None:
    suggester = Suggester.from_settings(settings)
    plain = suggester.suggest(TICKET, lang="en").to_dict()
    started = Ahead.start(settings, settings_embedder(settings), TICKET, "en")
    assert started is not None
    called: list[bool] = []

    def collect() -> Any:
        called.append(True)
        return started.vector()

    assert suggester.suggest(TICKET, lang="en", ahead=collect).to_dict() == plain
    assert called == [True]
    assert plain["suggestions"][0]["id"] == "reset"


def test_no_vector_or_a_bad_one_means_the_ticket_is_embedded_here(
    settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    suggester = Suggester.from_settings(settings)
    plain = suggester.suggest(TICKET, lang="en").to_dict()
    wrong = np.ones(7, dtype=np.float32)  # not the index's width
    for given in (None, wrong):
        assert suggester.suggest(TICKET, lang="en", ahead=lambda g=given: g).to_dict() == plain

    def garbage(embedder: Any, text: str, lang: str, fd: int) -> None:
        os.write(fd, b"\x05\x00\x00\x00abc")  # says 5 floats, sends 3 bytes
        os._exit(0)

    monkeypatch.setattr(ahead_module, "_child", garbage)
    assert _sends_nothing(settings)


def test_a_child_that_fails_or_is_not_ready_sends_nothing(
    settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(ahead_module, "_ready", lambda embedder, lang: False)
    assert _sends_nothing(settings)

    def boom(embedder: Any, lang: str) -> bool:
        raise RuntimeError("model damaged")

    monkeypatch.setattr(ahead_module, "_ready", boom)
    assert _sends_nothing(settings)


def test_a_child_still_working_is_stopped_when_the_answer_is_not_wanted(
    settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    def slow(embedder: Any, text: str, lang: str, fd: int) -> None:
        time.sleep(60)
        os._exit(0)

    monkeypatch.setattr(ahead_module, "_child", slow)
    started = Ahead.start(settings, settings_embedder(settings), TICKET, "en")
    assert started is not None
    t0 = time.monotonic()
    started.close()
    assert time.monotonic() - t0 < 5 and _gone(started.pid)
    started.close()  # twice is harmless

    monkeypatch.setattr(ahead_module, "WAIT_S", 0.5)  # a child that hangs: waited for, no longer
    started = Ahead.start(settings, settings_embedder(settings), TICKET, "en")
    assert started is not None
    t0 = time.monotonic()
    assert started.vector() is None
    assert time.monotonic() - t0 < 5 and _gone(started.pid)


def test_only_a_model_that_is_slow_to_open_and_ready_runs_in_the_child(tmp_path: Path) -> None:
    from kb.suggest.embedders import SentenceTransformerEmbedder
    from kb.suggest.twomodels import ByLanguage

    assert ahead_module._ready(HashEmbedder(), "en")
    assert not ahead_module._worth_it(HashEmbedder(), "en")  # opens in no time
    no_export = SentenceTransformerEmbedder(cache_dir=tmp_path)  # nothing exported here
    assert not ahead_module._ready(no_export, "en") and not ahead_module._worth_it(no_export, "en")
    two = ByLanguage(no_export, ("en",), HashEmbedder())
    assert not ahead_module._ready(two, "en") and ahead_module._ready(two, "nl")
    assert not ahead_module._worth_it(two, "nl")
    # what a checked export's marker says is worth it (the real one: tests/test_suggest_cli.py)
    marked = SentenceTransformerEmbedder(cache_dir=tmp_path)
    marked.checked_dim = lambda: 384  # type: ignore[method-assign]
    assert ahead_module._worth_it(ByLanguage(marked, ("en",), HashEmbedder()), "en")


def test_one_core_or_unsafe_forking_embeds_here(
    settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(os, "cpu_count", lambda: 1)
    assert Ahead.start(settings, settings_embedder(settings), TICKET, "en") is None
    monkeypatch.setattr(os, "cpu_count", lambda: 2)
    monkeypatch.setattr(ahead_module.fs, "can_fork", lambda cores=1: False)
    assert Ahead.start(settings, settings_embedder(settings), TICKET, "en") is None
    monkeypatch.undo()


def test_parallel_false_turns_it_off(make_kb: MakeKB, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(ahead_module.fs, "can_fork", lambda cores=1: True)
    monkeypatch.setattr(os, "cpu_count", lambda: 2)
    monkeypatch.setattr(ahead_module, "_worth_it", lambda embedder, lang: True)
    config = make_kb(ARTICLES, kb_options={"model": "hash", "parallel": False})
    assert Ahead.start(Settings.load(config), HashEmbedder(), TICKET, "en") is None
