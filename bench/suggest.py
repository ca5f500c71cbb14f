"""Benchmark the suggester on a generated KB: embedding, latency, throughput, memory, cold start.

Run from the repository root:  python bench/suggest.py [--articles 1000] [--tickets 500]
    [--languages en,nl,sv [--spread]] [--baseline REV]
The KB is built from the English evaluation articles in ../shared/evaldata (plain text, cut into
sections), so article length and vocabulary are realistic; tickets are that set's real questions.
`--languages` declares more languages in mkdocs.yml (so `model: auto` adds multilingual-e5);
with `--spread` the articles and tickets take turns in those languages (nlfaq, swefaq texts).
`--baseline REV` runs the same measurements on the kb of git revision REV (a temporary worktree,
this script), in the same run, and prints both with their ratio.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
CODE = os.environ.get("KB_BENCH_CODE", str(REPO))  # the kb measured (--baseline: a worktree)
sys.path.insert(0, CODE)
EVALDATA = REPO.parent / "shared" / "evaldata"
if not EVALDATA.is_dir():
    EVALDATA = Path("/work/shared/evaldata")
os.environ.setdefault("HF_HUB_OFFLINE", "1")


SETS = {  # the articles and questions of each language (evaldata/nlfaq is in this repository)
    "en": [EVALDATA / "stackfaq", EVALDATA / "doc2dial"],
    "nl": [REPO / "evaldata" / "nlfaq"],
    "sv": [EVALDATA / "swefaq"],
}


def _rows(folder: Path, name: str) -> list[dict]:
    return [json.loads(x) for x in (folder / name).read_text(encoding="utf-8").splitlines()]


def write_kb(root: Path, n: int, languages: list[str] | None = None, spread: bool = False) -> None:
    """Write n Markdown articles (sections of ~80 words) and a mkdocs.yml into root.

    `spread`: article i is in languages[i % len(languages)], its text from that language's set
    (a help centre written in several languages); otherwise every article is English.
    """
    languages = languages or ["en"]
    sources = {
        lang: [row for folder in SETS[lang] for row in _rows(folder, "articles.jsonl")]
        for lang in (languages if spread else ["en"])
    }
    for i in range(n):
        lang = languages[i % len(languages)] if spread else "en"
        src = sources[lang][(i // (len(languages) if spread else 1)) % len(sources[lang])]
        words = src["body"].split()
        parts = [" ".join(words[j : j + 80]) for j in range(0, min(len(words), 800), 80)]
        body = "\n\n".join(f"## Part {k + 1}\n\n{p}" for k, p in enumerate(parts))
        title = (src.get("title") or " ".join(words[:8])).replace('"', "'")
        text = (
            f'---\nid: a{i:05d}\ntitle: "{title} ({i})"\nlang: {lang}\ncategory: help\n---\n\n'
            f"{body}\n"
        )
        docs = root / "articles" / lang / "help"
        docs.mkdir(parents=True, exist_ok=True)
        (docs / f"a{i:05d}.md").write_text(text, encoding="utf-8")
    (root / "mkdocs.yml").write_text(
        "site_name: Bench\ndocs_dir: articles\ntheme: {name: material}\n"
        f"plugins:\n  - kb:\n      languages: [{', '.join(languages)}]\n"
        "      categories: [help]\n",
        encoding="utf-8",
    )


def tickets(n: int, languages: list[str] | None = None) -> list[str]:
    """Real customer questions (of each language's set, taking turns)."""
    per = [
        [row["text"] for folder in SETS[lang] for row in _rows(folder, "queries.jsonl")]
        for lang in (languages or ["en"])
    ]
    mixed = [q for group in zip(*per, strict=False) for q in group]
    return (mixed * (n // len(mixed) + 1))[:n]


def pct(values: list[float], p: float) -> float:
    """The p-th percentile (nearest rank)."""
    s = sorted(values)
    return s[min(len(s) - 1, max(0, round(p / 100 * len(s)) - 1))]


def rss_mb() -> float:
    """Peak resident memory of this process so far, in MB."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--articles", type=int, default=1000)
    parser.add_argument("--tickets", type=int, default=500)
    parser.add_argument("--model", default=None, help="kb.model (default: the revision's own)")
    parser.add_argument(
        "--backend", default="auto", choices=["auto", "onnx", "onnx-int8", "torch"]
    )  # kb.model_backend
    parser.add_argument("--languages", default="en")
    parser.add_argument(
        "--spread", action="store_true", help="articles and tickets in every language, in turn"
    )
    parser.add_argument("--baseline", metavar="REV", help="also measure this git revision")
    parser.add_argument("--json", action="store_true", help="print the figures as JSON")
    args = parser.parse_args()
    if args.baseline:
        return compare(args)
    figures = measure(args)
    if figures is None:
        return 1
    if args.json:
        print("FIGURES " + json.dumps(figures))
    return 0


def compare(args: argparse.Namespace) -> int:
    """Measure the baseline revision and this checkout one after the other; print the ratios."""
    own = [a for a in sys.argv[1:] if a != "--json"]
    cut = own.index("--baseline")
    own = own[:cut] + own[cut + 2 :]
    results = {}
    with tempfile.TemporaryDirectory(prefix="kb-bench-baseline-") as tmp:
        tree = Path(tmp) / "tree"
        subprocess.run(
            ["git", "worktree", "add", "-q", "--detach", str(tree), args.baseline],
            cwd=REPO,
            check=True,
        )
        try:
            for label, code in (("baseline", tree), ("now", REPO)):
                env = {**os.environ, "PYTHONPATH": str(code), "KB_BENCH_CODE": str(code)}
                done = subprocess.run(
                    [sys.executable, str(Path(__file__).resolve()), *own, "--json"],
                    env=env,
                    capture_output=True,
                    text=True,
                    check=False,
                )
                print(f"== {label} ({code})\n{done.stdout}", end="")
                line = [x for x in done.stdout.splitlines() if x.startswith("FIGURES ")]
                if done.returncode or not line:
                    print(done.stderr, file=sys.stderr)
                    return 1
                results[label] = json.loads(line[-1][len("FIGURES ") :])
        finally:
            subprocess.run(["git", "worktree", "remove", "--force", str(tree)], cwd=REPO)
    print(f"\n| figure | {args.baseline} | now | now / {args.baseline} |")
    print("| --- | --- | --- | --- |")
    for key, now in results["now"].items():
        before = results["baseline"].get(key)
        ratio = f"{now / before:.2f}x" if before else "-"
        print(f"| {key} | {before} | {now} | {ratio} |")
    return 0


def measure(args: argparse.Namespace) -> dict[str, float] | None:
    """Run every measurement on a fresh KB; print them and return the figures."""

    from kb.core.collection import KnowledgeBase
    from kb.core.settings import Settings
    from kb.search.index import build_index
    from kb.suggest.chunks import embed_articles
    from kb.suggest.embedders import settings_embedder

    with tempfile.TemporaryDirectory(prefix="kb-bench-suggest-") as tmp:
        root = Path(tmp)
        langs = args.languages.split(",")
        write_kb(root, args.articles, langs, args.spread)
        settings = Settings.load(root / "mkdocs.yml")
        if args.model:
            settings.model = args.model
        settings.model_backend = args.backend
        fig: dict[str, float] = {}
        kb = KnowledgeBase.load(settings)
        print(f"KB: {len(kb)} articles, model {settings.model}, {os.cpu_count()} cores")

        t = time.perf_counter()
        build_index(kb, settings)
        index_s = time.perf_counter() - t
        embedder = settings_embedder(settings)
        t = time.perf_counter()
        embedder.encode(["warm up"])
        load_s = time.perf_counter() - t
        print(f"model runs on {getattr(embedder, 'runs_on', 'hashing')} ({embedder.model_id})")
        t = time.perf_counter()
        chunks = embed_articles(kb.visible(internal=True), embedder, settings.cache_dir)
        embed_s = time.perf_counter() - t
        print(f"first run: keyword index {index_s:.1f} s, model load {load_s:.1f} s")
        fig["first embedding, s"] = round(embed_s, 1)
        fig["model load, s"] = round(load_s, 1)
        print(
            f"first run: embedding {chunks.stats['chunks']} sections of {len(kb)} articles "
            f"{embed_s:.1f} s ({chunks.stats['chunks'] / embed_s:.0f} sections/s)"
        )
        t = time.perf_counter()
        again = embed_articles(kb.visible(internal=True), embedder, settings.cache_dir)
        print(f"second run: {again.embedded} sections embedded, {time.perf_counter() - t:.2f} s")

        from kb.suggest.suggester import Suggester

        suggester = Suggester.from_settings(settings, kb=kb, embedder=embedder)
        texts = tickets(args.tickets, langs if args.spread else None)
        for text in texts[:10]:
            suggester.suggest(text)
        lat = []
        for text in texts[:200]:
            t = time.perf_counter()
            suggester.suggest(text)
            lat.append((time.perf_counter() - t) * 1000)
        print(
            f"warm single ticket: p50 {pct(lat, 50):.0f} ms, p95 {pct(lat, 95):.0f} ms "
            f"(n={len(lat)}; target p95 < 100 ms)"
        )
        fig["warm ticket p95, ms"] = round(pct(lat, 95), 1)
        t = time.perf_counter()
        enc = embedder.encode(texts)
        enc_s = time.perf_counter() - t
        print(f"encode only: {len(enc) / enc_s:.0f} ticket texts/s")
        t = time.perf_counter()
        for start in range(0, len(texts), 64):
            suggester.suggest_many(texts[start : start + 64])
        batch_s = time.perf_counter() - t
        print(
            f"batch: {len(texts)} tickets in {batch_s:.1f} s = {len(texts) / batch_s:.0f} tickets/s"
        )
        print(f"peak memory (this process): {rss_mb():.0f} MB")
        fig["peak memory (bench process), MB"] = round(rss_mb())

        # /usr/bin/time reports each command's own peak (a child's rusage would count the
        # pages it shared with this big process before exec)
        timer = ["/usr/bin/time", "-f", "MAXRSS %M"] if Path("/usr/bin/time").exists() else []
        for command in ("suggest", "search"):
            cold, peak = [], 0.0
            for _ in range(3):
                t = time.perf_counter()
                proc = subprocess.run(
                    [*timer, sys.executable, "-m", "kb", command, texts[0], "--json"],
                    cwd=root,
                    capture_output=True,
                    text=True,
                    check=False,
                )
                cold.append(time.perf_counter() - t)
                if proc.returncode != 0:
                    print(proc.stderr, file=sys.stderr)
                    return None
                for line in proc.stderr.splitlines():
                    if line.startswith("MAXRSS "):
                        peak = max(peak, int(line.split()[1]) / 1024)
            print(
                f"cold start of kb {command} on the cached KB: median "
                f"{statistics.median(cold):.2f} s (runs {', '.join(f'{c:.2f}' for c in cold)}), "
                f"peak memory {peak:.0f} MB"
            )
            fig[f"cold kb {command}, s"] = round(statistics.median(cold), 2)
            fig[f"cold kb {command}, peak MB"] = round(peak)
        fig["kb serve first answer, s"] = round(first_answer(root), 2)
        print(f"kb serve: first /api/health answer after {fig['kb serve first answer, s']} s")
    return fig


def first_answer(root: Path) -> float:
    """Seconds from starting `kb serve` until /api/health answers."""
    import socket
    import urllib.request

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    env = {**os.environ, "KB_API_TOKEN": "bench-token-" + "x" * 24}
    t = time.perf_counter()
    proc = subprocess.Popen(
        [sys.executable, "-m", "kb", "serve", "--port", str(port), "-f", "mkdocs.yml"],
        cwd=root,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        while time.perf_counter() - t < 300:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/api/health", timeout=1):
                    return time.perf_counter() - t
            except OSError:
                time.sleep(0.05)
        return float("nan")
    finally:
        proc.terminate()
        proc.wait(timeout=30)


if __name__ == "__main__":
    sys.exit(main())
