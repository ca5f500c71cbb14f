"""Load on the HTTP API: start `kb serve` on loopback, send a bounded load to search and suggest.

Prints throughput, p50/p95/p99 latency and the error count per endpoint. Targets on a 2-core
machine: zero errors, search p95 < 100 ms, suggest p95 < 250 ms. Rate limits are switched off
for the run (one client sends everything); the client shares the machine with the server.
Search queries are 15 popular ones plus the subjects of examples/tickets.csv, so they repeat
and the server's result cache answers many; --distinct makes every query unique.

It also prints the server's memory (resident set of each process) and the CPU seconds the
client itself used, to tell whether the client was a bottleneck.

Usage: python bench/api.py [--requests 2000] [--suggest-requests 300] [--concurrency 16]
       [--workers N] [--config mkdocs.yml] [--no-model]
"""

from __future__ import annotations

import argparse
import asyncio
import csv
import os
import socket
import statistics
import subprocess
import sys
import time
from pathlib import Path

import aiohttp
import httpx

REPO = Path(__file__).resolve().parent.parent
HOST = "127.0.0.1"  # loopback only
TARGETS = {"search": 100.0, "suggest": 250.0}
QUERIES = [
    "reset password",
    "where is my parcel",
    "refund",
    "invoice download",
    "two-factor login",
    "return label",
    "gift card balance",
    "wachtwoord vergeten",
    "retour aanmelden",
    "leveranstid",
    "change delivery address",
    "cancel order",
    "pay later",
    "parcel locker code",
    "account locked",
]


def tickets(limit: int = 400) -> list[dict[str, str]]:
    """Ticket texts from examples/tickets.csv (or a few fixed ones)."""
    path = REPO / "examples" / "tickets.csv"
    if not path.is_file():
        return [{"text": q + ", please help me with this", "lang": "en"} for q in QUERIES]
    with path.open(encoding="utf-8", newline="") as fh:
        rows = list(csv.DictReader(fh))[:limit]
    return [
        {"text": f"{r['subject']}\n{r['body']}", "lang": r.get("language") or "en"} for r in rows
    ]


def free_port() -> int:
    """A free TCP port on loopback."""
    with socket.socket() as s:
        s.bind((HOST, 0))
        return int(s.getsockname()[1])


def start_server(
    config: str, port: int, no_model: bool, workers: int = 1
) -> subprocess.Popen[bytes]:
    """Start kb serve without rate limits and wait (up to 5 minutes) until it is healthy."""
    cmd = [sys.executable, "-m", "kb", "serve", "--config", config, "--host", HOST]
    cmd += ["--port", str(port), "--rate-limit", "off"]
    if workers != 1:
        cmd += ["--workers", str(workers)]
    if no_model:
        cmd.append("--no-model")
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1"}
    proc = subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    deadline = time.monotonic() + 300
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            err = proc.stderr.read().decode() if proc.stderr else ""
            sys.exit(f"bench/api.py: kb serve exited with {proc.returncode}:\n{err}")
        try:
            health = httpx.get(f"http://{HOST}:{port}/api/health", timeout=2).json()
            if health["status"] != "ok":
                proc.terminate()
                sys.exit(f"bench/api.py: the server is degraded: {health['problems']} (kb build?)")
            return proc
        except httpx.HTTPError:
            time.sleep(0.3)
    proc.kill()
    sys.exit("bench/api.py: kb serve did not become healthy within 5 minutes")


async def run_load(
    base: str, endpoint: str, n: int, concurrency: int, budget: float, distinct: bool = False
) -> tuple[list[float], int, float, list[str]]:
    """Send n requests with `concurrency` in flight; return latencies (ms), errors, seconds."""
    texts = tickets()
    # popular queries plus every ticket subject: a few hundred distinct queries, repeating
    queries = QUERIES + [t["text"].split("\n")[0] for t in texts]
    latencies: list[float] = []
    errors: list[str] = []
    counter = iter(range(n))
    # aiohttp rather than httpx: it needs about a third of the CPU per request, and the client
    # shares the two cores with the server
    connector = aiohttp.TCPConnector(limit=concurrency)
    timeout = aiohttp.ClientTimeout(total=30)
    async with aiohttp.ClientSession(base, connector=connector, timeout=timeout) as client:

        async def one(i: int) -> None:
            if endpoint == "search":
                q = queries[i % len(queries)] + (f" q{i}" if distinct else "")
                req = client.get("/api/search", params={"q": q})
            else:
                req = client.post("/api/suggest", json=texts[i % len(texts)])
            start = time.perf_counter()
            try:
                async with req as r:
                    body = await r.read()
                    if r.status != 200:
                        errors.append(f"{r.status} {body[:120].decode(errors='replace')}")
            except (aiohttp.ClientError, TimeoutError) as exc:
                errors.append(repr(exc))
            latencies.append((time.perf_counter() - start) * 1000)

        async def worker() -> None:
            for i in counter:
                await one(i)

        started = time.perf_counter()
        try:
            await asyncio.wait_for(asyncio.gather(*(worker() for _ in range(concurrency))), budget)
        except TimeoutError:
            errors.append(f"stopped after the budget of {budget:.0f} s ({len(latencies)} done)")
        elapsed = time.perf_counter() - started
    return latencies, len(errors), elapsed, errors[-5:]


def memory(pid: int) -> list[tuple[int, float]]:
    """(pid, resident MB) of a process and its children (Linux /proc; [] elsewhere)."""
    out = []
    pids = [pid]
    try:
        children = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
        pids += [int(c) for c in children]
    except OSError:
        return []
    for p in pids:
        try:
            status = Path(f"/proc/{p}/status").read_text()
        except OSError:
            continue
        for line in status.splitlines():
            if line.startswith("VmRSS:"):
                out.append((p, int(line.split()[1]) / 1024))
    return out


def cpu_seconds(pid: int) -> float:
    """User + system CPU seconds of a process and its children so far (Linux /proc; 0 elsewhere)."""
    total = 0.0
    tick = os.sysconf("SC_CLK_TCK")
    pids = [pid]
    try:
        pids += [int(c) for c in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]
    except OSError:
        return 0.0
    for p in pids:
        try:
            fields = Path(f"/proc/{p}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += (int(fields[11]) + int(fields[12])) / tick  # utime, stime
    return total


def pct(values: list[float], p: float) -> float:
    """The p-th percentile (nearest rank)."""
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(p / 100 * len(ordered)) - 1))]


def main() -> int:
    """Run the benchmark and print the figures."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--requests", type=int, default=2000, help="search requests")
    parser.add_argument("--suggest-requests", type=int, default=300, help="suggest requests")
    parser.add_argument("--workers", type=int, default=1, help="kb serve --workers")
    parser.add_argument("--concurrency", type=int, default=16)
    parser.add_argument("--config", default=str(REPO / "mkdocs.yml"))
    parser.add_argument("--endpoints", default="search,suggest")
    parser.add_argument("--no-model", action="store_true", help="keyword-only suggestions")
    parser.add_argument("--budget", type=float, default=600, help="seconds allowed per endpoint")
    parser.add_argument(
        "--distinct", action="store_true", help="make every search query unique (no cache hits)"
    )
    args = parser.parse_args()
    config = Path(args.config).resolve()
    from kb.core.settings import Settings

    settings = Settings.load(config)
    if not (settings.index_dir / "CURRENT").is_file():
        print("bench/api.py: no index yet, running kb build", file=sys.stderr)
        subprocess.run([sys.executable, "-m", "kb", "build", "--config", str(config)], check=True)
    port = free_port()
    t0 = time.perf_counter()
    proc = start_server(str(config), port, args.no_model, args.workers)
    base = f"http://{HOST}:{port}"
    model = httpx.get(f"{base}/api/health", timeout=10).json().get("model")
    print(
        f"server ready in {time.perf_counter() - t0:.1f} s "
        f"(model: {model or 'none, keywords only'}, workers: {args.workers})"
    )
    failed = False
    try:
        for endpoint in args.endpoints.split(","):
            asyncio.run(run_load(base, endpoint, 32, 4, args.budget))  # warm up
            n = args.suggest_requests if endpoint == "suggest" else args.requests
            cpu = time.process_time()
            server_cpu = cpu_seconds(proc.pid)
            lat, errs, secs, samples = asyncio.run(
                run_load(base, endpoint, n, args.concurrency, args.budget, args.distinct)
            )
            cpu = time.process_time() - cpu
            server_cpu = cpu_seconds(proc.pid) - server_cpu
            p95 = pct(lat, 95)
            print(
                f"{endpoint:8} {len(lat)} requests, concurrency {args.concurrency}: "
                f"{len(lat) / secs:7.1f} req/s  p50 {pct(lat, 50):6.1f} ms  p95 {p95:6.1f} ms  "
                f"p99 {pct(lat, 99):6.1f} ms  max {max(lat):6.1f} ms  mean "
                f"{statistics.mean(lat):6.1f} ms  errors {errs}"
            )
            print(
                f"         CPU: server {server_cpu:.1f} s ({server_cpu / max(len(lat), 1) * 1000:.1f}"
                f" ms per request), client {cpu:.1f} s, in {secs:.1f} s"
            )
            for sample in samples:
                print(f"         error: {sample}")
            target = TARGETS.get(endpoint)
            ok = errs == 0 and (target is None or p95 < target)
            failed |= not ok
            print(f"         target: 0 errors, p95 < {target:.0f} ms: {'met' if ok else 'MISSED'}")
        rss = memory(proc.pid)
        if rss:
            shown = ", ".join(f"{mb:.0f}" for _, mb in rss)
            print(f"server memory (RSS MB, supervisor first when workers > 1): {shown}")
    finally:
        proc.terminate()
        try:
            proc.wait(20)
        except subprocess.TimeoutExpired:  # still busy with abandoned requests
            proc.kill()
            proc.wait(10)
    load = os.getloadavg()
    print(f"machine: {os.cpu_count()} cores, load average {load[0]:.1f} / {load[1]:.1f}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
