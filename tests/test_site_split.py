"""`kb build` renders big sites in two processes: same output, child failures and warnings reach the parent.

Each case (tests/split_cases.py) runs in a fresh interpreter: a test process may have threads
(browser or server fixtures), and the build only forks a single-threaded process.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from split_cases import CASES

pytestmark = pytest.mark.slow
HERE = Path(__file__).resolve().parent


@pytest.mark.parametrize("name", [case.__name__ for case in CASES])
def test_split_render(name: str, tmp_path: Path) -> None:
    result = subprocess.run(
        [sys.executable, str(HERE / "split_cases.py"), name, str(tmp_path)],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-5000:]
    assert result.stdout.strip().endswith(f"{name}: ok")
