"""`kb serve --workers N`: server processes on one socket, sharing rate limits, each loading its own build."""

from __future__ import annotations

import json
import os
from typing import TYPE_CHECKING, Any

from kb.core import fs
from kb.server.options import WORKER_ENV, ServerOptions
from kb.server.ratelimit import SharedBuckets

if TYPE_CHECKING:
    from kb.core.settings import Settings


def run_workers(
    settings: Settings,
    options: ServerOptions,
    config: str | None,
    workers: int,
    common: dict[str, Any],
) -> None:
    """Run `workers` processes on one socket until stopped; each builds its app by worker_app()."""
    from kb.server import serving

    layout = settings.layout
    for stale in layout.serve.glob("ratelimit-*.bin"):  # left by a server that was killed
        pid = stale.stem.rpartition("-")[2]
        if pid.isdigit() and not fs.pid_alive(int(pid)):
            stale.unlink(missing_ok=True)
    rate_file = layout.rate_file(os.getpid())
    SharedBuckets.create(rate_file).close()
    options.rate_file = str(rate_file)
    path = os.path.abspath(config) if config else None
    os.environ[WORKER_ENV] = json.dumps({"config": path, "options": options.to_json()})
    # the workers share one listening socket; libuv (uvloop) otherwise lets whichever wakes first
    # accept every waiting connection, so one worker can end up with most keep-alive clients
    os.environ.setdefault("UV_TCP_SINGLE_ACCEPT", "1")
    try:
        serving.run("kb.server.app:worker_app", options, factory=True, workers=workers, **common)
    finally:
        rate_file.unlink(missing_ok=True)
