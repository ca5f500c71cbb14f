"""Freshdesk: Solutions API v2 JSON (categories, then folders, then articles; translations per language).

An export is a folder of saved responses: `categories.json`, `folders.json` (or one file per
category), `articles.json` (or several), and `articles-<lang>.json` holding the translations
(`GET /api/v2/solutions/articles/{id}/{lang}`); optionally `agents.json` for owners. Categories
may also hold their `folders`, and folders their `articles`, nested.
"""

from __future__ import annotations

import html as html_lib
import re
from pathlib import Path
from typing import Any

from kb.authoring.importers.common import (
    MAX_BODY,
    Category,
    Export,
    Item,
    as_list,
    id_keys,
    id_lines,
    inside,
    kb_language,
    parse_time,
    read_json,
    slug,
    tags,
)
from kb.authoring.importers.convert import html_title
from kb.core.errors import UsageError, display_path

ARTICLE_PATH = re.compile(
    r"/(?:([A-Za-z]{2,3}(?:-[A-Za-z0-9]{2,8})?)/)?support/solutions/articles/(\d+)"
)
LINK_HOST = re.compile(r"https?://([A-Za-z0-9.-]+)/(?:[A-Za-z-]+/)?support/solutions/")
VISIBILITY = {1: "all users", 2: "logged-in users", 3: "agents", 4: "selected companies"}


def read(path: Path, lang: str | None = None) -> Export:
    """Read a Freshdesk solutions export; `lang` is the language of the untranslated articles."""
    if not path.is_dir():
        raise UsageError(f"{display_path(path)}: give the folder of the Freshdesk export")
    export = Export("freshdesk", path)
    base_lang = kb_language(lang or "en")
    if base_lang is None:
        raise UsageError(f"--lang {lang!r} is not a language code")
    export.default_lang = base_lang
    categories: dict[str, dict[str, Any]] = {}
    folders: dict[str, dict[str, Any]] = {}
    agents: dict[str, str] = {}
    articles: list[tuple[dict[str, Any], str, str | None]] = []  # (article, where, language)
    files = sorted(p for p in path.rglob("*.json") if p.is_file() and inside(p, path))
    if not files:
        raise UsageError(f"{display_path(path)}: no .json files (a Freshdesk export is API JSON)")
    for file in files:
        data = read_json(file, path)
        text = file.read_text(encoding="utf-8-sig")
        shown = display_path(file)
        kind, _, suffix = file.stem.partition("-")
        records = data if isinstance(data, list) else _records(data, kind)
        lines = id_lines(text)
        for obj in records:
            if not isinstance(obj, dict) or obj.get("id") is None:
                continue
            where = f"{shown}:{lines.get(str(obj['id']), 1)}"
            if kind.startswith("categor"):
                categories[str(obj["id"])] = obj
                for folder in as_list(obj.get("folders")):
                    if isinstance(folder, dict) and folder.get("id") is not None:
                        folders[str(folder["id"])] = {"category_id": obj["id"], **folder}
                        for a in as_list(folder.get("articles")):
                            if isinstance(a, dict):
                                articles.append(({"folder_id": folder["id"], **a}, where, None))
            elif kind.startswith("folder"):
                folders[str(obj["id"])] = obj
                for a in as_list(obj.get("articles")):
                    if isinstance(a, dict):
                        articles.append(({"folder_id": obj["id"], **a}, where, None))
            elif kind.startswith("article"):
                language = suffix if suffix and kb_language(suffix, known_only=True) else None
                articles.append((obj, where, language))
            elif kind.startswith("agent"):
                contact: dict[str, Any] = (
                    obj["contact"] if isinstance(obj.get("contact"), dict) else obj
                )
                name = str(contact.get("name") or contact.get("email") or "").strip()
                if name:
                    agents[str(obj["id"])] = name
    for fid, folder in folders.items():
        parent = categories.get(str(folder.get("category_id")), {})
        export.categories[fid] = Category(
            fid,
            html_title(str(folder.get("name") or f"Folder {fid}")),
            html_title(str(folder.get("description") or "")),
            html_title(str(parent.get("name") or "")),
        )
    sources: dict[str, Item] = {}
    for obj, where, language in sorted(articles, key=lambda a: a[2] is not None):
        aid = str(obj["id"])
        item_lang = kb_language(language) if language else base_lang
        if item_lang is None:
            continue
        src = sources.get(aid)
        if language and src is None:
            export.skip(
                where, f"a {language} translation of article {aid}, which is not in the export"
            )
            continue
        if src is not None and (not language or item_lang == src.lang):
            continue  # the same article twice, or a "translation" into its own language
        kb_id = f"freshdesk-{aid}" if src is None else f"freshdesk-{aid}-{item_lang}"
        item = _item(export, obj, where, kb_id, item_lang, folders, agents)
        if item is None:
            continue
        if src is None:
            sources[aid] = item
            up, down = obj.get("thumbs_up"), obj.get("thumbs_down")
            if isinstance(up, int) and isinstance(down, int):
                item.votes = (max(0, up), max(0, down))
                item.voted = parse_time(obj.get("updated_at"))
            item.urls.append(f"/support/solutions/articles/{aid}")
        else:
            item.translation_of = src.id
            item.audience, item.category = src.audience, src.category
            item.slug = src.slug
            item.urls.append(f"/{language}/support/solutions/articles/{aid}")
        export.items.append(item)
    for item in export.items:
        for m in LINK_HOST.finditer(item.body):
            export.hosts.add(m.group(1).lower())
    export.path_keys = path_keys
    return export


def _records(data: Any, kind: str) -> list[Any]:
    if not isinstance(data, dict):
        return []
    for key in (kind, "categories", "folders", "articles", "agents", "results"):
        if isinstance(data.get(key), list):
            return list(data[key])
    return [data] if "id" in data else []


def _item(
    export: Export,
    obj: dict[str, Any],
    where: str,
    kb_id: str,
    lang: str,
    folders: dict[str, dict[str, Any]],
    agents: dict[str, str],
) -> Item | None:
    title = html_title(str(obj.get("title") or ""))
    if not title:
        export.skip(where, f"{kb_id} has no title")
        return None
    body = obj.get("description")
    if not isinstance(body, str) or not body.strip():
        plain = obj.get("description_text")
        plain = plain if isinstance(plain, str) else ""
        body = "".join(
            f"<p>{html_lib.escape(p.strip())}</p>" for p in plain.split("\n\n") if p.strip()
        )
    if len(body) > MAX_BODY:
        export.skip(where, f"{kb_id}: the body is larger than 5 MB")
        return None
    item = Item(kb_id, lang, title, body, where)
    item.status = "draft" if obj.get("status") == 1 else "published"
    folder = folders.get(str(obj.get("folder_id")))
    item.category = str(obj.get("folder_id")) if folder else None
    visibility = folder.get("visibility") if folder else None
    if folder is None:  # who may read it is unknown: never guess public
        item.audience = "internal"
        export.note(
            where,
            "audience",
            f"{kb_id}: its folder {obj.get('folder_id')} is not in the export, so who may read "
            "it is unknown: imported as internal",
        )
    elif visibility != 1:
        item.audience = "internal"
        if visibility != 3:
            shown = (
                VISIBILITY.get(visibility, f"visibility {str(visibility)[:20]}")
                if isinstance(visibility, int)
                else f"visibility {str(visibility)[:20]}"
            )
            export.note(
                where,
                "audience",
                f"{kb_id}: its folder is for {shown}: imported as internal, as kb's public site "
                "has no customer sign-in",
            )
    item.tags = tags(obj.get("tags"))
    seo: dict[str, Any] = obj["seo_data"] if isinstance(obj.get("seo_data"), dict) else {}
    summary = " ".join(str(seo.get("meta_description") or "").split())
    item.summary = summary or None
    item.reviewed = parse_time(obj.get("updated_at"))
    item.owner = agents.get(str(obj.get("agent_id") or ""))
    aid = str(obj["id"])
    item.slug = slug(title, f"article-{aid}")
    prefix = "" if lang == export.default_lang else f"{lang}/"
    item.aliases = [
        f"{prefix}support/solutions/articles/{aid}-{slug(title, aid)}",
        f"{prefix}support/solutions/articles/{aid}",
    ]
    if obj.get("type") == 2 and "workaround" not in item.tags:
        item.tags.append("workaround")
    return item


def path_keys(path: str) -> list[str]:
    """Lookup keys of an article address: its id in its language, then in any language."""
    return id_keys("freshdesk", ARTICLE_PATH, path)
