"""The ticket assistant's drafts: `POST /api/drafts` turns a pasted ticket into a draft article.

The draft is what `kb new --from-ticket` writes (kb.authoring.pasted, which the server gets by
name: server code may not import authoring). It comes back as Markdown to download; with
`kb serve --internal --write-drafts` (a writable checkout) it is also written below the articles
folder, never over another file.
"""

from __future__ import annotations

import logging
import pkgutil
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol, cast

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from kb.server.input import ApiError, get_lang, need_text, read_json
from kb.server.kcs import ticket_id
from kb.suggest.cleaning import clean_text
from kb.suggest.tickets import Ticket

if TYPE_CHECKING:
    from kb.core.collection import KnowledgeBase
    from kb.core.settings import Settings
    from kb.server.options import ServerOptions
    from kb.server.snapshot import Snapshot

log = logging.getLogger(__name__)
TEXT_MAX = 20_000


class Drafter(Protocol):
    """Makes a draft from a ticket: kb.authoring.pasted.ticket_draft (given by name)."""

    def __call__(
        self, ticket: Ticket, settings: Settings, kb: KnowledgeBase | None
    ) -> tuple[str, str, str]: ...


def write_draft(docs_dir: Path, rel: str, text: str) -> Path:
    """Write a draft below `docs_dir`; refuse to overwrite (FileExistsError)."""
    path = docs_dir / rel
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("x", encoding="utf-8") as fh:
        fh.write(text)
    return path


def load_drafter(name: str) -> Drafter | None:
    """The drafter `name` ("module:function") names; None for "" (this server makes no drafts)."""
    return cast("Drafter", pkgutil.resolve_name(name)) if name else None


class ApiLike(Protocol):
    """What the endpoint uses of kb.server.api.Api."""

    options: ServerOptions
    languages: list[str]
    settings: Settings

    def internal(self, request: Request) -> bool: ...

    def snapshot(self, request: Request) -> Snapshot: ...


class DraftsApi:
    """POST /api/drafts {"text", "subject"?, "ticket"?, "lang"?}: agents only."""

    def __init__(self, api: ApiLike, drafter: Drafter | None, write: bool = False) -> None:
        self.api = api
        self.drafter = drafter
        self.write = write

    async def post(self, request: Request) -> Response:
        """The draft as Markdown (and its path when this server writes drafts)."""
        if not self.api.internal(request):
            raise ApiError(401, "sign in (or send the API token) to draft articles")
        if self.drafter is None:
            raise ApiError(501, "this server makes no drafts (kb serve --internal does)")
        options = self.api.options
        body = await read_json(request, options.max_body, options.body_timeout)
        text = clean_text(need_text(body, "text", TEXT_MAX))  # quotes, signature, personal data
        subject = body.get("subject") or ""
        if not isinstance(subject, str) or len(subject) > 500:
            raise ApiError(400, "subject: expected text of at most 500 characters", "subject")
        tid = ticket_id(body["ticket"]) if body.get("ticket") else ""
        lang = get_lang(body.get("lang"), self.api.languages)
        if not text and not subject.strip():
            raise ApiError(400, "text: nothing left to draft from after cleaning", "text")
        ticket = Ticket(tid, clean_text(subject), text, lang=lang)
        settings = self.api.settings
        snap = self.api.snapshot(request)
        article_id, rel, markdown = self.drafter(ticket, settings, snap.kb)
        out: dict[str, Any] = {"id": article_id, "filename": Path(rel).name, "markdown": markdown}
        out["path"] = None
        if self.write:
            try:
                path = await run_in_threadpool(write_draft, settings.docs_dir, rel, markdown)
            except FileExistsError:
                raise ApiError(409, f"{rel} exists already; not overwritten") from None
            except OSError as exc:
                log.warning("draft not written to %s: %s", rel, exc.strerror)
                raise ApiError(
                    409, "this server cannot write drafts; download it instead"
                ) from None
            out["path"] = (Path(settings.docs_dir.name) / rel).as_posix()
            log.info("draft %s written by the ticket assistant", path)
        return JSONResponse(out, status_code=201)
