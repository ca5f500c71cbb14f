"""Markdown sites: Jekyll, Hugo and MkDocs (or any folder of Markdown with front matter).

Front matter maps to kb fields; Liquid and kramdown (Jekyll) and shortcodes (Hugo) become plain
Markdown: callouts become admonitions that keep their text, includes are inlined, `{:...}`
attribute lists go, and `site.baseurl` or `ref` links become links the importer resolves.
Languages come from front matter, folders (`nl/`, `content/nl/`) or suffixes (`page.nl.md`,
`page-de_DE.md`); pages of one article in several languages are grouped by `ref` or
`translationKey`, else by their path without the language.
"""

from __future__ import annotations

import html as html_lib
import re
import tomllib
from pathlib import Path
from typing import Any
from urllib.parse import urljoin, urlsplit

from kb.authoring.importers.common import (
    MAX_FILES,
    Category,
    Export,
    Item,
    host_of,
    inside,
    kb_language,
    link_translations,
    parse_time,
    slug,
    tags,
)
from kb.authoring.importers.markup import Site, convert_body, detect
from kb.core.errors import UsageError, display_path
from kb.core.frontmatter import FileProblem, parse, read_text

SKIP_DIRS = {
    "_site",
    "_includes",
    "_layouts",
    "_plugins",
    "_sass",
    "_data",
    "node_modules",
    "vendor",
    "public",
    "resources",
    "themes",
    "layouts",
    "site",
    "assets",
    "static",
}
SKIP_FILES = {
    "readme",
    "changelog",
    "license",
    "contributing",
    "404",
    "code_of_conduct",
    "security",
}
MAX_PAGE = 2 * 1024 * 1024
SUFFIX_LANG = re.compile(
    r"^(?P<stem>.+?)(?:\.(?P<dot>[a-z]{2,3}(?:[-_][A-Za-z]{2,4})?)|[-_](?P<region>[a-z]{2}[_-][A-Z]{2}))$"
)


def read(path: Path, lang: str | None = None) -> Export:
    """Read a Jekyll, Hugo or MkDocs site (or a folder of Markdown)."""
    site = detect(path)
    if not inside(site.content, site.root) or not site.content.is_dir():
        raise UsageError(f"{display_path(site.content)}: the pages' folder must be inside the site")
    if lang:
        site.default_lang = kb_language(lang) or site.default_lang
    export = Export("markdown", path)
    export.default_lang = site.default_lang
    if site.url and host_of(site.url):
        export.hosts.add(host_of(site.url))
    pages = _pages(site, export)
    for source, other in link_translations(export, pages, site.default_lang):
        if other.reviewed and source.reviewed and other.reviewed < source.reviewed:
            other.outdated = True  # the source changed after it: what Zendesk calls outdated
            export.note(
                other.where,
                "translation",
                f"last changed {other.reviewed}, before its source ({source.reviewed}): "
                "marked outdated",
            )
    export.asset = lambda address, item: _asset(site, address, item)
    return export


def _files(site: Site) -> list[Path]:
    out = []
    for p in sorted(site.content.rglob("*")):
        rel = p.relative_to(site.content).parts
        if any(
            part.startswith(".") or (part in SKIP_DIRS and site.kind != "markdown")
            for part in rel[:-1]
        ):
            continue
        if p.suffix.lower() not in (".md", ".markdown") or not p.is_file():
            continue
        if not inside(p, site.root):  # a symlink out of the site
            continue
        out.append(p)
        if len(out) >= MAX_FILES:
            break
    return out


def _pages(site: Site, export: Export) -> list[tuple[Item, str]]:
    from kb.stale.history import GitHistory

    history = GitHistory(site.content)
    out = []
    for file in _files(site):
        rel = file.relative_to(site.content)
        where = f"{display_path(file)}:1"
        stem_name = rel.stem.lower()
        if len(rel.parts) == 1 and stem_name in SKIP_FILES:
            export.skip(where, "the site's own README, licence or similar, not an article")
            continue
        if (stem_name in ("index", "_index") and len(rel.parts) == 1) or stem_name == "_index":
            export.skip(where, "a home or section page, not an article")
            continue
        if rel.parts[0] in ("_posts", "_drafts") and site.kind == "jekyll":
            export.skip(where, "a blog post, not an article")
            continue
        try:
            text = read_text(file, MAX_PAGE)
        except FileProblem as exc:
            export.skip(f"{display_path(file)}:{exc.line}", exc.message)
            continue
        meta, body, problem = _front_matter(text)
        if problem:
            export.skip(where, problem)
            continue
        item = _page(site, export, file, rel, meta, body, where)
        if item is None:
            continue
        day, source = history.last_changed(file.relative_to(site.content).as_posix())
        if item.reviewed is None and source == "git":
            item.reviewed = day
        out.append((item, _group_key(site, rel, meta)))
    return out


def _front_matter(text: str) -> tuple[dict[str, Any], str, str]:
    if text.startswith("+++"):
        end = text.find("\n+++", 3)
        if end < 0:
            return {}, text, "no closing '+++' after the TOML front matter"
        try:
            meta = tomllib.loads(text[3:end])
        except tomllib.TOMLDecodeError as exc:
            return {}, text, f"front matter: not valid TOML: {str(exc)[:80]}"
        return meta, text[end + 4 :].lstrip("\n"), ""
    fm = parse(text)
    if fm.problems:
        line, _, message = fm.problems[0]
        return {}, text, f"front matter (line {line}): {message}"
    return (fm.meta if isinstance(fm.meta, dict) else {}), fm.body, ""


def _lang_of(site: Site, rel: Path, meta: dict[str, Any]) -> tuple[str, Path]:
    """The page's language and its path with the language taken out."""
    parts = list(rel.parts)
    lang = None
    if parts and len(parts) > 1 and site.kind == "jekyll" and parts[0] in site.collections:
        parts = parts[1:]
        prefix: list[str] = [rel.parts[0]]
    else:
        prefix = []
    if len(parts) > 1 and (
        parts[0] in site.lang_dirs
        or (parts[0].islower() and kb_language(parts[0], known_only=True))
    ):
        lang = site.lang_dirs.get(parts[0]) or kb_language(parts[0], known_only=True)
        parts = parts[1:]
    stem = Path(parts[-1]).stem
    m = SUFFIX_LANG.match(stem)
    if m and (m.group("dot") or m.group("region")):
        code = m.group("dot") or m.group("region")
        found = kb_language(code, known_only=True)
        if found:
            lang = lang or found
            parts[-1] = m.group("stem") + Path(parts[-1]).suffix
    declared = meta.get("lang") or meta.get("language") or meta.get("locale")
    if isinstance(declared, str) and kb_language(declared):
        lang = kb_language(declared)
    return lang or site.default_lang, Path(*prefix, *parts)


def _group_key(site: Site, rel: Path, meta: dict[str, Any]) -> str:
    for key in ("ref", "translationKey", "translation_key", "i18n_key"):
        if isinstance(meta.get(key), str | int) and str(meta[key]).strip():
            return f"ref:{meta[key]}"
    return "path:" + _lang_of(site, rel, meta)[1].with_suffix("").as_posix()


def _first(value: Any) -> str | None:
    if isinstance(value, list) and value:
        value = value[0]
    return str(value).strip() if isinstance(value, str | int) and str(value).strip() else None


def _page(
    site: Site, export: Export, file: Path, rel: Path, meta: dict[str, Any], body: str, where: str
) -> Item | None:
    lang, plain = _lang_of(site, rel, meta)
    if kb_language(lang) is None:
        export.skip(where, f"language {lang!r} is not a language code")
        return None
    title = _first(meta.get("title"))
    h1 = re.match(r"\s*#\s+(.+?)\s*#*\s*(?:\n|$)", body)
    if h1:  # the page's first line is its title: kb shows the title itself
        title = title or h1.group(1).strip()
        body = body[h1.end() :]
    if not title:
        title = plain.stem.replace("-", " ").replace("_", " ").capitalize()
    stem_parts = [p for p in plain.with_suffix("").parts if p not in site.collections]
    item = Item(
        slug("-".join(stem_parts), "page"),
        lang,
        html_lib.unescape(title),
        body,
        where,
        is_html=False,
    )
    item.slug = slug(stem_parts[-1] if stem_parts else title)
    item.status = (
        "draft" if meta.get("published") is False or meta.get("draft") is True else "published"
    )
    audience = meta.get("audience") or meta.get("visibility")
    if isinstance(audience, str) and audience.strip().lower() in (
        "internal",
        "private",
        "agents",
        "staff",
    ):
        item.audience = "internal"
    item.tags = tags(
        meta.get("tags")
        if isinstance(meta.get("tags"), list)
        else [meta["tags"]]
        if isinstance(meta.get("tags"), str)
        else meta.get("keywords")
    )
    category = _first(meta.get("category")) or _first(meta.get("categories"))
    if category is None:
        folders = [p for p in stem_parts[:-1]]
        category = folders[0] if folders else None
    if category:
        key = slug(category, "general")
        if key not in export.categories:
            export.categories[key] = Category(
                key, category.replace("-", " ").replace("_", " ").strip().capitalize()
            )
        item.category = key
    summary = _first(meta.get("description")) or _first(meta.get("summary"))
    item.summary = " ".join(summary.split()) if summary else None
    item.owner = (
        _first(meta.get("author")) or _first(meta.get("authors")) or _first(meta.get("owner"))
    )
    for key in ("last_modified_at", "lastmod", "updated", "last_updated", "modified", "date"):
        day = parse_time(meta.get(key))
        if day is not None:
            item.reviewed = day
            break
    item.base = file.parent
    item.urls = [file.resolve().as_posix(), rel.as_posix()]
    own = _own_url(site, rel, plain, meta, lang)
    origin = urlsplit(site.url)
    item.page_url = f"{origin.scheme}://{origin.netloc}{own}" if origin.netloc else own
    item.urls.append(own)
    is_index = rel.stem in ("index", "_index", "README")
    item.folder_url = item.page_url if is_index else urljoin(item.page_url, "..")
    item.aliases.append(own.lstrip("/"))
    for key in ("redirect_from", "aliases"):
        olds = meta.get(key)
        for old in olds if isinstance(olds, list) else [olds] if isinstance(olds, str) else []:
            if isinstance(old, str) and old.strip():
                path = old.strip()
                full = (
                    (site.baseurl.rstrip("/") + "/" + path.lstrip("/"))
                    if site.baseurl and path.startswith("/")
                    else path
                )
                item.aliases.append(full.lstrip("/"))
                item.urls.append(full)
    item.body, anchors = convert_body(site, export, item, body)
    item.anchors.update(anchors)
    return item


def _own_url(site: Site, rel: Path, plain: Path, meta: dict[str, Any], lang: str) -> str:
    """The page's address on the old site, from its base URL."""
    base = site.baseurl.rstrip("/")
    permalink = _first(meta.get("permalink")) or _first(meta.get("url"))
    if permalink:
        return base + "/" + permalink.lstrip("/")
    stem = plain.with_suffix("")
    parts = [p for p in stem.parts]
    if site.kind == "jekyll" and parts and parts[0] in site.collections:
        parts[0] = parts[0].lstrip("_")
    if parts and parts[-1] in ("index", "_index"):
        parts = parts[:-1]
    if meta.get("slug") and parts:
        parts[-1] = str(meta["slug"])
    prefix = (
        []
        if lang == site.default_lang
        else [next((d for d, x in site.lang_dirs.items() if x == lang), lang)]
    )
    if site.kind == "hugo" and parts and parts[0] in site.lang_dirs:
        parts = parts[1:]
    return base + "/" + "/".join([*prefix, *parts]) + ("/" if parts else "")


def _asset(site: Site, address: str, item: Item) -> Path | None:
    path = urlsplit(address).path
    base = site.baseurl.rstrip("/")
    if base and path.startswith(base + "/"):
        path = path[len(base) :]
    rel = path.lstrip("/")
    for folder in (
        site.root,
        site.root / "static",
        site.root / "assets",
        site.content,
        site.root / "public",
    ):
        candidate = folder / rel
        if rel and candidate.is_file():
            return candidate
    return None
