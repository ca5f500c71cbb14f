"""Files done one way: atomic writes, hard-linked trees, folder swaps, deletes, locks and forking.

Every part of kb that must never leave a half-written file or folder behind (the site, the
search index, caches, the server's copies of a build) uses these, so each mechanism is written
once: write beside the target and rename over it; link what is unchanged; lock with flock.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

try:
    import fcntl
except ImportError:  # pragma: no cover - Windows: no locks, so no shared caches or mirrors
    fcntl = None  # type: ignore[assignment]

REMOVE = "import shutil, sys; shutil.rmtree(sys.argv[1], True)"


# -- files ---------------------------------------------------------------------------------------
def current_umask() -> int:
    """The process's umask (0o022 on most machines)."""
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


def scratch_folder(prefix: str, beside: Path) -> Path:
    """A new folder `PREFIX<pid>-XXXX` in `beside`, with the umask's permissions (not 0700).

    The pid in its name lets a later run tell a killed run's leftovers from a live run's folder.
    """
    folder = Path(tempfile.mkdtemp(prefix=f"{prefix}{os.getpid()}-", dir=beside))
    os.chmod(folder, 0o777 & ~current_umask())
    return folder


def clean_leftovers(beside: Path, prefixes: tuple[str, ...], *, background: bool = True) -> int:
    """Delete scratch folders in `beside` that runs killed before they finished left; return how many."""
    stale = []
    try:
        entries = list(beside.iterdir())
    except OSError:
        return 0
    for entry in entries:
        prefix = next((p for p in prefixes if entry.name.startswith(p)), None)
        if prefix is None or not entry.is_dir() or entry.is_symlink():
            continue
        pid_text = entry.name[len(prefix) :].split("-", 1)[0]
        pid = int(pid_text) if pid_text.isdigit() else None
        if pid is None or (pid != os.getpid() and not pid_alive(pid)):
            stale.append(entry)
    discard(stale, beside=beside / "x", background=background)
    return len(stale)


def write_atomic(path: Path, data: bytes | str, *, durable: bool = False) -> None:
    """Write `data` to `path` through a temporary file beside it: a reader sees all or nothing.

    With `durable`, the bytes reach the disk before the rename (for pointers such as CURRENT).
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f"{path.name}.{os.getpid()}.{threading.get_ident()}.tmp")
    raw = data.encode("utf-8") if isinstance(data, str) else data
    try:
        with open(tmp, "wb") as handle:
            handle.write(raw)
            if durable:
                handle.flush()
                os.fsync(handle.fileno())
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


def write_changed(path: Path, data: bytes | str) -> bool:
    """Write `data` atomically unless `path` holds those bytes already; True when written.

    A built site's files may be hard links into the live site: they are replaced, never written
    through, and an unchanged one keeps its identity (what incremental rebuilds compare).
    """
    raw = data.encode("utf-8") if isinstance(data, str) else data
    try:
        if path.read_bytes() == raw:
            return False
    except OSError:
        pass
    write_atomic(path, raw)
    return True


def file_identity(path: Path) -> list[int]:
    """Which file `path` is, as far as a cache can tell: device, inode, mtime and size."""
    st = path.stat()
    return [st.st_dev, st.st_ino, st.st_mtime_ns, st.st_size]


# -- trees ---------------------------------------------------------------------------------------
def link_tree(
    source: Path, dest: Path, *, skip: Callable[[Path], bool] | None = None, copy: bool = False
) -> None:
    """Hard-link every file below `source` into `dest` (which may exist); folders are made.

    `skip(path)` leaves a file out. With `copy`, a file that cannot be linked (another file
    system) is copied instead; without, the OSError is raised.
    """
    for folder, dirs, names in os.walk(source):
        rel = Path(folder).relative_to(source)
        (dest / rel).mkdir(parents=True, exist_ok=True)
        dirs.sort()
        for name in names:
            src = Path(folder, name)
            if skip is not None and skip(src):
                continue
            try:
                os.link(src, dest / rel / name)
            except OSError:
                if not copy:
                    raise
                shutil.copy2(src, dest / rel / name)


def start_linking(source: Path, dest: Path) -> subprocess.Popen[bytes] | None:
    """Hard-link `source` into `dest` with GNU `cp -al` in its own process; None where there is none.

    The caller waits for it (`wait() == 0`) before using `dest`, and links by `link_tree` when
    it failed.
    """
    cp = shutil.which("cp") if sys.platform.startswith("linux") else None
    if cp is None:
        return None
    return subprocess.Popen(
        [cp, "-al", "--", f"{source}/.", f"{dest}/"],
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )


def swap_in(new: Path, target: Path, *, background: bool = True) -> None:
    """Replace the folder `target` by `new` with two renames; the old one is deleted after."""
    if not target.exists():
        new.rename(target)
        return
    old = scratch_folder(f".{target.name}.old-", target.parent) / "site"
    target.rename(old)
    try:
        new.rename(target)
    except OSError:
        old.rename(target)
        raise
    discard([old.parent], beside=target, background=background)


def discard(paths: list[Path], beside: Path, *, background: bool = True) -> None:
    """Move files or folders out of the way at once, then delete them.

    With `background`, a detached process deletes them: thousands of files take seconds on some
    disks, and nobody waits for that.
    """
    paths = [p for p in paths if p.exists() or p.is_symlink()]
    if not paths:
        return
    trash = scratch_folder(".kb-trash-", beside.parent)
    for i, path in enumerate(paths):
        path.rename(trash / f"{i}-{path.name}")
    if not background:
        shutil.rmtree(trash, ignore_errors=True)
        return
    rm = shutil.which("rm") if os.name == "posix" else None
    command = [rm, "-rf", "--"] if rm else [sys.executable, "-c", REMOVE]
    subprocess.Popen(
        [*command, str(trash)],
        start_new_session=True,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )


# -- generations ---------------------------------------------------------------------------------
class Generations:
    """Numbered folders (g000001, g000002 ...) below `root`, and a CURRENT file naming the live one.

    A writer fills a new generation (`new()`), then `publish`es it: CURRENT is replaced
    atomically, so a reader always opens one complete generation. The newest `keep` stay.
    """

    def __init__(self, root: Path, complete: str, keep: int = 3) -> None:
        self.root = root
        self.complete = complete  # the file a finished generation holds
        self.keep = keep

    def current(self) -> Path | None:
        """The live generation folder, or None when there is none yet."""
        name = self.current_name()
        path = self.root / name if name else None
        return path if path is not None and (path / self.complete).is_file() else None

    def current_name(self) -> str | None:
        """The name CURRENT holds (None when unreadable): cheap, for watchers."""
        try:
            return (self.root / "CURRENT").read_text(encoding="utf-8").strip()
        except OSError:
            return None

    def new(self) -> Path:
        """The folder of the next generation (not made yet)."""
        numbers = [int(p.name[1:]) for p in self.root.glob("g[0-9]*") if p.name[1:].isdigit()]
        return self.root / f"g{max(numbers, default=0) + 1:06d}"

    def publish(self, gen: Path) -> None:
        """Make `gen` the live generation and delete all but the newest `keep`."""
        write_atomic(self.root / "CURRENT", gen.name, durable=True)
        older = sorted(p for p in self.root.glob("g[0-9]*") if p.is_dir() and p != gen)
        for old in older[: max(0, len(older) - (self.keep - 1))]:
            shutil.rmtree(old, ignore_errors=True)


# -- locks ---------------------------------------------------------------------------------------
def lock(path: Path, wait: float | None = None) -> int | None:
    """Take an exclusive flock on `path` (made if missing); the descriptor to `unlock`, or None.

    `wait` None blocks until the lock is free; a number gives up after that many seconds.
    None is also returned where files cannot be locked (no fcntl, a read-only folder).
    """
    if fcntl is None:  # pragma: no cover
        return None
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    except OSError:
        return None
    if wait is None:
        fcntl.flock(fd, fcntl.LOCK_EX)
        return fd
    deadline = time.monotonic() + wait
    while True:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            return fd
        except OSError:
            if time.monotonic() >= deadline:
                os.close(fd)
                return None
            time.sleep(0.02)


def unlock(fd: int | None) -> None:
    """Release a lock `lock` took."""
    if fd is not None:
        with contextlib.suppress(OSError):
            os.close(fd)


def held(path: Path) -> bool:
    """True while someone holds `lock` on `path` (another process, or this one on another fd)."""
    if fcntl is None:  # pragma: no cover
        return False
    try:
        fd = os.open(path, os.O_RDONLY)
    except OSError:  # no such file: nobody ever locked it
        return False
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        return True
    finally:
        os.close(fd)  # and with it the lock this took
    return False


@contextlib.contextmanager
def locked(path: Path) -> Iterator[None]:
    """`with locked(path):` holds the lock on `path` for the block (waiting for it)."""
    fd = lock(path)
    try:
        yield
    finally:
        unlock(fd)


@contextlib.contextmanager
def holding(fd: int) -> Iterator[None]:
    """Hold an exclusive flock on an open descriptor for the block (a file several processes map)."""
    if fcntl is None:  # pragma: no cover
        yield
        return
    fcntl.flock(fd, fcntl.LOCK_EX)
    try:
        yield
    finally:
        fcntl.flock(fd, fcntl.LOCK_UN)


# -- processes -----------------------------------------------------------------------------------
def can_fork(cores: int = 1) -> bool:
    """True when this process may fork a worker: fork exists, no other thread runs, cores enough.

    Forking a process with live threads (a server, torch) can deadlock the child.
    """
    import multiprocessing  # here: 10 ms that every kb command would pay on import

    return (
        hasattr(os, "fork")
        and "fork" in multiprocessing.get_all_start_methods()
        and threading.active_count() == 1
        and (os.cpu_count() or 1) >= cores
    )


def pid_alive(pid: int) -> bool:
    """True while a process with this id exists (also one of another user)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True
