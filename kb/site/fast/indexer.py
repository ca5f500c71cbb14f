"""The kb search index built in a forked process while MkDocs renders, its failure reported back."""

from __future__ import annotations

import logging
from typing import Any

from kb.core import fs
from kb.core.collection import KnowledgeBase
from kb.core.errors import KBError
from kb.search.index import build_index

log = logging.getLogger(__name__)


class IndexProcess:
    """build_index(kb) in a forked child, so it runs on another core while MkDocs renders."""

    def __init__(self, process: Any, reader: Any) -> None:
        self.process = process
        self.reader = reader

    @classmethod
    def start(cls, kb: KnowledgeBase) -> IndexProcess | None:
        """Fork the indexer; None where forking is unsafe (threads running) or unavailable."""
        import multiprocessing

        if not fs.can_fork():
            return None
        ctx = multiprocessing.get_context("fork")
        reader, writer = ctx.Pipe(duplex=False)
        process = ctx.Process(target=_index_child, args=(kb, writer), name="kb-index")
        process.start()
        writer.close()
        return cls(process, reader)

    def join(self) -> None:
        """Wait for the child; raise KBError with its message when it failed."""
        try:
            message: str | None = self.reader.recv()
        except EOFError:  # the child closed the pipe without a message: it succeeded or died
            message = None
        self.wait()
        if message is None and self.process.exitcode != 0:
            message = f"the indexing process died (exit code {self.process.exitcode})"
        if message is not None:
            raise KBError(f"the search index was not built: {message}")

    def wait(self) -> None:
        """Wait for the child to end and release its pipe."""
        self.process.join()
        self.reader.close()


def _index_child(kb: KnowledgeBase, writer: Any) -> None:
    try:
        build_index(kb)
    except KBError as exc:
        writer.send(str(exc))
    except Exception as exc:  # report it to the parent; a traceback goes to stderr
        log.debug("the search index failed", exc_info=True)
        writer.send(f"{type(exc).__name__}: {exc}")
    writer.close()
