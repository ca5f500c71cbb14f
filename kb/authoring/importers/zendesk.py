"""Zendesk Guide: Help Center API JSON (categories, sections, articles, translations, users).

An export is one JSON file or a folder of them, each a saved API response: pages of
`/api/v2/help_center/articles.json?include=translations,users`, `sections.json`,
`categories.json`. Articles may also come once per locale (the `/{locale}/articles.json` pages).
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from kb.authoring.importers.common import (
    MAX_BODY,
    Category,
    Export,
    Item,
    as_list,
    host_of,
    id_keys,
    id_lines,
    inside,
    kb_language,
    parse_time,
    read_json,
    slug,
    tags,
    url_path,
)
from kb.authoring.importers.convert import html_title
from kb.core.errors import UsageError, display_path

ARTICLE_PATH = re.compile(r"/hc/(?:([A-Za-z]{2,3}(?:-[A-Za-z0-9]{2,8})?)/)?articles/(\d+)")
ATTACHMENT = re.compile(r"/hc/article_attachments/(\d+)/([^/?#]+)")


def _files(path: Path) -> list[Path]:
    if path.is_file():
        return [path]
    if not path.is_dir():
        raise UsageError(f"{display_path(path)}: no such file or folder")
    found = sorted(p for p in path.rglob("*.json") if p.is_file() and inside(p, path))
    if not found:
        raise UsageError(f"{display_path(path)}: no .json files (a Zendesk export is API JSON)")
    return found


def read(path: Path, lang: str | None = None) -> Export:
    """Read a Zendesk Help Center export; `lang` is the language of articles without a locale."""
    root = path if path.is_dir() else path.parent
    export = Export("zendesk", root)
    export.default_lang = kb_language(lang or "en") or "en"
    articles: list[tuple[dict[str, Any], str]] = []
    translations: list[tuple[dict[str, Any], str]] = []
    sections: dict[str, dict[str, Any]] = {}
    categories: dict[str, dict[str, Any]] = {}
    users: dict[str, dict[str, Any]] = {}
    named: list[dict[str, Any]] = []  # sections' and categories' titles in other locales
    for file in _files(path):
        data = read_json(file, root)
        text = file.read_text(encoding="utf-8-sig")
        shown = display_path(file)
        if not isinstance(data, dict):
            export.skip(f"{shown}:1", "not a Help Center API response (no JSON object)")
            continue

        lines = id_lines(text)

        def where(obj: Any, shown: str = shown, lines: dict[str, int] = lines) -> str:
            oid = obj.get("id") if isinstance(obj, dict) else None
            return f"{shown}:{lines.get(str(oid), 1)}"

        for key, sink in (("articles", articles), ("translations", translations)):
            for obj in as_list(data.get(key)):
                if not isinstance(obj, dict):
                    continue
                if str(obj.get("source_type") or "Article") in ("Section", "Category"):
                    named.append(obj)  # a section's or category's title in another locale
                    continue
                sink.append((obj, where(obj)))
                if key == "articles":
                    for t in as_list(obj.get("translations")):  # translations inside each article
                        if isinstance(t, dict):
                            translations.append(({"source_id": obj.get("id"), **t}, where(t)))
        if isinstance(data.get("article"), dict):  # one article's own response
            articles.append((data["article"], where(data["article"])))
        for key, table in (("sections", sections), ("categories", categories), ("users", users)):
            for obj in as_list(data.get(key)):
                if not isinstance(obj, dict) or obj.get("id") is None:
                    continue
                locale, source = obj.get("locale"), obj.get("source_locale")
                if key != "users" and locale and source and str(locale) != str(source):
                    named.append({"source_id": obj["id"], "title": obj.get("name"), **obj})
                    named[-1]["source_type"] = "Section" if key == "sections" else "Category"
                    continue  # the same section, listed in another locale
                table[str(obj["id"])] = obj
    for cat_id, sec in sections.items():
        parent = categories.get(str(sec.get("category_id")), {})
        export.categories[cat_id] = Category(
            cat_id,
            html_title(str(sec.get("name") or f"Section {cat_id}")),
            html_title(str(sec.get("description") or "")),
            html_title(str(parent.get("name") or "")),
        )
    _category_titles(export, sections, named)
    _articles(export, articles, translations, users)
    export.path_keys = path_keys
    export.asset = lambda address, item: asset(address, item, root)
    return export


def _category_titles(
    export: Export, sections: dict[str, dict[str, Any]], named: list[dict[str, Any]]
) -> None:
    """Section and category titles per language, from their translations."""
    by_category: dict[str, dict[str, str]] = {}
    for obj in named:
        lang = kb_language(str(obj.get("locale") or ""))
        title = html_title(str(obj.get("title") or obj.get("name") or ""))
        if not lang or not title:
            continue
        sid = str(obj.get("source_id") or "")
        if obj.get("source_type") == "Section" and sid in export.categories:
            export.categories[sid].titles[lang] = title
        elif obj.get("source_type") == "Category":
            by_category.setdefault(sid, {})[lang] = title
    for sid, cat in export.categories.items():
        parent = str(sections.get(sid, {}).get("category_id") or "")
        cat.parent_titles.update(by_category.get(parent, {}))


def _lang(export: Export, locale: Any, where: str) -> str | None:
    lang = kb_language(str(locale)) if locale else export.default_lang
    if lang is None:
        export.skip(where, f"locale {str(locale)[:20]!r} is not a language code")
    return lang


def _articles(
    export: Export,
    articles: list[tuple[dict[str, Any], str]],
    translations: list[tuple[dict[str, Any], str]],
    users: dict[str, dict[str, Any]],
) -> None:
    sources: dict[str, Item] = {}
    marked_by: dict[str, set[str | None]] = {}  # source id -> its outdated_locales
    src_locales: dict[str, str] = {}
    made: set[str] = set()  # kb ids read so far
    langs: dict[str, int] = {}
    later: list[tuple[dict[str, Any], str, str]] = []  # (translation, where, source id)
    for obj, where in articles:
        aid = str(obj.get("id") or "")
        if not aid.isdigit():
            export.skip(where, "an article without a numeric id")
            continue
        locale, source_locale = obj.get("locale"), obj.get("source_locale") or obj.get("locale")
        if locale and source_locale and str(locale).lower() != str(source_locale).lower():
            later.append((obj, where, aid))  # the same article in another locale
            continue
        if aid in sources:
            continue  # a page saved twice
        lang = _lang(export, locale, where)
        if lang is None:
            continue
        item = _item(export, obj, where, f"zendesk-{aid}", lang, users)
        if item is None:
            continue
        item.audience = "internal" if obj.get("user_segment_id") is not None else "public"
        item.category = str(obj.get("section_id")) if obj.get("section_id") is not None else None
        if item.category and item.category not in export.categories:
            export.note(where, "category", f"section {item.category} is not in the export")
            export.categories[item.category] = Category(item.category, f"Section {item.category}")
        item.tags = tags(obj.get("label_names"))
        count, total = obj.get("vote_count"), obj.get("vote_sum")
        if isinstance(count, int) and isinstance(total, int) and 0 <= count <= 10_000_000:
            up = max(0, min(count, (count + total) // 2))
            item.votes = (up, count - up)
            item.voted = parse_time(obj.get("updated_at"))
        item.urls.append(f"/hc/articles/{aid}")
        item.outdated = bool(obj.get("outdated"))
        item.slug = slug(item.title, f"article-{aid}")
        sources[aid] = item
        langs[lang] = langs.get(lang, 0) + 1
        export.items.append(item)
        made.add(item.id)
        src_locales[item.id] = str(locale or "")
        marked_by[item.id] = {
            kb_language(str(x)) for x in obj.get("outdated_locales") or [] if isinstance(x, str)
        }
    if langs:
        export.default_lang = max(sorted(langs), key=lambda k: langs[k])
    for obj, where in translations:
        later.append((obj, where, str(obj.get("source_id") or "")))
    for obj, where, aid in later:
        src = sources.get(aid)
        if src is None:
            export.skip(where, f"a translation of article {aid or '?'}, which is not in the export")
            continue
        lang = _lang(export, obj.get("locale"), where)
        if lang is None:
            continue
        if lang == src.lang:
            if str(obj.get("locale") or "").lower() != str(src_locales.get(src.id, "")).lower():
                export.skip(where, f"locale {obj.get('locale')} is {lang} in kb, like its source's")
            continue  # else the source locale's own translation object
        tid = f"{src.id}-{lang}"
        if tid in made:
            continue
        item = _item(export, obj, where, tid, lang, users)
        if item is None:
            continue
        item.translation_of = src.id
        item.audience, item.category, item.tags = src.audience, src.category, list(src.tags)
        if src.status == "draft":
            item.status = "draft"
        if obj.get("hidden"):
            item.status = "draft"
            export.note(where, "status", "hidden in Zendesk: imported as a draft")
        item.outdated = bool(obj.get("outdated")) or lang in marked_by.get(src.id, set())
        item.urls.append(f"/hc/{obj.get('locale')}/articles/{aid}")
        export.items.append(item)
        made.add(item.id)


def _item(
    export: Export,
    obj: dict[str, Any],
    where: str,
    kb_id: str,
    lang: str,
    users: dict[str, dict[str, Any]],
) -> Item | None:
    title = html_title(str(obj.get("title") or obj.get("name") or ""))
    if not title:
        export.skip(where, f"{kb_id} has no title")
        return None
    body = obj.get("body")
    if not isinstance(body, str):
        body = ""
    if len(body) > MAX_BODY:
        export.skip(where, f"{kb_id}: the body is larger than 5 MB")
        return None
    html_url = str(obj.get("html_url") or "")
    item = Item(kb_id, lang, title, body, where)
    item.status = "draft" if obj.get("draft") else "published"
    item.page_url = html_url
    if html_url:
        item.urls.append(html_url)
        path = url_path(html_url)
        item.aliases.append(path)
        short = ARTICLE_PATH.search("/" + path)
        if short and short.group(0).lstrip("/") != path:
            item.aliases.append(short.group(0).lstrip("/"))
        host = host_of(html_url)
        if host:
            export.hosts.add(host)
    item.reviewed = parse_time(obj.get("edited_at")) or parse_time(obj.get("updated_at"))
    author = users.get(str(obj.get("author_id") or obj.get("created_by_id") or ""))
    if author:
        item.owner = str(author.get("name") or author.get("email") or "").strip() or None
    return item


def path_keys(path: str) -> list[str]:
    """Lookup keys of an article address: its id in its locale, then in any locale."""
    return id_keys("zendesk", ARTICLE_PATH, path)


def asset(address: str, item: Item, root: Path) -> Path | None:
    """Where an attachment of an article lies in the export folder."""
    path = url_path(address)
    m = ATTACHMENT.search("/" + path)
    candidates = [root / path]
    if m:
        candidates += [
            root / "attachments" / m.group(1) / m.group(2),
            root / "article_attachments" / m.group(1) / m.group(2),
            root / "attachments" / m.group(2),
        ]
    return next((c for c in candidates if c.is_file()), None)
