"""Benchmark the help-site build on generated KBs of 1,000 and 5,000 articles.

Prints, per size: the first `kb build` (cold caches: templates compiled, Whoosh index built from
scratch), `kb build --full` and a plain `mkdocs build` of the same Markdown with the same theme
(Material, no plugins, a one-entry nav), alternated `--repeat` times, with their medians and ratio;
peak memory (the build process and, separately, the Pagefind indexer), site size, search index
size, and the time of a `kb build` after editing one article (`--repeat` edits).

    python bench/build.py                 # 1000 and 5000 articles
    python bench/build.py --sizes 1000 --auto-nav   # also time Material with its automatic nav
"""

from __future__ import annotations

import argparse
import os
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import yaml

REPO = Path(__file__).resolve().parent.parent
CATEGORIES = ["account", "billing", "orders", "returns", "delivery", "gift-cards", "app", "plus"]
WORDS = [
    "order",
    "parcel",
    "delivery",
    "invoice",
    "refund",
    "return",
    "label",
    "payment",
    "card",
    "account",
    "password",
    "login",
    "email",
    "address",
    "locker",
    "courier",
    "tracking",
    "code",
    "app",
    "web",
    "shop",
    "basket",
    "checkout",
    "voucher",
    "discount",
    "receipt",
    "customer",
    "warehouse",
    "stock",
    "size",
    "exchange",
    "damaged",
    "missing",
    "late",
    "cancel",
    "change",
    "update",
    "confirm",
    "select",
    "open",
    "choose",
    "enter",
    "settings",
    "profile",
    "security",
    "notification",
    "message",
    "support",
    "team",
]
NL = [
    "bestelling",
    "pakket",
    "bezorging",
    "factuur",
    "terugbetaling",
    "retour",
    "betaling",
    "kaart",
    "account",
    "wachtwoord",
]
SV = [
    "beställning",
    "paket",
    "leverans",
    "faktura",
    "återbetalning",
    "retur",
    "betalning",
    "kort",
    "konto",
    "lösenord",
]
MARKDOWN_EXTENSIONS = [
    "admonition",
    "attr_list",
    "tables",
    {"toc": {"permalink": True}},
    {
        "pymdownx.superfences": {
            "custom_fences": [
                {
                    "name": "mermaid",
                    "class": "mermaid",
                    "format": "!!python/name:pymdownx.superfences.fence_code_format",
                }
            ]
        }
    },
]


def sentence(rng: random.Random, words: list[str], n: int = 14) -> str:
    """A sentence of random words."""
    text = " ".join(rng.choice(words) for _ in range(n))
    return text[0].upper() + text[1:] + "."


def body(rng: random.Random, words: list[str], links: list[str]) -> str:
    """An article body of about 300 words: issue, cause, numbered steps, tips."""
    parts = ["## Issue", "", " ".join(sentence(rng, words) for _ in range(4)), "", "## Cause", ""]
    parts += [" ".join(sentence(rng, words) for _ in range(3)), "", "## Resolution", ""]
    parts += [f"{i}. {sentence(rng, words, 10)}" for i in range(1, 7)]
    parts += ["", "## Tips", ""]
    parts += [f"- {sentence(rng, words, 9)}" for _ in range(3)]
    if links:
        parts += ["", f"See also [this article]({links[0]})."]
    return "\n".join(parts) + "\n"


def generate(root: Path, n: int, seed: int = 7) -> Path:
    """Write a KB of `n` articles (80% en, 10% nl and 10% sv translations, some non-public)."""
    rng = random.Random(seed)
    docs = root / "articles"
    n_en = int(n * 0.8)
    en: list[tuple[str, str]] = []
    for i in range(n_en):
        cat = CATEGORIES[i % len(CATEGORIES)]
        en.append((f"article-{i}", cat))
    for i, (aid, cat) in enumerate(en):
        status = "draft" if i % 50 == 3 else "published"
        audience = "internal" if i % 20 == 5 else "public"
        related = [en[(i + k) % n_en][0] for k in (1, 2, 3)]
        meta = {
            "id": aid,
            "title": f"{sentence(rng, WORDS, 5)[:-1]} {i}",
            "category": cat,
            "audience": audience,
            "status": status,
            "tags": rng.sample(WORDS, 3),
            "reviewed": "2026-06-01",
            "review_every": "6m",
            "summary": sentence(rng, WORDS, 12),
            "related": related,
        }
        write(docs / "en" / cat / f"{aid}.md", meta, body(rng, WORDS, []))
    for lang, words in (("nl", NL), ("sv", SV)):
        for i in range(int(n * 0.1)):
            aid, cat = en[i * 7 % n_en]
            meta = {
                "id": f"{aid}-{lang}",
                "title": f"{sentence(rng, words, 5)[:-1]} {i}",
                "translation_of": aid,
                "category": cat,
                "reviewed": "2026-06-01",
                "summary": sentence(rng, words, 12),
            }
            write(docs / lang / cat / f"{aid}.md", meta, body(rng, words, []))
    write_configs(root)
    return root


def write(path: Path, meta: dict[str, object], text: str) -> None:
    """Write one article file."""
    path.parent.mkdir(parents=True, exist_ok=True)
    head = yaml.safe_dump(meta, sort_keys=False, allow_unicode=True)
    path.write_text(f"---\n{head}---\n\n{text}", encoding="utf-8")


def write_configs(root: Path) -> None:
    """mkdocs.yml (kb plugin and theme) and mkdocs-plain.yml (Material alone, one-entry nav)."""
    common = {
        "site_name": "Bench Help",
        "site_url": "http://127.0.0.1:8000/",
        "docs_dir": "articles",
        "use_directory_urls": True,
        "markdown_extensions": MARKDOWN_EXTENSIONS,
    }
    kb_cfg = {
        **common,
        "theme": {"name": "material", "font": False},
        "plugins": [
            {
                "kb": {
                    "languages": ["en", "nl", "sv"],
                    "categories": {
                        c: {"title": c.replace("-", " ").capitalize()} for c in CATEGORIES
                    },
                    "support": {"email": "help@bench.example"},
                    "feedback_url": "/api/feedback",
                }
            }
        ],
    }
    first = sorted((root / "articles" / "en" / "account").glob("*.md"))[0].relative_to(
        root / "articles"
    )
    plain = {
        **common,
        "theme": {"name": "material", "font": False},
        "plugins": [],
        "nav": [{"Home": first.as_posix()}],
        "site_dir": "site-plain",
    }
    for name, cfg in (("mkdocs.yml", kb_cfg), ("mkdocs-plain.yml", plain)):
        text = yaml.safe_dump(cfg, sort_keys=False, allow_unicode=True)
        text = text.replace(
            "'!!python/name:pymdownx.superfences.fence_code_format'",
            "!!python/name:pymdownx.superfences.fence_code_format",
        )
        (root / name).write_text(text, encoding="utf-8")


MEASURE = (
    "import resource, subprocess, sys, time\n"
    "t = time.perf_counter()\n"
    "r = subprocess.run(sys.argv[1:], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)\n"
    "dt = time.perf_counter() - t\n"
    "if r.returncode: sys.exit(r.stderr)\n"
    "print(dt, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)\n"
)
PEAK = (
    "import resource, sys, runpy\n"
    "sys.argv = sys.argv[1:]\n"
    "try:\n"
    "    runpy.run_module(sys.argv[0], run_name='__main__')\n"
    "except SystemExit as e:\n"
    "    code = e.code\n"
    "else:\n"
    "    code = 0\n"
    "s = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss\n"
    "c = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss\n"
    "print(f'PEAK {s} {c}', file=sys.stderr)\n"
    "sys.exit(code)\n"
)


def timed(cmd: list[str], cwd: Path) -> tuple[float, int]:
    """Run a command in a fresh process; return (seconds, peak RSS in KiB of its largest process)."""
    env = {**os.environ, "NO_MKDOCS_2_WARNING": "1"}
    out = subprocess.run(
        [sys.executable, "-c", MEASURE, *cmd], cwd=cwd, env=env, capture_output=True, text=True
    )
    if out.returncode:
        raise SystemExit(f"{' '.join(cmd)} failed:\n{out.stderr[-3000:]}")
    seconds, rss = out.stdout.split()
    return float(seconds), int(rss)


def settle(root: Path) -> None:
    """Wait for what a build leaves running: the cut-page writer and the old site's delete."""
    from kb.site.fast.cut import CutPages

    for audience in ("public", "internal"):
        CutPages.wait(root / ".kb" / "cache" / "pagefind" / audience, timeout=120)
    deadline = time.monotonic() + 120
    while any(root.glob(".kb-trash-*")) and time.monotonic() < deadline:
        time.sleep(0.05)


def kb_build(cwd: Path, *extra: str) -> tuple[float, int, int]:
    """Time `kb build`; return (seconds, peak KiB of the build process, peak KiB of Pagefind)."""
    env = {**os.environ, "NO_MKDOCS_2_WARNING": "1"}
    start = time.perf_counter()
    out = subprocess.run(
        [sys.executable, "-c", PEAK, "kb", "build", *extra],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
    )
    seconds = time.perf_counter() - start
    if out.returncode:
        raise SystemExit(f"kb build failed:\n{out.stderr[-3000:]}")
    settle(cwd)  # not timed: the build has returned; the next command should not share its disk
    peak = [line for line in out.stderr.splitlines() if line.startswith("PEAK ")][-1].split()
    return seconds, int(peak[1]), int(peak[2])


def size(path: Path) -> int:
    """Total bytes of the files below `path`."""
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file())


def mb(n: float) -> str:
    return f"{n / 1e6:.1f} MB"


def runs(values: list[float]) -> str:
    """The median of `values` and every run, in seconds."""
    return f"{statistics.median(values):6.1f} s   (runs: {', '.join(f'{v:.2f}' for v in values)})"


def run_size(n: int, auto_nav: bool, repeat: int) -> None:
    """Generate a KB of `n` articles and print its figures."""
    root = Path(tempfile.mkdtemp(prefix=f"kb-bench-{n}-"))
    try:
        generate(root, n)
        articles = len(list((root / "articles").rglob("*.md")))
        first, rss, pagefind_rss = kb_build(root, "--full")
        full: list[float] = []
        plain: list[float] = []
        plain_rss = 0
        for _ in range(repeat):  # alternated, so a slower spell of the machine hits both
            full.append(kb_build(root, "--full")[0])
            seconds, plain_rss = timed(
                [sys.executable, "-m", "mkdocs", "build", "-q", "-f", "mkdocs-plain.yml"], root
            )
            plain.append(seconds)
        site = root / "site"
        pages = len(list(site.rglob("index.html")))
        edited = next(
            p
            for p in sorted((root / "articles" / "en" / "billing").glob("*.md"))
            if "audience: public" in (text := p.read_text()) and "status: published" in text
        )
        page = site / edited.relative_to(root / "articles").with_suffix("") / "index.html"
        rebuild: list[float] = []
        visible = True
        for i in range(repeat):
            time.sleep(1)  # saves are seconds apart: the last build's background delete is done
            edited.write_text(edited.read_text() + f"\nOne more sentence after edit {i}.\n")
            rebuild.append(kb_build(root)[0])
            visible = visible and f"after edit {i}." in page.read_text()
        ratio = statistics.median(full) / statistics.median(plain)
        print(f"\n== {n} articles ({articles} files, {pages} pages in the public site)")
        print(f"kb build, first (cold caches)    {first:6.1f} s")
        print(f"kb build --full (warm caches)    {runs(full)}")
        print(f"plain mkdocs build (Material)    {runs(plain)}")
        print(
            f"ratio kb/plain (medians)         {ratio:6.2f}x   (first build: {first / statistics.median(plain):.2f}x)"
        )
        print(
            f"peak memory: kb build process    {rss / 1024:6.0f} MiB, Pagefind indexer {pagefind_rss / 1024:.0f} MiB, plain mkdocs {plain_rss / 1024:.0f} MiB"
        )
        print(
            f"site size                        {mb(size(site))} (plain: {mb(size(root / 'site-plain'))})"
        )
        print(f"search index (pagefind/)         {mb(size(site / 'pagefind'))}")
        print(f"rebuild after editing 1 article  {runs(rebuild)}   (edit visible: {visible})")
        if auto_nav:
            cfg = (root / "mkdocs-plain.yml").read_text().split("nav:")[0] + "site_dir: site-nav\n"
            (root / "mkdocs-nav.yml").write_text(cfg.replace("site_dir: site-plain\n", ""))
            nav, _ = timed(
                [sys.executable, "-m", "mkdocs", "build", "-q", "-f", "mkdocs-nav.yml"], root
            )
            print(
                f"Material with automatic nav      {nav:6.1f} s   site {mb(size(root / 'site-nav'))}"
            )
    finally:
        shutil.rmtree(root, ignore_errors=True)


def main() -> None:
    """Parse options and run the benchmark for each size."""
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--sizes", type=int, nargs="+", default=[1000, 5000])
    parser.add_argument(
        "--auto-nav", action="store_true", help="also time Material's automatic nav"
    )
    parser.add_argument(
        "--repeat", type=int, default=3, help="warm full builds, plain builds and rebuilds per size"
    )
    args = parser.parse_args()
    print(f"kb site build benchmark: {os.cpu_count()} cores, Python {sys.version.split()[0]}")
    for n in args.sizes:
        run_size(n, args.auto_nav, max(1, args.repeat))


if __name__ == "__main__":
    main()
