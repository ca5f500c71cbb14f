"""Rebuilds under load: a real `kb build` while a real server (uvicorn, loopback) answers requests."""

from __future__ import annotations

import threading
import time
from collections import Counter

import httpx
import pytest
import uvicorn
from test_server_helpers import free_port, write_kb

from kb.cli import main
from kb.server.app import create_app
from kb.server.options import ServerOptions
from kb.server.ratelimit import Rate
from kb.suggest.embedders import HashEmbedder

pytestmark = pytest.mark.slow


class Server:
    """A uvicorn server in a thread of this process."""

    def __init__(self, app) -> None:
        self.port = free_port()
        config = uvicorn.Config(app, host="127.0.0.1", port=self.port, log_level="warning")
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(target=self.server.run, daemon=True)

    def __enter__(self) -> str:
        self.thread.start()
        deadline = time.monotonic() + 20
        while not self.server.started:
            assert time.monotonic() < deadline, "server did not start"
            time.sleep(0.05)
        return f"http://127.0.0.1:{self.port}"

    def __exit__(self, *exc: object) -> None:
        self.server.should_exit = True
        self.thread.join(10)


def hammer(base: str, stop: threading.Event, seen: Counter, problems: list[str]) -> None:
    """Send search, suggest and page requests until told to stop; count the answers."""
    with httpx.Client(base_url=base, timeout=30) as client:
        while not stop.is_set():
            for method, path, kwargs in (
                ("GET", "/api/search", {"params": {"q": "parcel"}}),
                ("POST", "/api/suggest", {"json": {"text": "where is my parcel"}}),
                ("GET", "/en/orders/track-parcel/", {}),
                ("GET", "/pagefind/pagefind.js", {}),
            ):
                try:
                    r = client.request(method, path, **kwargs)
                except httpx.HTTPError as exc:
                    problems.append(f"{path}: {exc!r}")
                    continue
                seen[r.status_code] += 1
                if r.status_code != 200:
                    problems.append(f"{path}: {r.status_code} {r.text[:200]}")


def test_rebuilds_are_picked_up_without_dropping_requests(tmp_path):
    settings = write_kb(tmp_path)
    config = str(tmp_path / "mkdocs.yml")
    assert main(["build", "--config", config]) == 0
    options = ServerOptions(watch_interval=0.2, rates={"api": Rate(0, 0)})
    app = create_app(settings, options, embedder=HashEmbedder())
    holder = app.state.holder
    first = holder.current
    stop, seen, problems = threading.Event(), Counter(), []
    with Server(app) as base:
        workers = [
            threading.Thread(target=hammer, args=(base, stop, seen, problems)) for _ in range(4)
        ]
        for w in workers:
            w.start()
        time.sleep(0.5)
        lockers = tmp_path / "articles" / "en" / "orders" / "parcel-lockers.md"
        for n in range(2):
            lockers.write_text(
                f"---\nid: parcel-lockers\ntitle: Parcel lockers {n}\ncategory: orders\n---\n"
                "Pick up your parcel from a locker near you with the pickup code.\n",
                encoding="utf-8",
            )
            assert main(["build", "--config", config]) == 0
            wait_for(base, f"Parcel lockers {n}", timeout=20)
            page = httpx.get(f"{base}/en/orders/parcel-lockers/")
            assert page.status_code == 200 and f"Parcel lockers {n}" in page.text
        time.sleep(0.5)
        stop.set()
        for w in workers:
            w.join(30)
    assert problems == []
    assert seen[200] > 40 and set(seen) == {200}
    assert holder.swaps >= 2
    # the replaced snapshots were closed once idle: their site copies are gone
    assert first.retired and first.site is not None and not first.site.exists()
    assert not (settings.kb_dir / "serve").exists() or not any(
        (settings.kb_dir / "serve").iterdir()
    )


def wait_for(base: str, title: str, timeout: float) -> None:
    """Poll search until an article titled `title` is a hit."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        hits = httpx.get(f"{base}/api/search", params={"q": "locker pickup code"}).json()["hits"]
        if any(hit["title"] == title for hit in hits):
            return
        time.sleep(0.1)
    raise AssertionError(f"{title!r} never appeared in search")
