"""The Article: one validated Markdown file with its metadata and derived values; no I/O."""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

from kb.core.schema import Duration, Product
from kb.core.text import Section, sections


@dataclass(frozen=True, eq=False)
class Article:
    """A knowledge-base article: metadata (normalised by the schema), Markdown body and hashes."""

    rel_path: str  # posix path below the articles folder, e.g. "en/account/reset-password.md"
    meta: Mapping[str, Any]
    body: str
    body_line: int = 1
    key_lines: Mapping[str, int] = field(default_factory=dict)
    item_lines: Mapping[str, list[int]] = field(default_factory=dict)
    content_hash: str = ""  # hash of the whole file: caches and incremental indexing key on it

    # -- metadata ------------------------------------------------------------------------------
    @property
    def id(self) -> str:
        """The article's unique id."""
        return str(self.meta["id"])

    @property
    def title(self) -> str:
        """The article's title."""
        return str(self.meta["title"])

    @property
    def type(self) -> str:
        """solution, faq, sop or troubleshooting."""
        return str(self.meta.get("type", "solution"))

    @property
    def audience(self) -> str:
        """public or internal."""
        return str(self.meta.get("audience", "public"))

    @property
    def status(self) -> str:
        """draft, review, published or archived."""
        return str(self.meta.get("status", "published"))

    @property
    def lang(self) -> str:
        """Language code."""
        return str(self.meta.get("lang", "en"))

    @property
    def translation_of(self) -> str | None:
        """Id of the source article when this is a translation."""
        return self.meta.get("translation_of")

    @property
    def source_hash(self) -> str | None:
        """On a translation: text hash of the source it was translated from."""
        return self.meta.get("source_hash")

    @property
    def category(self) -> str | None:
        """Category slug."""
        return self.meta.get("category")

    @property
    def tags(self) -> tuple[str, ...]:
        """Free keywords."""
        return tuple(self.meta.get("tags", ()))

    @property
    def products(self) -> tuple[Product, ...]:
        """Products the article applies to."""
        return tuple(self.meta.get("products", ()))

    @property
    def owner(self) -> str | None:
        """Person or team that owns the article."""
        return self.meta.get("owner")

    @property
    def reviewed(self) -> dt.date | None:
        """Date of the last review."""
        return self.meta.get("reviewed")

    @property
    def review_every(self) -> Duration | None:
        """Review interval."""
        return self.meta.get("review_every")

    @property
    def summary(self) -> str:
        """One-sentence summary ("" when none)."""
        return str(self.meta.get("summary", ""))

    @property
    def related(self) -> tuple[str, ...]:
        """Ids of related articles."""
        return tuple(self.meta.get("related", ()))

    @property
    def department(self) -> str | None:
        """Department an SOP applies to."""
        return self.meta.get("department")

    @property
    def tickets(self) -> tuple[str, ...]:
        """Ids of the tickets the fix came from."""
        return tuple(self.meta.get("tickets", ()))

    @property
    def aliases(self) -> tuple[str, ...]:
        """Old site paths that redirect to this article, without a leading "/"."""
        return tuple(self.meta.get("aliases", ()))

    # -- derived -------------------------------------------------------------------------------
    @property
    def is_public(self) -> bool:
        """True when the article belongs on the public site: public audience and published."""
        return self.audience == "public" and self.status == "published"

    @property
    def is_live(self) -> bool:
        """True when the article belongs on a site at all (published; internal ones on the agents' site)."""
        return self.status == "published"

    @property
    def source_id(self) -> str:
        """Id of the article this one translates, or its own id: the key of a translation group."""
        return self.translation_of or self.id

    @property
    def url(self) -> str:
        """Site-relative URL with directory URLs, e.g. "en/account/reset-password/"."""
        stem = self.rel_path.removesuffix(".md")
        if stem == "index" or stem.endswith("/index"):
            stem = stem.removesuffix("index")
            return stem
        return stem + "/"

    @property
    def review_due(self) -> dt.date | None:
        """Date the next review is due, when a review date and interval are known."""
        if self.reviewed is None or self.review_every is None:
            return None
        return self.review_every.after(self.reviewed)

    @cached_property
    def sections(self) -> list[Section]:
        """The body split into plain-text sections."""
        return sections(self.body, self.body_line)

    @cached_property
    def text_hash(self) -> str:
        """Hash of what a reader reads (title, summary, body): translations compare against it."""
        data = "\n".join((self.title, self.summary, self.body.strip())).encode("utf-8")
        return hashlib.sha256(data).hexdigest()[:16]

    def line_of(self, key: str, item: int | None = None) -> int:
        """File line of a front-matter key, or of its list item `item` (1 when absent)."""
        if item is not None and item < len(self.item_lines.get(key, ())):
            return self.item_lines[key][item]
        return self.key_lines.get(key, 1)

    def __repr__(self) -> str:
        return f"Article({self.id!r}, {self.rel_path!r})"
