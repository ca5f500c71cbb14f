"""What browser search's vocabulary (kb.site.vocab) adds to the download, next to Pagefind's bytes.

Generates KBs of 1,000 and 5,000 articles (80% en, 10% nl, 10% sv, some internal) whose words
follow a Zipf law over a large per-language lexicon, so the number of distinct words grows with
the KB as in real help centres; builds each public site with `kb build`; then prints per language
the vocabulary's words, its bytes (as written and gzipped, as a static host sends JSON), the time
to make it (cold, and from the words cache a rebuild reads), and, measured in Chromium, the bytes
Pagefind fetches for a first and a second query.

    python bench/vocab.py                   # 1000 and 5000 articles
    python bench/vocab.py --sizes 1000
"""

from __future__ import annotations

import argparse
import functools
import gzip
import http.server
import json
import random
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
from build import CATEGORIES, NL, SV, WORDS, write, write_configs

LEXICON = 60_000  # pseudo-words per language beside the real ones
SYLLABLES = [
    "ba",
    "be",
    "bi",
    "bo",
    "da",
    "de",
    "di",
    "do",
    "ka",
    "ke",
    "ko",
    "la",
    "le",
    "li",
    "lo",
    "ma",
    "me",
    "mi",
    "mo",
    "na",
    "ne",
    "ni",
    "no",
    "ra",
    "re",
    "ri",
    "ro",
    "sa",
    "se",
    "si",
    "so",
    "ta",
    "te",
    "ti",
    "to",
    "va",
    "ve",
    "vi",
]
QUERIES = {
    "en": ("refund", "pasword"),
    "nl": ("factuur", "wachtwood"),
    "sv": ("faktura", "lösenrod"),
}


class _Quiet(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:
        pass


def lexicon(rng: random.Random, real: list[str]) -> tuple[list[str], list[float]]:
    """Real words first (the most frequent), then pseudo-words; Zipf weights by rank."""
    words = list(dict.fromkeys(real))
    seen = set(words)
    while len(words) < LEXICON + len(real):
        w = "".join(rng.choice(SYLLABLES) for _ in range(rng.choice((2, 3, 3, 4))))
        if w not in seen:
            seen.add(w)
            words.append(w)
    return words, [1 / (rank + 1) ** 1.07 for rank in range(len(words))]


def text(rng: random.Random, lex: tuple[list[str], list[float]], n: int) -> str:
    """`n` words drawn from the lexicon, as sentences of ten."""
    drawn = rng.choices(lex[0], weights=lex[1], k=n)
    return " ".join(
        " ".join(drawn[i : i + 10]).capitalize() + "." for i in range(0, len(drawn), 10)
    )


def generate(root: Path, n: int, seed: int = 11) -> None:
    """Write a KB of `n` articles of about 300 words each."""
    rng = random.Random(seed)
    lexes = {
        "en": lexicon(rng, [*WORDS, "refund", "password", "invoice"]),
        "nl": lexicon(rng, [*NL, "wachtwoord"]),
        "sv": lexicon(rng, [*SV, "lösenord"]),
    }
    n_en = int(n * 0.8)
    for i in range(n_en):
        cat = CATEGORIES[i % len(CATEGORIES)]
        meta = {
            "id": f"article-{i}",
            "title": text(rng, lexes["en"], 6)[:-1],
            "category": cat,
            "audience": "internal" if i % 20 == 5 else "public",
            "summary": text(rng, lexes["en"], 12),
        }
        body = "## Issue\n\n" + text(rng, lexes["en"], 150) + "\n\n## Steps\n\n"
        write(
            root / "articles/en" / cat / f"article-{i}.md", meta, body + text(rng, lexes["en"], 150)
        )
    for lang in ("nl", "sv"):
        for i in range(int(n * 0.1)):
            cat = CATEGORIES[i * 7 % n_en % len(CATEGORIES)]
            meta = {
                "id": f"article-{i * 7 % n_en}-{lang}",
                "title": text(rng, lexes[lang], 6)[:-1],
                "translation_of": f"article-{i * 7 % n_en}",
                "category": cat,
                "summary": text(rng, lexes[lang], 12),
            }
            body = "## Probleem\n\n" + text(rng, lexes[lang], 300)
            write(root / "articles" / lang / cat / f"article-{i * 7 % n_en}.md", meta, body)
    write_configs(root)


def pagefind_bytes(site: Path, lang: str, queries: tuple[str, ...]) -> list[int]:
    """Bytes the browser fetches below pagefind/ for each query typed in turn on the home page."""
    from playwright.sync_api import sync_playwright

    handler = functools.partial(_Quiet, directory=str(site))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    out = []
    try:
        with sync_playwright() as p:
            browser = p.chromium.launch(
                executable_path="/usr/bin/chromium",
                args=[
                    "--headless",
                    "--no-sandbox",
                    "--disable-gpu",
                    "--disable-background-networking",
                ],
            )
            page = browser.new_page()
            got: list[int] = []
            page.on(
                "response",
                lambda r: got.append(len(r.body())) if "/pagefind/" in r.url and r.ok else None,
            )
            home = "" if lang == "en" else f"{lang}/"
            page.goto(f"http://127.0.0.1:{server.server_address[1]}/{home}")
            page.wait_for_timeout(500)
            got.clear()  # pagefind-ui.js and its CSS load with every page
            for q in queries:
                page.locator(".pagefind-ui__search-input").first.fill(q)
                page.wait_for_timeout(2500)
                out.append(sum(got))
                got.clear()
            browser.close()
    finally:
        server.shutdown()
        server.server_close()
    return out


def run(n: int) -> None:
    from kb.core.collection import KnowledgeBase
    from kb.core.settings import Settings
    from kb.site.vocab import WordCache, build_vocab, vocab_name

    root = Path(tempfile.mkdtemp(prefix=f"kb-bench-vocab-{n}-"))
    generate(root, n)
    started = time.perf_counter()
    subprocess.run([sys.executable, "-m", "kb", "build", "--full"], cwd=root, check=True)
    print(f"\n{n} articles: kb build --full {time.perf_counter() - started:.1f} s")
    kb = KnowledgeBase.load(Settings.load(root / "mkdocs.yml"))
    public = [a for a in kb.articles if a.is_public]
    print(
        "| lang | articles | words | vocab bytes | gzipped | made in | from cache "
        "| Pagefind 1st query | 2nd |"
    )
    print("| --- | --- | --- | --- | --- | --- | --- | --- | --- |")
    cache_file = root / "bench-vocab.pickle"
    for lang in ("en", "nl", "sv"):
        body = (root / "site" / vocab_name(lang)).read_bytes()
        data = json.loads(body)
        words = sum(len(ws.split()) for ws in data["df"].values())
        t = time.perf_counter()
        build_vocab(public, lang)
        made = time.perf_counter() - t
        filling = WordCache(cache_file)
        build_vocab(public, lang, words_cache=filling)
        filling.save()
        t = time.perf_counter()
        build_vocab(public, lang, words_cache=WordCache(cache_file))  # a rebuild: cache on disk
        cached = time.perf_counter() - t
        first, second = pagefind_bytes(root / "site", lang, QUERIES[lang])
        print(
            f"| {lang} | {data['articles']} | {words:,} | {len(body) / 1024:.0f} KB "
            f"| {len(gzip.compress(body)) / 1024:.0f} KB | {made:.2f} s | {cached:.2f} s "
            f"| {first / 1024:.0f} KB | {second / 1024:.0f} KB |"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[1000, 5000])
    for n in parser.parse_args().sizes:
        run(n)


if __name__ == "__main__":
    main()
