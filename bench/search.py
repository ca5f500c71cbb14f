"""Search at scale: index 10,000 generated articles, re-index one edit, time 500 warm queries.

Wall-clock figures depend on what else runs on the machine; CPU figures are printed beside them.

Usage: python bench/search.py [--articles 10000] [--queries 500]
"""

from __future__ import annotations

import argparse
import dataclasses
import os
import random
import resource
import statistics
import sys
import tempfile
import time
from pathlib import Path

from kb.core.article import Article
from kb.core.collection import KnowledgeBase
from kb.core.settings import Settings
from kb.search.index import build_index
from kb.search.searcher import open_searcher

LANGS = ("en", "en", "nl", "sv")
SYLLABLES = [
    "ka",
    "lo",
    "mi",
    "ne",
    "ta",
    "ri",
    "so",
    "vu",
    "be",
    "da",
    "fe",
    "gi",
    "ho",
    "ju",
    "ke",
    "la",
    "mo",
    "nu",
    "pe",
    "ra",
    "si",
    "to",
    "ve",
    "wa",
    "ze",
]
BASE = {
    "en": [
        "order",
        "refund",
        "password",
        "invoice",
        "delivery",
        "parcel",
        "return",
        "payment",
        "account",
        "login",
        "email",
        "address",
        "tracking",
        "discount",
        "voucher",
        "membership",
        "cancel",
        "exchange",
        "damaged",
        "missing",
        "charge",
    ],
    "nl": [
        "bestelling",
        "terugbetaling",
        "wachtwoord",
        "factuur",
        "bezorging",
        "pakket",
        "retour",
        "betaling",
        "account",
        "inloggen",
        "adres",
        "korting",
        "cadeaukaart",
        "lidmaatschap",
        "annuleren",
        "ruilen",
        "beschadigd",
    ],
    "sv": [
        "beställning",
        "återbetalning",
        "lösenord",
        "faktura",
        "leverans",
        "paket",
        "retur",
        "betalning",
        "konto",
        "inloggning",
        "adress",
        "rabatt",
        "presentkort",
        "medlemskap",
        "avbryta",
        "byte",
        "skadad",
    ],
}


def vocabulary(rng: random.Random, size: int) -> list[str]:
    """Pseudo-words, so stemming and the lexicon work on a realistic number of distinct words."""
    words = set()
    while len(words) < size:
        words.add("".join(rng.choice(SYLLABLES) for _ in range(rng.randint(2, 4))))
    return sorted(words)


def make_articles(n: int, seed: int = 1) -> tuple[list[Article], dict[str, list[str]]]:
    """Generate `n` articles of about 300 words in four sections; 10% internal."""
    rng = random.Random(seed)
    vocab = {lang: BASE[lang] + vocabulary(rng, 8000) for lang in BASE}
    weights = [1 / (i + 1) for i in range(len(vocab["en"]))]  # Zipf-like
    out = []
    for i in range(n):
        lang = LANGS[i % len(LANGS)]
        words = rng.choices(vocab[lang], weights=weights[: len(vocab[lang])], k=320)
        title = " ".join(words[:5]).capitalize()
        body = "\n\n".join(
            f"## {' '.join(words[k * 80 : k * 80 + 3]).capitalize()}\n\n"
            + " ".join(words[k * 80 + 3 : (k + 1) * 80])
            + "."
            for k in range(4)
        )
        meta = {
            "id": f"a{i:05d}",
            "title": title,
            "lang": lang,
            "category": rng.choice(["account", "billing", "orders", "returns"]),
            "tags": rng.sample(BASE[lang], 2),
            "audience": "internal" if i % 10 == 9 else "public",
            "status": "published",
            "summary": " ".join(words[5:20]),
        }
        out.append(Article(f"{lang}/a{i:05d}.md", meta, body, content_hash=f"h{i}"))
    return out, vocab


def size_mb(path: Path) -> float:
    """Size of the files below `path` in MB (hard links counted once)."""
    seen, total = set(), 0
    for p in path.rglob("*"):
        if p.is_file():
            st = p.stat()
            if st.st_ino not in seen:
                seen.add(st.st_ino)
                total += st.st_size
    return total / 1e6


def cpu_seconds() -> float:
    """CPU time of this process and its finished children (the parallel index workers)."""
    own = resource.getrusage(resource.RUSAGE_SELF)
    kids = resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + kids.ru_utime + kids.ru_stime


def percentile(values: list[float], q: float) -> float:
    """The q-th percentile (0-100) of `values`."""
    return statistics.quantiles(values, n=100)[int(q) - 1]


def main() -> int:
    """Print index time, size, one-edit re-index time and query latency percentiles."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--articles", type=int, default=10_000)
    parser.add_argument("--queries", type=int, default=500)
    args = parser.parse_args()
    articles, vocab = make_articles(args.articles)
    with tempfile.TemporaryDirectory() as tmp:
        settings = Settings(root=Path(tmp), kb_dir=Path(tmp) / ".kb", languages=("en", "nl", "sv"))
        kb = KnowledgeBase(settings=settings, articles=articles)
        t, cpu = time.perf_counter(), cpu_seconds()
        report = build_index(kb, settings)
        full, full_cpu = time.perf_counter() - t, cpu_seconds() - cpu
        gen = settings.index_dir / report.generation
        print(f"articles: {len(articles)} ({report.added} published: en/nl/sv, 10% internal)")
        print(
            f"full index: {full:.1f} s wall, {full_cpu:.1f} s CPU over "
            f"{os.cpu_count()} cores, {size_mb(gen):.1f} MB"
        )

        edited = articles[123]
        articles[123] = dataclasses.replace(
            edited, body=edited.body + "\n\nOne more line.", content_hash="edited"
        )
        kb = KnowledgeBase(settings=settings, articles=articles)
        t = time.perf_counter()
        report = build_index(kb, settings)
        print(f"re-index after one edit: {time.perf_counter() - t:.2f} s ({report})")
        t = time.perf_counter()
        build_index(kb, settings)
        print(f"update of an unchanged KB: {1000 * (time.perf_counter() - t):.0f} ms")

        rng = random.Random(7)
        searcher = open_searcher(settings)
        queries = []
        for _ in range(args.queries):
            lang = rng.choice(LANGS)
            words = rng.sample(vocab[lang][:400], rng.randint(1, 4))
            queries.append((" ".join(words), lang))
        for q, lang in queries[:20]:  # warm up: open every index once
            searcher.search(q, lang=lang)
        times, cpu_times = [], []
        for q, lang in queries:
            t, c = time.perf_counter(), time.process_time()
            searcher.search(q, lang=lang, limit=10)
            times.append(1000 * (time.perf_counter() - t))
            cpu_times.append(1000 * (time.process_time() - c))
        print(
            f"queries ({len(times)}, 1-4 words, warm): p50 {percentile(times, 50):.1f} ms, "
            f"p95 {percentile(times, 95):.1f} ms wall; CPU p50 {percentile(cpu_times, 50):.1f} ms, "
            f"p95 {percentile(cpu_times, 95):.1f} ms"
        )
        long_times, long_cpu = [], []
        for _ in range(50):
            lang = rng.choice(LANGS)
            text = " ".join(rng.choices(vocab[lang][:2000], k=60))
            t, c = time.perf_counter(), time.process_time()
            searcher.search(text, lang=lang, limit=50, internal=True)
            long_times.append(1000 * (time.perf_counter() - t))
            long_cpu.append(1000 * (time.process_time() - c))
        print(
            f"ticket-length queries (50, 60 words, limit 50): p50 {percentile(long_times, 50):.1f} "
            f"ms, p95 {percentile(long_times, 95):.1f} ms wall; CPU p50 "
            f"{percentile(long_cpu, 50):.1f} ms, p95 {percentile(long_cpu, 95):.1f} ms"
        )
        searcher.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
