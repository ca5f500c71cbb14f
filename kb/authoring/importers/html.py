"""Any other export: a folder of HTML pages, one article each, with the site's chrome around it.

The article is the page's `<article>`, else its `<main>` (or `role=main`), else its `<body>`,
without headers, navigation, breadcrumbs, footers and asides. The title is the first `<h1>`
(else `<title>`), the summary the meta description, the language `<html lang>` or a language
folder; pages at the same path in different language folders are one article's translations.
"""

from __future__ import annotations

import re
from pathlib import Path

from bs4 import BeautifulSoup, Tag

from kb.authoring.importers.common import (
    MAX_FILES,
    Category,
    Export,
    Item,
    inside,
    kb_language,
    link_translations,
    parse_time,
    slug,
)
from kb.core.errors import UsageError, display_path

MAX_PAGE = 5 * 1024 * 1024
CHROME = ["header", "nav", "footer", "aside", "script", "style", "noscript", "form"]
CHROME_CLASSES = (
    "breadcrumb",
    "cookie",
    "banner",
    "site-header",
    "site-footer",
    "sidebar",
    "toc",
    "skip-link",
    "share",
    "feedback",
    "related-articles",
)
TITLE_SEPARATORS = (" | ", " – ", " — ", " - ", " :: ")


def read(path: Path, lang: str | None = None) -> Export:
    """Read a folder of HTML pages."""
    if not path.is_dir():
        raise UsageError(f"{display_path(path)}: give the folder of HTML pages")
    export = Export("html", path)
    export.default_lang = kb_language(lang or "en") or "en"
    pages: list[tuple[Item, str]] = []
    files = sorted(
        p
        for p in path.rglob("*")
        if p.suffix.lower() in (".html", ".htm") and p.is_file() and inside(p, path)
    )
    for file in files[:MAX_FILES]:
        rel = file.relative_to(path)
        where = f"{display_path(file)}:1"
        if any(part.startswith(".") for part in rel.parts):
            continue
        if rel.stem.lower() in ("index", "404", "search") and len(rel.parts) <= 2:
            export.skip(where, "a home, search or error page, not an article")
            continue
        if file.stat().st_size > MAX_PAGE:
            export.skip(where, "larger than 5 MB")
            continue
        try:
            text = file.read_bytes().decode("utf-8", errors="replace")
        except OSError as exc:
            export.skip(where, f"cannot read: {exc.strerror or exc}")
            continue
        found = _page(export, file, rel, text, where)
        if found is not None:
            pages.append(found)
    langs = [i.lang for i, _ in pages]
    if langs and lang is None:
        export.default_lang = max(sorted(set(langs)), key=langs.count)
    link_translations(export, pages, export.default_lang)
    return export


def _page(export: Export, file: Path, rel: Path, text: str, where: str) -> tuple[Item, str] | None:
    soup = BeautifulSoup(text, "html.parser")
    root = soup.find("html")
    declared = str(root.get("lang") or "") if isinstance(root, Tag) else ""
    parts = list(rel.parts)
    folder_lang = None
    if len(parts) > 1 and re.fullmatch(r"[a-z]{2}(?:[-_][a-zA-Z]{2})?", parts[0]):
        folder_lang = kb_language(parts[0], known_only=True)
        if folder_lang:
            parts = parts[1:]
    lang = kb_language(declared) if declared else None
    lang = lang or folder_lang or export.default_lang
    content = soup.find("article") or soup.find("main") or soup.find(role="main") or soup.body
    if not isinstance(content, Tag):
        export.skip(where, "no content (no <article>, <main> or <body>)")
        return None
    for el in content.find_all(CHROME):
        el.decompose()
    for el in content.find_all(True):
        if el.decomposed or not el.attrs:
            continue
        classes = " ".join(el.get("class") or []).lower() + " " + str(el.get("id") or "").lower()
        if any(c in classes for c in CHROME_CLASSES):
            el.decompose()
    h1 = content.find("h1")
    title = " ".join(h1.get_text(" ").split()) if isinstance(h1, Tag) else ""
    if isinstance(h1, Tag):
        h1.decompose()
    if not title and soup.title is not None:
        title = " ".join(soup.title.get_text(" ").split())
        for sep in TITLE_SEPARATORS:
            title = title.split(sep)[0] if sep in title else title
    if not title:
        export.skip(where, "no title (no <h1> or <title>)")
        return None
    plain = Path(*parts).with_suffix("")
    item = Item(slug("-".join(plain.parts), "page"), lang, title, content.decode_contents(), where)
    item.slug = slug(plain.name, "page")
    meta = soup.find("meta", attrs={"name": "description"})
    if isinstance(meta, Tag) and meta.get("content"):
        item.summary = " ".join(str(meta["content"]).split())
    for attrs in (
        {"property": "article:modified_time"},
        {"name": "last-modified"},
        {"itemprop": "dateModified"},
    ):
        stamp = soup.find("meta", attrs=dict(attrs))
        if isinstance(stamp, Tag) and parse_time(stamp.get("content")):
            item.reviewed = parse_time(stamp.get("content"))
            break
    if item.reviewed is None:
        time = content.find("time", attrs={"datetime": True})
        if isinstance(time, Tag):
            item.reviewed = parse_time(time.get("datetime"))
    robots = soup.find("meta", attrs={"name": "robots"})
    if isinstance(robots, Tag) and "noindex" in str(robots.get("content") or "").lower():
        export.note(
            where,
            "audience",
            "marked noindex: imported as public; make it internal if it is not for customers",
        )
    if len(plain.parts) > 1:
        key = slug(plain.parts[0], "general")
        export.categories.setdefault(
            key, Category(key, plain.parts[0].replace("-", " ").capitalize())
        )
        item.category = key
    item.base = file.parent
    item.urls = [file.resolve().as_posix(), rel.as_posix()]
    item.aliases = [rel.as_posix()]
    return item, plain.as_posix()
