#!/usr/bin/env python3
"""Benchmark `kb stale` on a ticket history: cold, warm, +1% new tickets, after one article edit.

    python bench/stale.py                                  # 10,000 tickets, 1,000 articles, real model
    python bench/stale.py --tickets 10000 100000 --model hash
    python bench/stale.py --big --model hash               # also 1,000,000 tickets
    python bench/stale.py --before /tmp/kb_before          # and the same runs on another copy of kb

`--before DIR` runs every step a second time with PYTHONPATH=DIR (e.g. the code as of HEAD:
`git archive HEAD | tar -x -C /tmp/kb_before`) and prints both with the ratio new / before.
Each run is a separate process, so time and peak memory (max RSS) are per run; every size and
code gets its own copy of the KB, so no run reads another's cache.
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import json
import os
import random
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import yaml

TOPICS = [
    ("password", "reset", "login", "link", "email"),
    ("parcel", "tracking", "carrier", "delivery", "window"),
    ("refund", "return", "label", "days", "bank"),
    ("invoice", "download", "pdf", "vat", "company"),
    ("voucher", "promo", "code", "discount", "checkout"),
    ("membership", "plus", "cancel", "renewal", "fee"),
    ("sofa", "assembly", "screws", "instructions", "parts"),
    ("lamp", "bulb", "wiring", "socket", "switch"),
    ("gift", "card", "balance", "expiry", "wallet"),
    ("address", "change", "courier", "locker", "pickup"),
]
FILLER = ["please", "help", "thanks", "order", "account", "question", "today", "again", "soon"]
TODAY = dt.date(2026, 11, 20)
STEPS = ("cold", "warm", "+1% tickets", "1 article edited")


def make_kb(root: Path, articles: int, model: str, seed: int = 1) -> Path:
    """Write a KB of `articles` articles; return the mkdocs.yml path."""
    rng = random.Random(seed)
    docs = root / "articles" / "en"
    docs.mkdir(parents=True)
    for i in range(articles):
        words = TOPICS[i % len(TOPICS)]
        extra = [f"item{i}", f"model{i % 97}", f"part{i % 53}"]
        body = "\n\n".join(
            f"## Step {s}\n\n" + " ".join(rng.choice(words + tuple(extra)) for _ in range(60)) + "."
            for s in range(1, 4)
        )
        meta = {
            "id": f"a{i}",
            "title": f"{words[0].capitalize()} {words[1]} {extra[0]}",
            "owner": "bench",
            "reviewed": str(dt.date(2026, 1, 1) + dt.timedelta(days=i % 300)),
            "review_every": "1y",
            "summary": f"About {words[0]} and {words[2]} for {extra[0]}.",
            "products": [{"name": "Shop app", "versions": ["4.8", "4.9"]}],
        }
        (docs / f"a{i}.md").write_text(
            "---\n" + yaml.safe_dump(meta, sort_keys=False) + "---\n" + body + "\n",
            encoding="utf-8",
        )
    config = {
        "site_name": "Bench",
        "docs_dir": "articles",
        "plugins": [{"kb": {"languages": ["en"], "model": model}}],
    }
    (root / "mkdocs.yml").write_text(yaml.safe_dump(config), encoding="utf-8")
    return root / "mkdocs.yml"


def write_tickets(path: Path, count: int, start: int = 0, seed: int = 2) -> None:
    """Append `count` tickets numbered from `start` (a new file when start is 0)."""
    rng = random.Random(seed + start)
    with path.open("a" if start else "w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh)
        if not start:
            w.writerow(["id", "created", "subject", "body", "language"])
        for n in range(start, start + count):
            words = rng.choice(TOPICS) if rng.random() > 0.1 else ("wrap", "ribbon", "present")
            text = " ".join(rng.choice(words + tuple(FILLER)) for _ in range(25))
            if rng.random() < 0.05:
                text += " in the Shop app 5.0"
            day = dt.date(2025, 12, 1) + dt.timedelta(days=rng.randrange(350))
            w.writerow([f"T-{n}", f"{day}T09:00:00Z", " ".join(words[:2]), text, "en"])


def one_run(config: str, tickets: str) -> None:
    """Child process: one `kb stale` analysis; prints seconds and peak RSS as JSON."""
    from kb.core.collection import KnowledgeBase
    from kb.core.settings import Settings
    from kb.stale.run import analyse

    started = time.perf_counter()
    settings = Settings.load(config)
    kb = KnowledgeBase.load(settings)
    res = analyse(settings, kb, tickets_file=tickets, today=TODAY)
    seconds = time.perf_counter() - started
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    out = {"seconds": round(seconds, 1), "peak_mb": round(peak_mb), "findings": len(res.findings)}
    out |= {k: res.stats.get(k) for k in ("tickets", "cached", "answered", "embedded")}
    print(json.dumps(out | {"gaps": len(res.gaps)}))


def run_child(config: Path, tickets: Path, code: str | None) -> dict[str, object]:
    """One run in its own process, on the kb at `code` (None: this checkout)."""
    env = dict(os.environ)
    if code:
        env["PYTHONPATH"] = code
    done = subprocess.run(
        [sys.executable, __file__, "--child", str(config), str(tickets)],
        capture_output=True,
        text=True,
        check=False,
        env=env,
        cwd=code or None,
    )
    if done.returncode != 0:
        raise SystemExit(f"child failed ({code or 'new'}):\n{done.stderr[-3000:]}")
    for line in done.stderr.splitlines():  # a cache that could not be used is worth knowing
        if "store" in line or "cache" in line:
            print(f"    ({code or 'new'}) {line}", flush=True)
    return dict(json.loads(done.stdout.strip().splitlines()[-1]))


def steps(
    base: Path, work: Path, size: int, code: str | None, count: int = 4
) -> list[dict[str, object]]:
    """The first `count` of the four runs on a fresh copy of the KB at `base`."""
    shutil.rmtree(work, ignore_errors=True)
    shutil.copytree(base, work, ignore=shutil.ignore_patterns(".kb"))
    config, tickets = work / "mkdocs.yml", work / "tickets.csv"
    out = []
    for i in range(count):
        if i == 2:
            write_tickets(tickets, max(1, size // 100), start=size)
        if i == 3:
            page = work / "articles" / "en" / "a0.md"
            page.write_text(page.read_text(encoding="utf-8") + "\nOne more line.\n")
        out.append(run_child(config, tickets, code))
    return out


def main() -> int:
    """Generate the data, run every step on each code, print the table."""
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("--tickets", type=int, nargs="+", default=[10_000])
    p.add_argument("--big", action="store_true", help="also 1,000,000 tickets")
    p.add_argument("--articles", type=int, default=1_000)
    p.add_argument("--model", default="all-MiniLM-L6-v2", help="kb.model setting (hash: no model)")
    p.add_argument("--before", metavar="DIR", help="a copy of kb to compare with (PYTHONPATH)")
    p.add_argument(
        "--steps",
        type=int,
        default=4,
        choices=(1, 2, 3, 4),
        help="runs of: " + ", ".join(STEPS).replace("%", "%%"),
    )
    p.add_argument("--child", nargs=2, help=argparse.SUPPRESS)
    args = p.parse_args()
    if args.child:
        one_run(*args.child)
        return 0
    sizes = [*args.tickets, *([1_000_000] if args.big else [])]
    codes = [("new", None), *([("before", args.before)] if args.before else [])]
    rows = []
    with tempfile.TemporaryDirectory(prefix="kb-bench-stale-") as tmp:
        for size in sizes:
            base = Path(tmp) / f"kb-{size}"
            t = time.perf_counter()
            make_kb(base, args.articles, args.model)
            write_tickets(base / "tickets.csv", size)
            print(f"generated {args.articles} articles, {size:,} tickets in "
                  f"{time.perf_counter() - t:.1f}s (model {args.model})", flush=True)  # fmt: skip
            found = {}
            for name, code in codes:
                work = Path(tmp) / f"run-{size}-{name}"
                found[name] = steps(base, work, size, code, args.steps)
                for step, r in zip(STEPS[: args.steps], found[name], strict=True):
                    print(f"  {name:6} {step:17} {json.dumps(r)}", flush=True)
            for i, step in enumerate(STEPS[: args.steps]):
                rows.append((size, step, found["new"][i], found.get("before", [None] * 4)[i]))
    print()
    print(
        "| tickets | run | before s | before MB | new s | new MB | time new/before | MB new/before |"
    )
    print("| ---: | --- | ---: | ---: | ---: | ---: | ---: | ---: |")
    for size, step, new, old in rows:
        o_s, o_mb = (old["seconds"], old["peak_mb"]) if old else ("-", "-")
        ratio = (
            f"{float(new['seconds']) / max(float(old['seconds']), 0.1):.2f} | "  # type: ignore[arg-type]
            f"{float(new['peak_mb']) / float(old['peak_mb']):.2f}"  # type: ignore[arg-type]
            if old
            else "- | -"
        )
        print(
            f"| {size:,} | {step} | {o_s} | {o_mb} | {new['seconds']} | {new['peak_mb']} | {ratio} |"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
