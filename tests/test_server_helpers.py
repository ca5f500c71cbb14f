"""Shared helpers of the server tests: a small KB with a real Whoosh index and a stand-in site."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import httpx
import yaml
from conftest import MINIMAL_CONFIG, article

from kb.core.collection import KnowledgeBase
from kb.core.settings import Settings
from kb.search.index import build_index

REPO = Path(__file__).resolve().parent.parent
TOKEN = "s3cret-token"
SECRET_WORD = "zebracode"  # only in the internal article: must never leave a public endpoint
INTERNAL_ID = "manual-refund-override"

ARTICLES: dict[str, tuple[dict[str, Any], str]] = {
    "en/account/reset-password.md": (
        {
            "id": "reset-password",
            "title": "Reset your password",
            "category": "account",
            "tags": ["password", "login"],
            "summary": "Request a reset link by e-mail and choose a new password.",
        },
        "## Steps\n\nOpen the login page, choose Forgot password and follow the reset link "
        "in the e-mail. The link works for one hour.\n",
    ),
    "nl/account/wachtwoord-herstellen.md": (
        {
            "id": "reset-password-nl",
            "title": "Je wachtwoord herstellen",
            "lang": "nl",
            "translation_of": "reset-password",
            "category": "account",
            "summary": "Vraag een herstellink aan en kies een nieuw wachtwoord.",
        },
        "## Stappen\n\nOpen de inlogpagina, kies Wachtwoord vergeten en volg de link in de "
        "e-mail.\n",
    ),
    "en/orders/track-parcel.md": (
        {
            "id": "track-parcel",
            "title": "Track your parcel",
            "category": "orders",
            "tags": ["delivery", "tracking"],
            "summary": "Follow your parcel with the tracking link from the shipping e-mail.",
        },
        "## Where is my parcel?\n\nUse the tracking link in the shipping confirmation. "
        "Parcels arrive within two working days; a refund is possible for lost parcels.\n",
    ),
    "en/agents/manual-refund-override.md": (
        {
            "id": INTERNAL_ID,
            "title": "Manual refund override",
            "audience": "internal",
            "category": "agents",
            "summary": "Agents only: override a refund with the zebracode approval.",
        },
        "## Procedure\n\n1. Check the order and the refund amount.\n2. Enter the zebracode "
        "approval for refunds of lost parcels.\n",
    ),
    "en/orders/gift-wrap.md": (
        {"id": "gift-wrap", "title": "Gift wrapping", "status": "draft", "category": "orders"},
        "Gift wrapping with a zebracode ribbon is coming soon.\n",
    ),
}


def write_kb(root: Path, articles: dict[str, tuple[dict[str, Any], str]] | None = None) -> Settings:
    """Write the small KB below `root` and return its settings (nothing built yet)."""
    docs = root / "articles"
    for rel, (meta, body) in (articles or ARTICLES).items():
        path = docs / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(article(meta, body), encoding="utf-8")
    config = {
        **MINIMAL_CONFIG,
        "site_url": "http://127.0.0.1:8000/",
        "plugins": [
            {
                "kb": {
                    **MINIMAL_CONFIG["plugins"][0]["kb"],
                    "categories": ["account", "orders", "agents"],
                    "feedback_url": "/api/feedback",
                    "model": "hash",
                }
            }
        ],
    }
    (root / "mkdocs.yml").write_text(yaml.safe_dump(config, sort_keys=False), encoding="utf-8")
    return Settings.load(root / "mkdocs.yml")


def fake_site(settings: Settings, title: str = "Help") -> None:
    """Stand in for `kb build`'s site: a folder swapped in whole, with the build stamp last."""
    tmp = settings.site_dir.with_name(".site.new")
    (tmp / "en" / "account" / "reset-password").mkdir(parents=True)
    (tmp / "index.html").write_text(f"<!doctype html><title>{title}</title>", encoding="utf-8")
    page = tmp / "en" / "account" / "reset-password" / "index.html"
    page.write_text(f"<h1>{title}: Reset your password</h1>", encoding="utf-8")
    (tmp / ".kb-build").write_text(title, encoding="utf-8")
    if settings.site_dir.exists():
        old = settings.site_dir.with_name(".site.old")
        settings.site_dir.rename(old)
        tmp.rename(settings.site_dir)
        import shutil

        shutil.rmtree(old)
    else:
        tmp.rename(settings.site_dir)


def build(settings: Settings, site_title: str | None = "Help") -> None:
    """Index the KB (the real Whoosh index) and write the stand-in site."""
    build_index(KnowledgeBase.load(settings), settings)
    if site_title is not None:
        fake_site(settings, site_title)


def free_port() -> int:
    """A free TCP port on 127.0.0.1."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def start_serve(config: Path, port: int, *args: str, env: dict[str, str] | None = None) -> Any:
    """Start `kb serve` as a process and wait until it answers /api/health."""
    proc = subprocess.Popen(
        [sys.executable, "-m", "kb", "serve", "--config", str(config), "--port", str(port), *args],
        env={**os.environ, **(env or {})},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    deadline = time.monotonic() + 600  # a fresh clone embeds the sample KB with both models first
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise AssertionError(f"kb serve exited {proc.returncode}: {proc.stderr.read()}")
        try:
            health = httpx.get(f"http://127.0.0.1:{port}/api/health", timeout=1)
            # kb serve answers at once; the tests compare answers made with the model
            if health.status_code == 200 and not health.json().get("model_loading"):
                return proc
        except httpx.HTTPError:
            time.sleep(0.2)
    proc.kill()
    raise AssertionError("kb serve did not start within 600 s")


def server_app(settings: Settings, **options: Any) -> Any:
    """The API app on `settings` with the test token, no file watching and the fast embedder."""
    from kb.server.app import create_app
    from kb.server.options import ServerOptions
    from kb.suggest.embedders import HashEmbedder

    opts = ServerOptions(token=TOKEN, watch_interval=0)
    for key, value in options.items():
        setattr(opts, key, dict(value) if key == "rates" else value)
    return create_app(settings, opts, embedder=HashEmbedder())
