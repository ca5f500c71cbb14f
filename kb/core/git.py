"""Running git quietly: its output, or None when git is missing, the folder is no work tree, or it fails."""

from __future__ import annotations

import logging
import os
import shutil
import subprocess
from pathlib import Path

log = logging.getLogger(__name__)


def run_git(
    args: list[str],
    cwd: Path,
    *,
    stdin: str | None = None,
    quiet: bool = False,
    timeout: float | None = None,
) -> str | None:
    """git's standard output in `cwd` (UTF-8, pager off, C locale), or None; failures are logged."""
    if shutil.which("git") is None or not Path(cwd).is_dir():
        return None
    try:
        done = subprocess.run(
            ["git", *args],
            cwd=cwd,
            input=stdin,
            capture_output=True,
            text=True,
            encoding="utf-8",
            errors="replace",
            env={**os.environ, "GIT_PAGER": "cat", "LC_ALL": "C"},
            timeout=timeout,
            check=False,
        )
    except (OSError, subprocess.TimeoutExpired) as exc:
        log.info("git %s failed: %s", " ".join(args), exc)
        return None
    if done.returncode != 0:
        (log.debug if quiet else log.info)("git %s: %s", " ".join(args), done.stderr.strip())
        return None
    return done.stdout
