"""Benchmark: `kb import zendesk` of a generated export (N articles, each in 3 languages).

Prints seconds and peak memory of a first import and of a second import of the same export
(everything unchanged), each in its own process.
"""

from __future__ import annotations

import argparse
import json
import random
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

WORDS = ["account", "password", "invoice", "refund", "order", "delivery", "parcel", "label"]


def export(folder: Path, n: int, seed: int = 1) -> None:
    """Write a Zendesk export: sections, pages of 100 articles with nl and sv translations."""
    rnd = random.Random(seed)
    folder.mkdir(parents=True)
    sections = [{"id": 100 + i, "name": f"Section {i}", "category_id": 1} for i in range(20)]
    (folder / "sections.json").write_text(json.dumps({"sections": sections}))
    for page in range(0, n, 100):
        articles, translations = [], []
        for i in range(page, min(n, page + 100)):
            aid = 360000000 + i
            body = "".join(
                f"<h2>{rnd.choice(WORDS).title()} {j}</h2><p>{' '.join(rnd.choices(WORDS, k=80))} "
                f'<a href="/hc/en-us/articles/{360000000 + rnd.randrange(n)}#x">see</a></p>'
                for j in range(5)
            )
            url = f"https://acme.zendesk.com/hc/en-us/articles/{aid}-Article-{i}"
            articles.append(
                {
                    "id": aid,
                    "title": f"Article {i} {rnd.choice(WORDS)}",
                    "body": body,
                    "locale": "en-us",
                    "source_locale": "en-us",
                    "html_url": url,
                    "section_id": 100 + i % 20,
                    "label_names": rnd.sample(WORDS, 2),
                    "vote_sum": 2,
                    "vote_count": 6,
                    "updated_at": "2024-01-02T03:04:05Z",
                }
            )
            for lang in ("nl", "sv"):
                translations.append(
                    {"source_id": aid, "locale": lang, "title": f"Artikel {i}", "body": body}
                )
        data = {"articles": articles, "translations": translations}
        (folder / f"articles-{page // 100}.json").write_text(json.dumps(data))


def run(args: list[str]) -> tuple[float, float]:
    """Seconds and peak MB of one kb command in its own process."""
    start = time.perf_counter()
    subprocess.run([sys.executable, "-m", "kb", *args], check=True, capture_output=True)
    seconds = time.perf_counter() - start
    peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    return seconds, peak


def main() -> None:
    """Generate, import twice, print the figures."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--articles", type=int, nargs="+", default=[1000])
    opts = parser.parse_args()
    for n in opts.articles:
        with tempfile.TemporaryDirectory() as tmp:
            src, kb = Path(tmp) / "export", Path(tmp) / "kb"
            export(src, n)
            first = run(["import", "zendesk", str(src), "--into", str(kb)])
            again = run(["import", "zendesk", str(src), "--into", str(kb)])
            files = sum(1 for _ in (kb / "articles").rglob("*.md"))
            print(
                f"{n} articles ({files} files): first import {first[0]:.1f} s, "
                f"again (unchanged) {again[0]:.1f} s, peak {max(first[1], again[1]):.0f} MB"
            )


if __name__ == "__main__":
    main()
