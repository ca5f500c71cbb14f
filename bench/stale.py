#!/usr/bin/env python3
"""Benchmark `kb stale`: N tickets against M generated articles, cold (nothing cached) and warm.

    python bench/stale.py                      # 10,000 tickets, 1,000 articles, the real model
    python bench/stale.py --tickets 2000 --articles 300 --model hash

Each run is a separate process, so peak memory (max RSS) is per run. Prints both times.
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import json
import random
import resource
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


def make_kb(root: Path, articles: int, tickets: int, model: str, seed: int = 1) -> Path:
    """Write a KB of `articles` articles and a ticket file; return the mkdocs.yml path."""
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
    with (root / "tickets.csv").open("w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh)
        w.writerow(["id", "created", "subject", "body", "language"])
        for n in range(tickets):
            words = rng.choice(TOPICS) if rng.random() > 0.1 else ("wrap", "ribbon", "present")
            text = " ".join(rng.choice(words + tuple(FILLER)) for _ in range(25))
            if rng.random() < 0.05:
                text += " in the Shop app 5.0"
            day = dt.date(2025, 12, 1) + dt.timedelta(days=rng.randrange(350))
            w.writerow([f"T-{n}", f"{day}T09:00:00Z", " ".join(words[:2]), text, "en"])
    return root / "mkdocs.yml"


def one_run(config: str, tickets: str) -> None:
    """Child process: one `kb stale` analysis; prints seconds and peak RSS as JSON."""
    from kb.core.collection import KnowledgeBase
    from kb.core.settings import Settings
    from kb.stale.run import analyse

    started = time.perf_counter()
    settings = Settings.load(config)
    kb = KnowledgeBase.load(settings)
    res = analyse(settings, kb, tickets_file=tickets, today=dt.date(2026, 11, 20))
    seconds = time.perf_counter() - started
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(
        json.dumps(
            {
                "seconds": round(seconds, 1),
                "peak_mb": round(peak_mb),
                "findings": len(res.findings),
                "gaps": len(res.gaps),
                "cached": res.stats.get("cached"),
                "tickets": res.stats.get("tickets"),
            }
        )
    )


def main() -> int:
    """Generate the data, run cold then warm, print the figures."""
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("--tickets", type=int, default=10_000)
    p.add_argument("--articles", type=int, default=1_000)
    p.add_argument("--model", default="all-MiniLM-L6-v2", help="kb.model setting (hash: no model)")
    p.add_argument("--child", nargs=2, help=argparse.SUPPRESS)
    args = p.parse_args()
    if args.child:
        one_run(*args.child)
        return 0
    with tempfile.TemporaryDirectory(prefix="kb-bench-stale-") as tmp:
        root = Path(tmp)
        t = time.perf_counter()
        config = make_kb(root, args.articles, args.tickets, args.model)
        print(
            f"generated {args.articles} articles, {args.tickets} tickets in "
            f"{time.perf_counter() - t:.1f}s (model {args.model})"
        )
        for label in ("cold", "warm"):
            done = subprocess.run(
                [sys.executable, __file__, "--child", str(config), str(root / "tickets.csv")],
                capture_output=True,
                text=True,
                check=False,
            )
            if done.returncode != 0:
                print(done.stderr, file=sys.stderr)
                return 1
            r = json.loads(done.stdout.strip().splitlines()[-1])
            print(
                f"{label}: {r['seconds']:.1f} s, peak memory {r['peak_mb']} MB "
                f"({r['tickets']} tickets, {r['cached']} answers cached, "
                f"{r['findings']} findings, {r['gaps']} gaps)"
            )
    return 0


if __name__ == "__main__":
    sys.exit(main())
