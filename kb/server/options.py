"""How `kb serve` behaves: limits, origins, rates, the model, and how workers get the same options."""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from urllib.parse import urlsplit

from kb.server.ratelimit import Rate

TOKEN_ENV = "KB_API_TOKEN"  # the bearer token that opens internal articles
WORKER_ENV = "KB_SERVE_WORKER"  # how `kb serve --workers N` hands config and options to workers
# failed bearer tokens and sign-ins per client: 10, then one every 6 s (rates["auth"] replaces it)
AUTH_RATE = Rate(10 / 60, 10.0)


@dataclass
class ServerOptions:
    """How the server behaves; the defaults suit a help site on the open internet."""

    max_body: int = 64 * 1024
    cors_origins: Sequence[str] = ()
    rates: dict[str, Rate] = field(
        default_factory=lambda: {"api": Rate(10.0, 30.0), "feedback": Rate(1.0, 10.0)}
    )
    token: str | None = None  # None: read KB_API_TOKEN
    watch_interval: float = 1.0  # seconds between checks for a new build; 0: never
    serve_site: bool = True
    with_model: bool = True
    # load the model after the server answers: keyword suggestions (marked so) until it is in
    model_in_background: bool = False
    max_pending: int = 64  # suggest calls waiting or running; more are refused with 503 (busy)
    torch_threads: int = 1  # intra-op threads of the model; 0: torch's default (one per core)
    embed_batch: int = 8  # ticket texts per forward pass when concurrent suggest calls batch up
    rate_file: str | None = None  # rate-limit buckets shared by worker processes (--workers)
    header_timeout: float = 10.0  # seconds to send a request's line and headers; 0: no limit
    body_timeout: float = 30.0  # seconds to send a request's body once its headers are in; 0: none
    keep_alive: float = 5.0  # seconds an idle keep-alive connection stays open
    # the agents' server (kb serve --internal): site-internal/, sign-in required everywhere
    internal: bool = False
    users_file: str | None = None  # None: .kb/users
    session_hours: float = 12.0  # how long a sign-in lasts
    proxy: str = ""  # --proxy: addresses whose X-Forwarded-For/-Proto are trusted
    proxy_user: str = ""  # --proxy-user: the header naming the user a --proxy signed in
    drafter: str = ""  # "module:function" making the ticket assistant's drafts; "": none
    write_drafts: bool = False  # --write-drafts: drafts are written below the articles folder

    def to_json(self) -> str:
        """These options as JSON, for worker processes (kb serve --workers)."""
        data = dataclasses.asdict(self)
        data["rates"] = {k: [r.per_second, r.burst] for k, r in self.rates.items()}
        data["cors_origins"] = list(self.cors_origins)
        return json.dumps(data)

    @classmethod
    def from_json(cls, text: str) -> ServerOptions:
        """The options `to_json` wrote."""
        data = json.loads(text)
        data["rates"] = {k: Rate(float(v[0]), float(v[1])) for k, v in data["rates"].items()}
        return cls(**data)


def default_origins(site_url: str) -> list[str]:
    """The origin of the site's URL, the one browser origin allowed by default."""
    parts = urlsplit(site_url)
    return [f"{parts.scheme}://{parts.netloc}"] if parts.scheme and parts.netloc else []
