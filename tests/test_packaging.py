"""The wheel is all a team needs: built from the sources, installed outside the repository."""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
import time
import tomllib
import urllib.request
import zipfile
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent


def test_every_package_is_listed_for_the_wheel():
    setuptools = tomllib.loads((REPO / "pyproject.toml").read_text())["tool"]["setuptools"]
    found = {".".join(p.parent.relative_to(REPO).parts) for p in (REPO / "kb").rglob("__init__.py")}
    assert set(setuptools["packages"]) == found | {"kb.theme"}
    assert setuptools["package-dir"] == {"kb.theme": "theme"}
    assert not (REPO / "kb/theme").exists()  # the theme stays at the repository root


def _run(cmd: list[str], cwd: Path, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    result = subprocess.run(cmd, cwd=cwd, env=env, capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, f"{cmd}\n{result.stdout}\n{result.stderr}"
    return result


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.mark.slow
def test_the_wheel_in_a_fresh_virtualenv_inits_checks_builds_searches_and_serves(tmp_path):
    src, dist, venv, work = (tmp_path / n for n in ("src", "dist", "venv", "work"))
    src.mkdir()
    skip = shutil.ignore_patterns("__pycache__", "*.egg-info")
    for rel in ("kb", "theme"):
        shutil.copytree(REPO / rel, src / rel, ignore=skip)
    for rel in ("pyproject.toml", "README.md"):
        shutil.copy2(REPO / rel, src / rel)
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV")}
    pip = [sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", "--no-build-isolation"]
    _run([*pip, str(src), "-w", str(dist)], tmp_path, env)
    shutil.rmtree(src)  # nothing below may read the sources
    (wheel,) = dist.glob("kb-*.whl")
    names = set(zipfile.ZipFile(wheel).namelist())
    theme = {
        f"kb/theme/{p.relative_to(REPO / 'theme').as_posix()}"
        for p in (REPO / "theme").rglob("*")
        if p.is_file()
    }
    assert theme <= names and "kb/theme/kb-home.html" in names
    assert "kb/theme/assets/vendor/mermaid.min.js" in names
    assert "kb/authoring/starter/sv/agents/sop-escalate-ticket.md" in names

    # the dependencies come from this machine's site-packages; kb itself only from the wheel
    _run([sys.executable, "-m", "venv", "--system-site-packages", str(venv)], tmp_path, env)
    python, kb = str(venv / "bin/python"), str(venv / "bin/kb")
    _run(
        [python, "-m", "pip", "install", "-q", "--no-deps", "--no-index", str(wheel)], tmp_path, env
    )
    work.mkdir()
    where = _run(
        [python, "-c", "import kb, kb.site.theme as t; print(kb.__file__); print(t.THEME_DIR)"],
        work,
        env,
    ).stdout.split()
    assert all(Path(p).is_relative_to(venv) for p in where), where

    _run([kb, "init", "help", "--lang", "en", "--lang", "nl", "--name", "Acme Help"], work, env)
    root = work / "help"
    _run([kb, "check", "--strict"], root, env)
    _run([kb, "build"], root, env)
    home = (root / "site/index.html").read_text()
    assert 'class="kb-hero' in home and "Acme Help" in home and "assets/kb.css" in home
    assert (root / "site/pagefind/pagefind-entry.json").is_file()
    assert (root / "site/assets/vendor/mermaid.min.js").is_file()
    found = json.loads(_run([kb, "search", "reset password", "--json"], root, env).stdout)
    assert found["hits"][0]["id"] == "reset-password"

    port = _free_port()
    serve = subprocess.Popen(
        [kb, "serve", "--port", str(port)],
        cwd=root,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        health = None
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline and serve.poll() is None:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/api/health", timeout=2) as r:
                    health = json.loads(r.read())
                break
            except OSError:
                time.sleep(0.5)
        assert health is not None, serve.stderr.read() if serve.poll() is not None else "no answer"
        assert health["status"] == "ok" and health["site"] is True
        assert health["articles"] == 6  # without the token: the public ones (not the two SOPs)
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=5) as r:
            assert 'class="kb-hero' in r.read().decode()
    finally:
        serve.terminate()
        serve.wait(timeout=30)
