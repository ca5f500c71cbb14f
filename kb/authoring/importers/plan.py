"""An import's plan: where each article goes, what its links and images become.

Links to other imported articles become placeholders while bodies are converted, and relative
`.md` links with the target heading's kb anchor once every article's headings are known.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import posixpath
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urljoin, urlsplit

from kb.authoring.importers.common import Export, Item, host_of, slug
from kb.authoring.importers.convert import to_markdown
from kb.authoring.importers.rewrite import defuse_html, rewrite_markdown_links
from kb.core.frontmatter import parse
from kb.core.fs import write_atomic
from kb.core.reading import default_id, iter_markdown
from kb.core.text import slugify

PLACEHOLDER = "kbimport-link-{}"
PLACEHOLDER_RE = re.compile(r"kbimport-link-(\d+)")
IMAGE_TYPES = {".png", ".jpg", ".jpeg", ".gif", ".webp", ".avif", ".svg", ".ico", ".bmp"}
MAX_IMAGE = 20 * 1024 * 1024
OURS = ("", "http", "https")
SOURCE_FILE = "kbsrc:"  # the markdown reader's mark of a link to a file of the site


@dataclass
class Result:
    """What an import did: one report line per thing, and the votes to store."""

    lines: list[str] = field(default_factory=list)
    added: int = 0
    updated: int = 0
    unchanged: int = 0
    skipped: int = 0
    votes: list[tuple[str, str, int, int, dt.date | None]] = field(default_factory=list)
    languages: list[str] = field(default_factory=list)
    config_written: bool = False


@dataclass
class _Link:
    item: Item
    target: Item
    anchor: str
    original: str


class Plan:
    """One import into one KB folder."""

    def __init__(self, export: Export, docs_dir: Path, *, dry_run: bool = False) -> None:
        self.export = export
        self.docs_dir = docs_dir
        self.dry_run = dry_run
        self.result = Result()
        self.links: list[_Link] = []
        self.by_key: dict[str, Item] = {}
        self.by_id: dict[str, Item] = {i.id: i for i in export.items}
        # articles of the KB that this export no longer has, by each old address they keep
        self.kept: dict[str, tuple[str, str, dict[str, Any]]] = {}

    # -- paths --------------------------------------------------------------------------------
    def existing(self) -> dict[str, tuple[str, dict[str, Any]]]:
        """Articles already in the KB: id -> (path below the articles folder, front matter)."""
        out: dict[str, tuple[str, dict[str, Any]]] = {}
        if not self.docs_dir.is_dir():
            return out
        for path in iter_markdown(self.docs_dir):
            rel = path.relative_to(self.docs_dir).as_posix()
            try:
                meta = parse(path.read_text(encoding="utf-8")).meta
            except (OSError, UnicodeDecodeError):
                continue
            if isinstance(meta, dict):
                out[str(meta.get("id") or default_id(rel))] = (rel, meta)
        return out

    def place(
        self, category_slugs: dict[str, str], known: dict[str, tuple[str, dict[str, Any]]]
    ) -> None:
        """Give every item its file: where it already is, else lang/category/slug.md."""
        taken = {rel for rel, _ in known.values()}
        sources = {i.id: i for i in self.export.items if not i.translation_of}
        for item in sorted(self.export.items, key=lambda i: (i.translation_of is not None, i.id)):
            if item.id in known:
                item.rel_path = known[item.id][0]
                continue
            src = sources.get(item.translation_of or "") if item.translation_of else None
            stem = (src.slug if src and src.slug else "") or item.slug or slug(item.title)
            item.slug = item.slug or stem
            cat = (
                category_slugs.get((src or item).category or "") if (src or item).category else None
            )
            if src is not None and src.rel_path:  # the source's folders, in this language
                head, _, rest = src.rel_path.partition("/")
                rel = f"{item.lang}/{rest}" if head == src.lang else f"{item.lang}/{src.rel_path}"
            else:
                rel = "/".join(p for p in (item.lang, cat, f"{stem}.md") if p)
            base, n = rel.removesuffix(".md"), 2
            while rel in taken:
                rel, n = f"{base}-{n}.md", n + 1
            taken.add(rel)
            item.rel_path = rel

    # -- links --------------------------------------------------------------------------------
    def key(self, address: str) -> str:
        """The lookup key of an address: path without host, slashes, index.html or .html/.md."""
        path = unquote(urlsplit(address).path).strip("/").lower()
        path = path.removesuffix("index.html").rstrip("/")
        for ext in (".html", ".htm", ".md", ".markdown"):
            path = path.removesuffix(ext)
        return path

    def index(self) -> None:
        """Every address an article had, to find it by any of them."""
        for item in self.export.items:
            for address in [*item.urls, item.page_url]:
                if not address:
                    continue
                for k in self._keys(address):
                    self.by_key.setdefault(k, item)

    def keep(self, known: dict[str, tuple[str, dict[str, Any]]]) -> None:
        """Index the KB's articles this export lacks by their aliases: links to them stay local."""
        ids = {i.id for i in self.export.items}
        for aid, (rel, meta) in known.items():
            aliases = meta.get("aliases")
            if aid in ids or not isinstance(aliases, list):
                continue
            for alias in aliases:
                if isinstance(alias, str) and alias.strip("/"):
                    for k in self._keys("/" + alias.lstrip("/")):
                        self.kept.setdefault(k, (aid, rel, meta))

    def _keys(self, address: str) -> list[str]:
        """Every lookup key of an address: its path's, then the export's own (an id in it)."""
        return [self.key(address), *self._extra(address)]

    def _extra(self, address: str) -> list[str]:
        if self.export.path_keys is None:
            return []
        return self.export.path_keys(unquote(urlsplit(address).path))

    def is_ours(self, absolute: str) -> bool:
        """True when an address belongs to the old help centre (relative, or one of its hosts)."""
        parts = urlsplit(absolute)
        if parts.scheme not in OURS:
            return False
        host = (parts.hostname or "").lower()
        return not host or host in self.export.hosts

    def resolve(self, item: Item, href: str) -> str | None:
        """The new address of a link in `item` (a placeholder until anchors are known), or None."""
        if not href or href.startswith(("mailto:", "tel:", "data:")):
            return None
        if href.lower().startswith(("javascript:", "vbscript:")):
            self.export.note(item.where, "link", f"{href[:40]!r} removed: a script, not a link")
            return ""
        if href.startswith("#"):
            return "#" + item.anchors.get(href[1:], href[1:]) if len(href) > 1 else None
        if href.startswith(SOURCE_FILE):  # a page named by its file: {% link %}, {{< ref >}}
            path, _, fragment = href[len(SOURCE_FILE) :].partition("#")
            found = self.by_key.get(self.key(path))
            if found is None:
                self.export.note(item.where, "link", f"{path}: no imported page from this file")
                return path + (f"#{fragment}" if fragment else "")
            return self._link_to(item, found, fragment, path)
        relative = urlsplit(href)
        if item.base is not None and not relative.scheme and not href.startswith("/"):
            found = self.by_key.get(
                self.key((item.base / unquote(relative.path)).resolve().as_posix())
            )
            if found is not None:  # a link to the file of another page, as MkDocs resolves it
                return self._link_to(item, found, unquote(relative.fragment), href)
        absolute = urljoin(item.page_url, href) if item.page_url else href
        if not self.is_ours(absolute):
            return None
        parts = urlsplit(absolute)
        keys = self._keys(absolute)
        target = next((self.by_key[k] for k in keys if k in self.by_key), None)
        if target is None:
            kept = next((self.kept[k] for k in keys if k in self.kept), None)
            if kept is not None:
                return self._link_to_kept(item, kept, parts.fragment, href)
            if self._is_asset(parts.path):
                return None
            shown = href if len(href) <= 120 else href[:117] + "..."
            self.export.note(
                item.where, "link", f"{shown}: no imported article at this address, kept as it was"
            )
            if not (item.page_url and host_of(absolute)):
                return None
            if item.base is not None and not relative.scheme and parts.path.endswith(".md"):
                # a Markdown site's link to a page not imported: that page's address there
                page = unquote(relative.path).removesuffix(".md")
                for stem in ("_index", "index", "README"):
                    page = page.removesuffix(stem)
                page = page if not page or page.endswith("/") else page + "/"
                absolute = urljoin(item.folder_url or absolute, page or "./")
            return absolute
        return self._link_to(item, target, unquote(parts.fragment), href)

    def _hidden(self, item: Item, target: str, audience: str, status: str, href: str) -> bool:
        """True (and reported) when a public page links to one customers cannot open."""
        if item.audience != "public" or item.status != "published":
            return False
        if audience == "public" and status == "published":
            return False
        self.export.note(
            item.where,
            "link",
            f"{href}: links to {target}, which customers cannot open "
            f"({audience}, {status}): link removed, text kept",
        )
        return True

    def _link_to(self, item: Item, target: Item, fragment: str, href: str) -> str:
        if self._hidden(item, target.id, target.audience, target.status, href):
            return ""
        self.links.append(_Link(item, target, fragment, href))
        return PLACEHOLDER.format(len(self.links) - 1)

    def _link_to_kept(
        self, item: Item, kept: tuple[str, str, dict[str, Any]], fragment: str, href: str
    ) -> str:
        """A link to an article an earlier import wrote and this export no longer has."""
        aid, rel, meta = kept
        audience, status = meta.get("audience", "public"), meta.get("status", "published")
        if self._hidden(item, aid, str(audience), str(status), href):
            return ""
        self.export.note(
            item.where,
            "link",
            f"{href}: links to {aid}, not in this export: kept from an "
            "earlier import, linked there",
        )
        address = posixpath.relpath(rel, posixpath.dirname(item.rel_path) or ".")
        return address + (f"#{unquote(fragment)}" if fragment else "")

    def _is_asset(self, path: str) -> bool:
        return Path(path).suffix.lower() in IMAGE_TYPES | {".pdf", ".zip", ".csv", ".txt"}

    def finish_links(self, item: Item, text: str) -> str:
        """Put the final relative .md link (with the target's anchor) in for each placeholder."""

        def one(m: re.Match[str]) -> str:
            link = self.links[int(m.group(1))]
            rel = posixpath.relpath(link.target.rel_path, posixpath.dirname(item.rel_path) or ".")
            if not link.anchor:
                return rel
            anchor = link.target.anchors.get(link.anchor)
            if anchor is None:
                anchor = link.target.anchors.get(slugify(link.anchor), link.anchor)
                if anchor not in link.target.anchors.values():
                    self.export.note(
                        item.where,
                        "link",
                        f"{link.original}: {link.target.id} has no heading #{link.anchor}, "
                        "anchor kept as it was",
                    )
            return f"{rel}#{anchor}"

        return PLACEHOLDER_RE.sub(one, text)

    # -- images -------------------------------------------------------------------------------
    def image(self, item: Item, src: str) -> str | None:
        """Copy an image next to the article; its new relative address, or None to keep it."""
        if not src or src.startswith("data:"):
            return None
        absolute = urljoin(item.page_url, src) if item.page_url else src
        if not self.is_ours(absolute):
            return None
        found = self.export.asset(absolute, item) if self.export.asset else None
        if found is None and item.base is not None and not urlsplit(src).scheme:
            path = unquote(urlsplit(src).path)
            candidate = (
                (self.export.root / path.lstrip("/")) if path.startswith("/") else item.base / path
            )
            found = candidate if candidate.is_file() else None
        shown = src if len(src) <= 120 else src[:117] + "..."
        if found is None:
            self.export.note(item.where, "image", f"{shown}: not in the export, kept as it was")
            return None
        problem = self._unsafe(found)
        if problem:
            self.export.note(item.where, "image", f"{shown}: {problem}, not copied")
            return None
        data = found.read_bytes()
        name = slug(Path(found.name).stem, "image") + found.suffix.lower()
        folder = self.docs_dir / posixpath.dirname(item.rel_path) / "images"
        dest = folder / name
        if dest.is_file() and dest.read_bytes() != data:
            dest = folder / f"{dest.stem}-{hashlib.sha256(data).hexdigest()[:8]}{dest.suffix}"
        if not self.dry_run and not (dest.is_file() and dest.read_bytes() == data):
            folder.mkdir(parents=True, exist_ok=True)
            write_atomic(dest, data)
        return f"images/{dest.name}"

    def _unsafe(self, path: Path) -> str:
        try:
            real = path.resolve(strict=True)
            real.relative_to(self.export.root.resolve())
        except (OSError, ValueError):
            return "outside the export"
        if real.suffix.lower() not in IMAGE_TYPES:
            return f"a {real.suffix or 'file'} is not an image kb publishes"
        size = real.stat().st_size
        if size > MAX_IMAGE:
            return f"{size // 2**20} MB is larger than the 20 MB limit"
        if real.suffix.lower() == ".svg":  # it can carry script that no filter reliably finds
            return "an SVG can carry script: convert it to PNG to publish it"
        return ""

    # -- bodies -------------------------------------------------------------------------------
    def convert(self, item: Item) -> str:
        """The item's body as Markdown with placeholders for links to other articles."""
        if item.is_html:
            done = to_markdown(
                item.body,
                link=lambda h: self.resolve(item, h),
                image=lambda s: self.image(item, s),
            )
            item.anchors.update(done.anchors)
            return done.markdown
        body, removed = defuse_html(item.body)
        if removed:
            self.export.note(item.where, "html", f"removed what could run script: {removed}")
        return rewrite_markdown_links(
            body, lambda h: self.resolve(item, h), lambda s: self.image(item, s)
        )
