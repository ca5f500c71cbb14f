"""Cold `kb suggest` and `kb search` on the sample KB: one process per ticket, caches warm.

Run from the repository root:  python bench/cold.py [--rounds 7] [--baseline REV]
Each code gets its own copy of the sample KB (`articles/`, `search/`, `mkdocs.yml`); one run of
every command first makes the caches and the checked model exports. Then the commands run in
rounds, and with `--baseline` this checkout and revision REV (a temporary worktree) take turns
inside each round, so both meet the same load on this noisy machine. Both codes are compiled
first (`compileall`), as scripts/setup.sh does. Prints the median wall time and the peak memory
(`/usr/bin/time`) of each command, and their ratio.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
COMMANDS = {
    "suggest en": ["suggest", "Where is my parcel? It was due on Monday"],
    "suggest nl": ["suggest", "Waar blijft mijn pakket? Het zou maandag komen"],
    "suggest sv": ["suggest", "Hur ändrar jag leveransadressen för min beställning?"],
    "search": ["search", "parcel"],
}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=7)
    parser.add_argument("--baseline", metavar="REV", help="also measure this git revision")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="kb-bench-cold-") as tmp:
        root = Path(tmp)
        codes = {"now": REPO}
        if args.baseline:
            tree = root / "baseline"
            subprocess.run(
                ["git", "worktree", "add", "-q", "--detach", str(tree), args.baseline],
                cwd=REPO,
                check=True,
            )
            codes = {args.baseline: tree, "now": REPO}
        try:
            return _measure(root, codes, args.rounds)
        finally:
            if args.baseline:
                subprocess.run(["git", "worktree", "remove", "--force", str(tree)], cwd=REPO)


def _measure(root: Path, codes: dict[str, Path], rounds: int) -> int:
    kbs = {}
    for label, code in codes.items():
        subprocess.run([sys.executable, "-m", "compileall", "-q", str(code / "kb")], check=True)
        kb = root / f"kb-{len(kbs)}"
        kb.mkdir()
        for name in ("articles", "search"):
            shutil.copytree(REPO / name, kb / name)
        shutil.copy2(REPO / "mkdocs.yml", kb / "mkdocs.yml")
        kbs[label] = kb
        for argv in COMMANDS.values():  # caches and model exports, once
            if _run(code, kb, argv) is None:
                return 1
    times: dict[tuple[str, str], list[float]] = {}
    peaks: dict[tuple[str, str], int] = {}
    for _ in range(rounds):
        for name, argv in COMMANDS.items():
            for label, code in codes.items():
                found = _run(code, kbs[label], argv)
                if found is None:
                    return 1
                times.setdefault((name, label), []).append(found[0])
                peaks[(name, label)] = max(peaks.get((name, label), 0), found[1])
    labels = list(codes)
    head = " | ".join(f"{x} s | {x} MB" for x in labels)
    ratio = f" | {labels[1]}/{labels[0]} s" if len(labels) == 2 else ""
    print(f"\n| command | {head}{ratio} |")
    print("| --- |" + " ---: |" * (2 * len(labels) + (1 if ratio else 0)))
    for name in COMMANDS:
        medians = [statistics.median(times[(name, x)]) for x in labels]
        cells = " | ".join(
            f"{m:.2f} | {peaks[(name, x)]}" for m, x in zip(medians, labels, strict=True)
        )
        tail = f" | {medians[1] / medians[0]:.2f}" if ratio else ""
        print(f"| kb {name} | {cells}{tail} |")
    print(f"\n(median of {rounds} runs each; peak: the highest of them)")
    return 0


def _run(code: Path, kb: Path, argv: list[str]) -> tuple[float, int] | None:
    """Run one kb command with `code`'s kb in the KB folder: (seconds, peak MB), None on error."""
    timer = ["/usr/bin/time", "-f", "MAXRSS %M"]
    env = {**_env(), "PYTHONPATH": str(code)}
    t = time.perf_counter()
    done = subprocess.run(
        [*timer, sys.executable, "-m", "kb", *argv],
        cwd=kb,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    seconds = time.perf_counter() - t
    if done.returncode != 0:
        print(f"kb {' '.join(argv)} ({code}) failed:\n{done.stderr}", file=sys.stderr)
        return None
    peak = max(
        (int(x.split()[1]) // 1024 for x in done.stderr.splitlines() if x.startswith("MAXRSS")),
        default=0,
    )
    return seconds, peak


def _env() -> dict[str, str]:
    return {**os.environ, "HF_HUB_OFFLINE": "1"}


if __name__ == "__main__":
    sys.exit(main())
