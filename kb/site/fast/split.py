"""Render a site build's pages in two processes: a forked child renders every other page.

MkDocs renders page by page on one core. `kb build` forks a second renderer once the plugin has
set up the build (after `on_files`): both processes go on through MkDocs' own build loop, each
rendering its half of the pages and writing them into the same build folder; the child skips
the static files and theme templates. The child's warnings and errors travel back over a pipe
and are logged by the parent, so `--strict` and error reports see them once. Nothing here
imports mkdocs: the files are duck-typed (`is_modified()`, `dest_uri`).
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import signal
import threading
from collections.abc import Callable, Sequence
from typing import Any

from kb.core import fs
from kb.core.errors import KBError
from kb.site import LOGGER

MIN_PAGES = 150  # below this, forking costs more than it saves
RELAYED = (LOGGER,)  # loggers whose warnings the child sends to the parent


def _skip() -> bool:
    return False


class _Relay(logging.Handler):
    """Keep the child's warnings and errors for the parent."""

    def __init__(self) -> None:
        super().__init__(level=logging.WARNING)
        self.records: list[tuple[str, int, str]] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append((record.name, record.levelno, record.getMessage()))


def _quiet(record: logging.LogRecord) -> bool:
    return record.levelno < logging.WARNING


class RenderSplit:
    """One side of a two-process render: `child` is True in the forked renderer.

    The child sends each page it renders (path and HTML) to the parent as it goes, so the parent
    can index it for search at once, then a report with its warnings and its error, if any.
    """

    def __init__(self, child: bool, pid: int, fd: int, pages: list[str]) -> None:
        self.child = child
        self.pid = pid
        self.fd = fd
        self.pages = pages  # the child's pages (site-relative output paths)
        self._relay: _Relay | None = None
        self._out: Any = None
        self._reader: threading.Thread | None = None
        self._report: dict[str, Any] = {}

    @classmethod
    def start(
        cls, pages: Sequence[Any], others: Sequence[Any], minimum: int | None = None
    ) -> RenderSplit | None:
        """Fork a renderer for every other page of `pages`; None when not worth it or unsafe.

        `pages` are the documentation files this build renders, `others` every file the child
        must not write (static files). Forking needs a single-threaded process with two cores.
        """
        if len(pages) < (MIN_PAGES if minimum is None else minimum) or not fs.can_fork(cores=2):
            return None
        ordered = sorted(pages, key=lambda f: f.dest_uri)
        mine, theirs = ordered[0::2], ordered[1::2]
        reader, writer = os.pipe()
        pid = os.fork()
        if pid == 0:  # the child: render `theirs`, nothing else
            os.close(reader)
            for file in [*mine, *others]:
                setattr(file, "is_modified", _skip)  # noqa: B010 - MkDocs then skips it
            split = cls(True, os.getpid(), writer, [f.dest_uri for f in theirs])
            split._out = os.fdopen(writer, "wb")
            split._relay_logs()
            return split
        os.close(writer)
        for file in theirs:
            setattr(file, "is_modified", _skip)  # noqa: B010
        return cls(False, pid, reader, [f.dest_uri for f in theirs])

    def _relay_logs(self) -> None:
        """In the child: hold back warnings from the console and keep them for the parent."""
        for logger in (logging.getLogger(), *map(logging.getLogger, RELAYED)):
            for handler in logger.handlers:
                handler.addFilter(_quiet)
        self._relay = _Relay()
        for name in RELAYED:
            logging.getLogger(name).addHandler(self._relay)

    def send_page(self, path: str, html: str) -> None:
        """In the child: pass a rendered page to the parent."""
        data = html.encode("utf-8", errors="xmlcharrefreplace")
        self._out.write(f"P {len(data)} {path}\n".encode() + data)

    def finish_child(self, error: str | None = None) -> None:
        """In the child: send the warnings (and the error, if any) to the parent and exit."""
        records = self._relay.records if self._relay is not None else []
        data = json.dumps({"error": error, "records": records}).encode()
        try:
            self._out.write(f"R {len(data)} -\n".encode() + data)
            self._out.close()
        finally:
            os._exit(1 if error else 0)

    def receive(self, on_page: Callable[[str, str], None]) -> None:
        """In the parent: call on_page(path, html) for each page the child renders, in a thread."""
        self._reader = threading.Thread(
            target=self._read, args=(on_page,), name="kb-render", daemon=True
        )
        self._reader.start()

    def _read(self, on_page: Callable[[str, str], None] | None) -> None:
        with os.fdopen(self.fd, "rb") as stream:
            while header := stream.readline():
                kind, size, path = header.decode().rstrip("\n").split(" ", 2)
                data = stream.read(int(size))
                if kind == "R":
                    self._report = json.loads(data)
                elif on_page is not None:
                    on_page(path, data.decode("utf-8"))

    def join(self) -> None:
        """In the parent: wait for the child, log its warnings; raise KBError if it failed."""
        if self._reader is None:
            self._read(None)
        else:
            self._reader.join()
        _, status = os.waitpid(self.pid, 0)
        code = os.waitstatus_to_exitcode(status)
        for name, level, text in self._report.get("records", []):
            logging.getLogger(name).log(level, text)
        if code != 0 or self._report.get("error"):
            error = self._report.get("error") or f"it died (exit code {code})"
            raise KBError(f"the second page renderer failed: {error}")

    def abort(self) -> None:
        """In the parent: stop the child of a failed build."""
        with contextlib.suppress(ProcessLookupError):
            os.kill(self.pid, signal.SIGTERM)
        if self._reader is None:
            with contextlib.suppress(OSError):
                os.close(self.fd)
        with contextlib.suppress(ChildProcessError):
            os.waitpid(self.pid, 0)
        if self._reader is not None:
            self._reader.join(timeout=10)
