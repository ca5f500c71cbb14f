"""Shared fixtures: throwaway knowledge bases written from dicts."""

from __future__ import annotations

import os
import textwrap
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml

from kb.core.collection import KnowledgeBase
from kb.core.settings import Settings

REPO = Path(__file__).resolve().parent.parent
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")

CHROMIUM = Path("/usr/bin/chromium")
# the flags Chromium runs with in every browser test (this machine: no sandbox, no GPU, no network)
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"]


def under_ci() -> bool:
    """True when the suite runs as CI (`.ci/run` sets CI=1): nothing may be skipped for set-up."""
    return os.environ.get("CI", "").strip().lower() not in ("", "0", "false", "no")


def need_chromium() -> Any:
    """Playwright's sync API when Debian's Chromium is here; else skip, or fail under CI."""
    reason = ""
    if not CHROMIUM.exists():
        reason = "Debian's Chromium (/usr/bin/chromium) is not installed"
    else:
        try:
            import playwright.sync_api as sync_api
        except ImportError:
            reason = "Playwright is not installed"
    if reason and under_ci():
        pytest.fail(f"{reason}: CI runs every browser test (scripts/setup.sh installs it)")
    if reason:
        pytest.skip(reason, allow_module_level=True)
    return sync_api


AXE = Path(__file__).resolve().parent / "browser" / "node_modules" / "axe-core" / "axe.min.js"


def need_axe() -> Path:
    """axe-core's script (npm ci --prefix tests/browser); else skip, or fail under CI."""
    if AXE.is_file():
        return AXE
    reason = "axe-core is not installed (npm ci --prefix tests/browser)"
    if under_ci():
        pytest.fail(f"{reason}: CI runs every accessibility test (scripts/setup.sh installs it)")
    pytest.skip(reason, allow_module_level=True)


MINIMAL_CONFIG: dict[str, Any] = {
    "site_name": "Test Help",
    "docs_dir": "articles",
    "theme": {"name": "material"},
    "plugins": [{"kb": {"languages": ["en", "nl", "sv"], "default_lang": "en"}}],
}


def article(meta: dict[str, Any] | None = None, body: str = "Some text.\n") -> str:
    """Return an article file's text from front-matter values and a body."""
    meta = meta or {}
    head = yaml.safe_dump(meta, allow_unicode=True, sort_keys=False) if meta else ""
    return f"---\n{head}---\n{textwrap.dedent(body)}"


MakeKB = Callable[..., Path]


@pytest.fixture
def make_kb(tmp_path: Path) -> MakeKB:
    """Write a KB: {rel path: text or (meta, body) or meta dict}; returns the mkdocs.yml path."""

    def make(
        files: dict[str, Any], kb_options: dict[str, Any] | None = None, **config: Any
    ) -> Path:
        root = tmp_path / "kb"
        docs = root / "articles"
        docs.mkdir(parents=True, exist_ok=True)
        for rel, content in files.items():
            path = docs / rel
            path.parent.mkdir(parents=True, exist_ok=True)
            if isinstance(content, bytes):
                path.write_bytes(content)
            elif isinstance(content, str):
                path.write_text(content, encoding="utf-8")
            elif isinstance(content, tuple):
                path.write_text(article(*content), encoding="utf-8")
            else:
                path.write_text(article(content), encoding="utf-8")
        cfg = {**MINIMAL_CONFIG, **config}
        if kb_options is not None:
            cfg["plugins"] = [{"kb": {**MINIMAL_CONFIG["plugins"][0]["kb"], **kb_options}}]
        (root / "mkdocs.yml").write_text(yaml.safe_dump(cfg, sort_keys=False), encoding="utf-8")
        return root / "mkdocs.yml"

    return make


def load(config: Path) -> KnowledgeBase:
    """Scan the KB at `config` without raising."""
    return KnowledgeBase.scan(Settings.load(config))


@pytest.fixture(scope="session")
def sample_cache(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The sample KB's `.kb/cache` after a real cold `kb suggest`: models exported, articles embedded.

    Made once per test run, shared by the xdist workers (the first makes it, under a lock), so
    the tests that serve or report on the sample KB copy it instead of each exporting MiniLM and
    e5 and embedding the sample again (about two minutes each on 2 cores). The export itself is
    tested in test_onnx_backend.py and test_e5_onnx.py.
    """
    import shutil
    import subprocess
    import sys

    from kb.core import fs

    base = tmp_path_factory.getbasetemp()
    shared = (base.parent if os.environ.get("PYTEST_XDIST_WORKER") else base) / "kb-sample-cache"
    shared.mkdir(exist_ok=True)
    root = shared / "kb"
    with fs.locked(shared / "lock"):
        if not (shared / "done").is_file():
            shutil.rmtree(root, ignore_errors=True)
            root.mkdir()
            for name in ("articles", "search"):
                shutil.copytree(REPO / name, root / name)
            shutil.copy(REPO / "mkdocs.yml", root / "mkdocs.yml")
            done = subprocess.run(
                [sys.executable, "-m", "kb", "suggest", "I was charged twice", "--json"],
                cwd=root,
                env={**os.environ, "HF_HUB_OFFLINE": "1"},
                capture_output=True,
                text=True,
                timeout=1800,
                check=False,
            )
            assert done.returncode == 0, done.stderr
            (shared / "done").write_text("ok\n", encoding="utf-8")
    return root / ".kb" / "cache"


def copy_cache(cache: Path, root: Path) -> None:
    """Give the KB at `root` a copy of `cache` (no ticket store: each test answers its own)."""
    import shutil

    ignore = shutil.ignore_patterns("stale-tickets.sqlite*", "*.tmp")
    shutil.copytree(cache, root / ".kb" / "cache", ignore=ignore, dirs_exist_ok=True)
