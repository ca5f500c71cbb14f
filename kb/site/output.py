"""Where a site build writes: a folder beside the live site, swapped in only when the build succeeds."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from kb.core.errors import KBError
from kb.core.settings import Settings

STAMP = ".kb-build"  # written last into a built site: its structure hash and page hashes
REMOVE = "import shutil, sys; shutil.rmtree(sys.argv[1], True)"


class Staging:
    """The new site's folder beside `target`, holding hard links to the previous build's files.

    The build unlinks each file before rewriting it, so the live site keeps its own copy until the
    swap. Where GNU cp is available the links are made by `cp -al` in its own process, started
    before MkDocs is imported and configured, so they cost the build no time on its own core.
    """

    def __init__(self, target: Path, folder: Path, linker: subprocess.Popen[bytes] | None) -> None:
        self.target = target
        self.folder = folder
        self._linker = linker

    @classmethod
    def for_site(cls, settings: Settings, internal: bool = False, full: bool = False) -> Staging:
        """Start the folder for the public (or internal) site; a full build links nothing in."""
        target = settings.internal_site_dir if internal else settings.site_dir
        return cls.start(target, reuse=not full)

    @classmethod
    def start(cls, target: Path, reuse: bool = True) -> Staging:
        """Make the folder; with `reuse`, start linking in the previous build when there is one."""
        target.parent.mkdir(parents=True, exist_ok=True)
        folder = Path(tempfile.mkdtemp(prefix=f".{target.name}.new-", dir=target.parent))
        linker = None
        if reuse and (target / STAMP).is_file():
            cp = shutil.which("cp") if sys.platform.startswith("linux") else None
            if cp is None:
                _link_tree(target, folder)
            else:
                linker = subprocess.Popen(
                    [cp, "-al", "--", f"{target}/.", f"{folder}/"],
                    stdin=subprocess.DEVNULL,
                    stdout=subprocess.DEVNULL,
                    stderr=subprocess.DEVNULL,
                )
        return cls(target, folder, linker)

    def ready(self) -> Path:
        """Wait until the previous build is linked in (by Python if cp failed); return the folder."""
        linker, self._linker = self._linker, None
        if linker is not None and linker.wait() != 0:
            shutil.rmtree(self.folder, ignore_errors=True)
            self.folder.mkdir()
            _link_tree(self.target, self.folder)
        return self.folder

    def commit(self) -> Path:
        """Swap the finished build in for the live site; return the target."""
        self.ready()
        _swap(self.folder, self.target)
        return self.target

    def close(self) -> None:
        """Delete what is left of an uncommitted build."""
        linker, self._linker = self._linker, None
        if linker is not None:
            linker.kill()
            linker.wait()
        if self.folder.exists():
            discard([self.folder], beside=self.folder)


def _link_tree(source: Path, dest: Path) -> None:
    try:
        shutil.copytree(source, dest, dirs_exist_ok=True, copy_function=os.link)
    except OSError as exc:
        raise KBError(f"{source}: could not link the previous build: {exc}") from None


def _swap(new: Path, target: Path) -> None:
    """Replace `target` by `new` with two renames; the old site is deleted afterwards."""
    if not target.exists():
        new.rename(target)
        return
    old = Path(tempfile.mkdtemp(prefix=f".{target.name}.old-", dir=target.parent)) / "site"
    target.rename(old)
    try:
        new.rename(target)
    except OSError:
        old.rename(target)
        raise
    discard([old.parent], beside=target)


def discard(paths: list[Path], beside: Path) -> None:
    """Move files or folders out of the way and delete them in a background process.

    Deleting thousands of files takes seconds on some disks; the build need not wait for it.
    """
    paths = [p for p in paths if p.exists() or p.is_symlink()]
    if not paths:
        return
    trash = Path(tempfile.mkdtemp(prefix=".kb-trash-", dir=beside.parent))
    for i, path in enumerate(paths):
        path.rename(trash / f"{i}-{path.name}")
    rm = shutil.which("rm") if os.name == "posix" else None
    command = [rm, "-rf", "--"] if rm else [sys.executable, "-c", REMOVE]
    subprocess.Popen(
        [*command, str(trash)],
        start_new_session=True,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
