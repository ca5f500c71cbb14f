"""How `kb serve` runs uvicorn: its HTTP protocol with header and body deadlines against slow clients.

uvicorn itself closes idle keep-alive connections but has no deadline for a request that is still
arriving: a client trickling its headers one byte a second holds a connection for ever. The
protocol here arms a timer when a connection opens (and when each further request on it begins)
that the end of the headers cancels, and one for the body that its end cancels. When one fires,
the client gets `408 Request Timeout` (if nothing was answered yet) and the connection is closed.
"""

from __future__ import annotations

import asyncio
import functools
import logging
from typing import Any

import uvicorn
from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

from kb.server.options import ServerOptions

log = logging.getLogger(__name__)
TIMEOUT_BODY = b'{"error": "the request did not arrive in time"}'
TIMEOUT_RESPONSE = (
    b"HTTP/1.1 408 Request Timeout\r\ncontent-type: application/json\r\n"
    b"content-length: %d\r\nconnection: close\r\n\r\n%s" % (len(TIMEOUT_BODY), TIMEOUT_BODY)
)


def run(app: Any, options: ServerOptions | None = None, **kwargs: Any) -> None:
    """Run `app` (or an app factory's import string) on uvicorn with kb's timeouts until stopped.

    Without `options`, those the app was made with (`create_app` keeps them in app.state).
    """
    if options is None:
        options = getattr(getattr(app, "state", None), "options", None) or ServerOptions()
    uvicorn.run(app, **uvicorn_options(options), **kwargs)


def uvicorn_options(options: ServerOptions) -> dict[str, Any]:
    """The uvicorn settings that carry kb's timeouts: the protocol and the keep-alive time."""
    return {"http": protocol(options), "timeout_keep_alive": max(1, round(options.keep_alive))}


def protocol(options: ServerOptions) -> Any:
    """uvicorn's `http` setting: the timed protocol with these options (picklable, for --workers)."""
    return functools.partial(
        TimedHttpProtocol,
        header_timeout=options.header_timeout,
        body_timeout=options.body_timeout,
    )


class TimedHttpProtocol(HttpToolsProtocol):
    """uvicorn's httptools protocol with deadlines for a request's headers and its body."""

    def __init__(
        self,
        *args: Any,
        header_timeout: float = 10.0,
        body_timeout: float = 30.0,
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.header_timeout = header_timeout
        self.body_timeout = body_timeout
        self.deadline: asyncio.TimerHandle | None = None
        self.receiving = False  # a request has begun and its headers are not all in

    def arm(self, seconds: float, part: str) -> None:
        """Close the connection unless the request's `part` has arrived in `seconds`."""
        self.disarm()
        if seconds > 0:
            self.deadline = self.loop.call_later(seconds, self.expire, part, seconds)

    def disarm(self) -> None:
        """Cancel the running deadline, if any."""
        if self.deadline is not None:
            self.deadline.cancel()
            self.deadline = None

    def expire(self, part: str, seconds: float) -> None:
        """A deadline passed: answer 408 to a request under way (not to an idle line); close."""
        self.deadline = None
        if self.transport is None or self.transport.is_closing():
            return
        cycle = self.cycle
        log.info("%s: request %s not complete after %g s; closing", self.client, part, seconds)
        if part == "headers" and self.receiving and (cycle is None or cycle.response_complete):
            self.transport.write(TIMEOUT_RESPONSE)
        elif part == "body" and cycle is not None and not cycle.response_started:
            self.transport.write(TIMEOUT_RESPONSE)
            cycle.disconnected = True  # the app's receive() now says http.disconnect
            cycle.message_event.set()
        self.transport.close()

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        """A new connection: its first request line and headers are due in header_timeout."""
        super().connection_made(transport)
        self.arm(self.header_timeout, "headers")

    def connection_lost(self, exc: Exception | None) -> None:
        """The connection is gone: no deadline any more."""
        self.disarm()
        super().connection_lost(exc)

    def on_message_begin(self) -> None:
        """A request begins (the first, or a further one on a kept-alive connection)."""
        super().on_message_begin()
        self.receiving = True
        if self.deadline is None:
            self.arm(self.header_timeout, "headers")

    def on_headers_complete(self) -> None:
        """The headers are in: now the body is due (cancelled at once when there is none)."""
        super().on_headers_complete()
        self.receiving = False
        self.arm(self.body_timeout, "body")

    def on_message_complete(self) -> None:
        """The whole request is in: no deadline while the app answers."""
        self.disarm()
        super().on_message_complete()
