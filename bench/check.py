"""Benchmark: generate a KB of N articles and time `kb check` on it; prints seconds and peak memory."""

from __future__ import annotations

import argparse
import random
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

WORDS = [
    "account",
    "password",
    "invoice",
    "refund",
    "order",
    "delivery",
    "parcel",
    "return",
    "label",
    "payment",
    "card",
    "app",
    "login",
    "email",
    "address",
    "locker",
    "courier",
    "tracking",
    "discount",
    "voucher",
    "gift",
    "membership",
    "cancel",
    "exchange",
    "size",
    "damaged",
    "missing",
    "charge",
    "bank",
    "transfer",
    "instalment",
    "reminder",
    "security",
    "code",
    "verify",
    "device",
    "browser",
]


def make_article(i: int, rng: random.Random, n: int) -> str:
    """Return the text of generated article number `i`."""
    title = " ".join(rng.choice(WORDS) for _ in range(5)).capitalize()
    related = sorted({f"a{rng.randrange(n)}" for _ in range(2)} - {f"a{i}"})
    lang = rng.choice(["en", "en", "nl", "sv"])
    body = "\n\n".join(
        f"## {rng.choice(WORDS).capitalize()} {k}\n\n"
        + " ".join(rng.choice(WORDS) for _ in range(80))
        for k in range(4)
    )
    return (
        f"---\nid: a{i}\ntitle: {title}\ntype: solution\naudience: public\nstatus: published\n"
        f"lang: {lang}\ncategory: c{i % 8}\ntags: [{rng.choice(WORDS)}, {rng.choice(WORDS)}]\n"
        f"products:\n  - name: App\n    versions: ['5.0']\nowner: team\nreviewed: 2026-0{1 + i % 9}-15\n"
        f"review_every: 6m\nsummary: {title}.\nrelated: [{', '.join(related)}]\n---\n\n{body}\n"
        f"See [the first article](../c0/a0.md).\n"
    )


def generate(root: Path, n: int, seed: int = 1) -> Path:
    """Write a KB of `n` articles with a mkdocs.yml below `root`; return the mkdocs.yml path."""
    rng = random.Random(seed)
    for i in range(n):
        path = root / "articles" / f"c{i % 8}" / f"a{i}.md"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(make_article(i, rng, n), encoding="utf-8")
    config = root / "mkdocs.yml"
    config.write_text(
        "site_name: Bench\ndocs_dir: articles\nplugins:\n  - kb:\n      languages: [en, nl, sv]\n",
        encoding="utf-8",
    )
    return config


def main() -> None:
    """Generate the KB, run `kb check` in a child process and print its figures."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--articles", type=int, default=10_000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        config = generate(Path(tmp), args.articles)
        start = time.perf_counter()
        proc = subprocess.run(
            [sys.executable, "-m", "kb", "check", str(config)], capture_output=True, text=True
        )
        seconds = time.perf_counter() - start
        peak_kb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    print(f"articles:        {args.articles}")
    print(f"kb check exit:   {proc.returncode} ({proc.stderr.strip().splitlines()[-1]})")
    print(f"kb check time:   {seconds:.2f} s (target < 5 s)")
    print(f"peak memory:     {peak_kb / 1024:.0f} MB")


if __name__ == "__main__":
    main()
