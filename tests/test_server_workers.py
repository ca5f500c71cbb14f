"""Throughput features of kb serve: batched embeddings, the search answer cache, shared rate limits
across worker processes, and `kb serve --workers N` end to end."""

from __future__ import annotations

import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import numpy as np
import pytest
from test_server_helpers import ARTICLES, build, free_port, start_serve, write_kb

from kb.search.searcher import open_searcher
from kb.server.batching import BatchingEmbedder
from kb.server.options import ServerOptions
from kb.server.ratelimit import Rate, RateLimiter, SharedBuckets
from kb.server.snapshot import Snapshot, render_json, search_key
from kb.suggest.embedders import HashEmbedder

TEXTS = [
    f"ticket {i}: my parcel {i} never arrived and the refund {i % 7} is late" for i in range(40)
]


# -- batching --------------------------------------------------------------------------------------
class CountingEmbedder(HashEmbedder):
    """A HashEmbedder that records the size of every encode call."""

    def __init__(self) -> None:
        super().__init__()
        self.calls: list[int] = []
        self.gate = threading.Event()

    def encode(self, texts):  # type: ignore[no-untyped-def]
        """Wait for the gate (so requests pile up), then embed."""
        self.gate.wait(5)
        self.calls.append(len(texts))
        return super().encode(texts)


def test_batching_returns_the_vectors_of_single_encodes() -> None:
    inner = CountingEmbedder()
    batching = BatchingEmbedder(inner)
    try:
        with ThreadPoolExecutor(16) as pool:
            futures = [pool.submit(batching.encode, [t]) for t in TEXTS]
            time.sleep(0.2)  # every request is queued behind the first model call
            inner.gate.set()
            batched = [f.result()[0] for f in futures]
        single = HashEmbedder()
        for text, vec in zip(TEXTS, batched, strict=True):
            assert np.array_equal(vec, single.encode([text])[0])
        assert sum(inner.calls) == len(TEXTS)
        assert len(inner.calls) < len(TEXTS) // 2  # the waiting texts shared model calls
        assert max(inner.calls) <= batching.max_batch
    finally:
        batching.close()


def test_batching_passes_a_model_error_to_every_waiting_caller() -> None:
    class Broken(HashEmbedder):
        def encode(self, texts):  # type: ignore[no-untyped-def]
            raise RuntimeError("model broke")

    batching = BatchingEmbedder(Broken())
    try:
        with pytest.raises(RuntimeError, match="model broke"):
            batching.encode(["a text"])
    finally:
        batching.close()


@pytest.mark.slow
@pytest.mark.model
def test_batched_model_vectors_match_single_encodes() -> None:
    from kb.suggest.embedders import SentenceTransformerEmbedder

    model = SentenceTransformerEmbedder(batch_size=8)
    texts = [*TEXTS[:12], "short", "a much longer ticket text " * 20]
    together = model.encode(texts)
    alone = np.stack([model.encode([t])[0] for t in texts])
    assert together.shape == alone.shape
    assert float(np.abs(together - alone).max()) < 1e-4  # padding changes only rounding


# -- the search answer cache -----------------------------------------------------------------------
def test_search_json_is_the_searchers_answer_and_a_hit_never_waits(tmp_path: Path) -> None:
    settings = write_kb(tmp_path)
    build(settings)
    searcher = open_searcher(settings)
    snap = Snapshot(marker=("x",), searcher=searcher)
    try:
        body = snap.search_json("parcel", lang=None, limit=5, internal=False)
        expected = searcher.search("parcel", lang=None, limit=5, internal=False).to_dict()
        assert body == render_json(expected)
        key = search_key("parcel", limit=5, internal=False, lang=None)  # order does not matter
        with snap.search_lock:  # a slow search holds the lock: cached answers still come back
            assert snap.cached_json(key) == body
            assert snap.search_json("parcel", lang=None, limit=5, internal=False) == body
        assert snap.cached_json(search_key("parcel", lang=None, limit=6, internal=False)) is None
    finally:
        snap.close()


# -- rate limits shared by workers -----------------------------------------------------------------
def test_shared_buckets_limit_a_client_across_limiters(tmp_path: Path) -> None:
    path = tmp_path / "rates.bin"
    SharedBuckets.create(path).close()
    now = [100.0]
    rates = {"api": Rate(1.0, 3.0)}
    workers = [
        RateLimiter(rates, clock=lambda: now[0], shared=SharedBuckets(path)) for _ in range(2)
    ]
    answers = [workers[i % 2].check("api", "10.0.0.1") for i in range(6)]
    assert answers[:3] == [0.0, 0.0, 0.0]  # the burst of 3, whichever worker answered
    assert all(a > 0 for a in answers[3:])
    assert workers[0].check("api", "10.0.0.2") == 0.0  # another client has its own bucket
    now[0] += 1.0  # one token flows back
    assert workers[1].check("api", "10.0.0.1") == 0.0
    assert workers[0].check("api", "10.0.0.1") > 0


def test_shared_buckets_hold_under_concurrent_handles_and_threads(tmp_path: Path) -> None:
    path = tmp_path / "rates.bin"
    SharedBuckets.create(path).close()
    rates = {"api": Rate(0.001, 50.0)}  # 50 allowed, practically no refill during the test
    limiters = [RateLimiter(rates, shared=SharedBuckets(path)) for _ in range(4)]

    def hit(i: int) -> bool:
        return limiters[i % 4].check("api", "client") == 0.0

    with ThreadPoolExecutor(8) as pool:
        allowed = sum(pool.map(hit, range(400)))
    assert allowed == 50


def test_shared_buckets_survive_more_clients_than_slots(tmp_path: Path) -> None:
    shared = SharedBuckets.create(tmp_path / "rates.bin", slots=16)
    limiter = RateLimiter({"api": Rate(1.0, 2.0)}, clock=lambda: 5.0, shared=shared)
    assert all(limiter.check("api", f"client-{i}") == 0.0 for i in range(100))
    assert limiter.check("api", "client-99") == 0.0  # its slot is still its own
    assert limiter.check("api", "client-99") > 0


def test_server_options_round_trip_through_json() -> None:
    options = ServerOptions(
        max_body=1024,
        cors_origins=("https://help.example.com",),
        rates={"api": Rate(2.0, 6.0), "feedback": Rate(0.0, 0.0)},
        with_model=False,
        rate_file="/tmp/x.bin",
    )
    back = ServerOptions.from_json(options.to_json())
    assert back.rates == options.rates
    assert list(back.cors_origins) == ["https://help.example.com"]
    assert (back.max_body, back.with_model, back.rate_file) == (1024, False, "/tmp/x.bin")


# -- kb serve --workers ----------------------------------------------------------------------------
@pytest.mark.slow
def test_serve_workers_serve_share_rate_limits_and_pick_up_rebuilds(tmp_path: Path) -> None:
    settings = write_kb(tmp_path)
    build(settings)
    port = free_port()
    config = tmp_path / "mkdocs.yml"
    proc = start_serve(config, port, "--workers", "2", "--rate-limit", "2/s", "--no-model")
    base = f"http://127.0.0.1:{port}"
    try:
        children = Path(f"/proc/{proc.pid}/task/{proc.pid}/children")
        if children.exists():
            assert len(children.read_text().split()) >= 2  # two worker processes
        assert list((settings.kb_dir / "serve").glob("ratelimit-*.bin"))

        # a fresh connection per request, so both workers answer; the burst is 6 (3 s of 2/s)
        started = time.monotonic()
        codes = []
        for _ in range(24):
            with httpx.Client(base_url=base, timeout=30) as client:
                codes.append(client.get("/api/search", params={"q": "parcel"}).status_code)
        refill = 2 * (time.monotonic() - started)
        assert set(codes) <= {200, 429}
        assert 6 <= codes.count(200) <= 6 + refill + 1, codes

        # a rebuild is picked up by every worker
        articles = {**ARTICLES}
        articles["en/orders/lost-parcel.md"] = (
            {"id": "lost-parcel", "title": "Lost parcel claim", "category": "orders"},
            "## Claim\n\nReport a lost parcel within thirty days for a quasarbox refund.\n",
        )
        write_kb(tmp_path, articles)
        build(settings)
        deadline = time.monotonic() + 60
        fresh = 0
        while fresh < 12:
            assert time.monotonic() < deadline, "the workers did not pick up the rebuild"
            time.sleep(0.5)  # stay under the rate limit
            with httpx.Client(base_url=base, timeout=30) as client:
                r = client.get("/api/search", params={"q": "quasarbox"})
            if r.status_code == 200:
                found = [h["id"] for h in r.json()["hits"]]
                fresh = fresh + 1 if found == ["lost-parcel"] else 0
    finally:
        proc.terminate()
        proc.wait(30)
    assert not list((settings.kb_dir / "serve").glob("ratelimit-*.bin"))  # removed at exit
