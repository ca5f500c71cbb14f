"""Where a site build writes: a folder beside the live site, swapped in only when the build succeeds."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

from kb.core import fs
from kb.core.cache import SITE_STAMP
from kb.core.errors import KBError
from kb.core.settings import Settings


class Staging:
    """The new site's folder beside `target`, holding hard links to the previous build's files.

    The build unlinks each file before rewriting it, so the live site keeps its own copy until the
    swap. With `parallel` (the default) the links are made by `cp -al` in its own process, started
    before MkDocs is imported and configured, so they cost the build no time on its own core, and
    old sites are deleted in the background; without, both happen here, in turn.
    """

    def __init__(
        self,
        target: Path,
        folder: Path,
        linker: subprocess.Popen[bytes] | None,
        parallel: bool = True,
    ) -> None:
        self.target = target
        self.folder = folder
        self.parallel = parallel
        self._linker = linker

    @classmethod
    def for_site(cls, settings: Settings, internal: bool = False, full: bool = False) -> Staging:
        """Start the folder for the public (or internal) site; a full build links nothing in."""
        target = settings.internal_site_dir if internal else settings.site_dir
        return cls.start(target, reuse=not full, parallel=settings.parallel)

    @classmethod
    def start(cls, target: Path, reuse: bool = True, parallel: bool = True) -> Staging:
        """Make the folder; with `reuse`, start linking in the previous build when there is one."""
        target.parent.mkdir(parents=True, exist_ok=True)
        fs.clean_leftovers(target.parent, leftovers(target), background=parallel)
        folder = fs.scratch_folder(f".{target.name}.new-", target.parent)
        linker = None
        if reuse and (target / SITE_STAMP).is_file():
            linker = fs.start_linking(target, folder) if parallel else None
            if linker is None:
                _link(target, folder)
        return cls(target, folder, linker, parallel)

    def ready(self) -> Path:
        """Wait until the previous build is linked in (by Python if cp failed); return the folder."""
        linker, self._linker = self._linker, None
        if linker is not None and linker.wait() != 0:
            shutil.rmtree(self.folder, ignore_errors=True)
            self.folder.mkdir()
            _link(self.target, self.folder)
        return self.folder

    def commit(self) -> Path:
        """Swap the finished build in for the live site; return the target."""
        self.ready()
        os.chmod(self.folder, 0o777 & ~fs.current_umask())  # cp -a kept the old site's mode
        fs.swap_in(self.folder, self.target, background=self.parallel)
        return self.target

    def close(self) -> None:
        """Delete what is left of an uncommitted build."""
        linker, self._linker = self._linker, None
        if linker is not None:
            linker.kill()
            linker.wait()
        if self.folder.exists():
            fs.discard([self.folder], beside=self.folder, background=self.parallel)


def leftovers(target: Path) -> tuple[str, ...]:
    """Name prefixes of the scratch folders a build of `target` makes beside it."""
    return (f".{target.name}.new-", f".{target.name}.old-", ".kb-trash-", ".kb-pagefind-")


def _link(source: Path, dest: Path) -> None:
    try:
        fs.link_tree(source, dest)
    except OSError as exc:
        raise KBError(f"{source}: could not link the previous build: {exc}") from None
