"""From an Export to article files: paths, categories, links, images, front matter, mkdocs.yml.

A second import of a newer export finds each article by its id and rewrites it where it is, so
nothing is duplicated; files the export no longer has are reported and left alone.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any
from urllib.parse import unquote

import yaml

from kb.authoring.importers.common import Category, Export, Item, slug
from kb.authoring.importers.plan import Plan, Result
from kb.core.errors import display_path
from kb.core.frontmatter import parse
from kb.core.fs import write_atomic
from kb.core.schema import LANG_RE
from kb.core.text import sections
from kb.core.translations import text_hash_of
from kb.core.urls import normalise_alias, url_key


def markdown_anchors(body: str, explicit: dict[str, str] | None = None) -> dict[str, str]:
    """The anchors a Markdown body's headings get, each mapped to itself, plus `explicit` ids."""
    out = {s.anchor: s.anchor for s in sections(body) if s.anchor}
    out.update(explicit or {})
    return out


def category_slugs(export: Export, existing: dict[str, set[str]]) -> dict[str, str]:
    """A slug per category; titles that repeat under different parents get the parent in them."""
    counts: dict[str, int] = {}
    for cat in export.categories.values():
        counts[cat.title.lower()] = counts.get(cat.title.lower(), 0) + 1
    out: dict[str, str] = {}
    used = set(existing)
    for key, cat in export.categories.items():
        if counts[cat.title.lower()] > 1 and cat.parent:
            cat.title = f"{cat.parent}: {cat.title}"
            cat.titles = {
                lang: f"{cat.parent_titles.get(lang, cat.parent)}: {title}"
                for lang, title in cat.titles.items()
            }
            base = slug(cat.title, "category")
        else:
            base = slug(cat.title, "category")
        if base in existing and cat.title in existing[base]:
            out[key] = base  # the same category as last time
            continue
        name, n = base, 2
        while name in used:
            name, n = f"{base}-{n}", n + 1
        used.add(name)
        cat.slug = out[key] = name
    return out


def front_matter(item: Item, category: str | None, source_hash: str | None) -> dict[str, Any]:
    """kb front-matter values of an item, in the order an author reads them."""
    meta: dict[str, Any] = {"id": item.id, "title": item.title, "lang": item.lang}
    if item.translation_of:
        meta["translation_of"] = item.translation_of
        if source_hash:
            meta["source_hash"] = source_hash
    if category:
        meta["category"] = category
    if item.audience != "public":
        meta["audience"] = item.audience
    if item.status != "published":
        meta["status"] = item.status
    if item.summary:
        meta["summary"] = item.summary
    if item.tags:
        meta["tags"] = item.tags
    if item.owner:
        meta["owner"] = item.owner
    if item.reviewed:
        meta["reviewed"] = item.reviewed
    own = item.rel_path.removesuffix(".md").removesuffix("index").rstrip("/")
    aliases = [a for a in dict.fromkeys(item.aliases) if a.strip("/") and a.strip("/") != own]
    if aliases:
        meta["aliases"] = aliases
    return meta


def render(meta: dict[str, Any], body: str) -> str:
    """An article file's text."""
    head = yaml.safe_dump(meta, sort_keys=False, allow_unicode=True, width=10_000)
    return f"---\n{head}---\n\n{body.strip()}\n"


def write_articles(
    export: Export,
    docs_dir: Path,
    existing_categories: dict[str, set[str]],
    *,
    dry_run: bool = False,
) -> tuple[Result, dict[str, str]]:
    """Write (or, with dry_run, only plan) every article of an export; the report and categories."""
    plan = Plan(export, docs_dir, dry_run=dry_run)
    result = plan.result
    known = plan.existing()
    _claim_ids(export, known)
    homeless = [i for i in export.items if not i.category and not i.translation_of]
    if homeless and (export.categories or existing_categories):  # a site lists every article
        export.categories.setdefault("general", Category("general", "General"))
        for item in homeless:
            item.category = "general"
        for item in export.items:
            if item.translation_of and not item.category:
                src = next((i for i in homeless if i.id == item.translation_of), None)
                item.category = src.category if src else "general"
    slugs = category_slugs(export, existing_categories)
    plan.place(slugs, known)
    plan.keep(known)
    for item in export.items:  # headings' anchors first: links to them are made below
        if not item.is_html:
            item.anchors.update(markdown_anchors(item.body, item.anchors))
    _unique_aliases(export)
    plan.index()
    bodies: dict[str, str] = {}
    for item in list(export.items):
        try:
            bodies[item.id] = plan.convert(item)
        except RecursionError:  # markup nested thousands deep
            export.skip(item.where, f"{item.id}: its HTML is nested too deeply to convert")
            export.items.remove(item)
    gone = {i.translation_of for i in export.items if i.translation_of} - {
        i.id for i in export.items
    }
    for item in [i for i in export.items if i.translation_of in gone]:
        export.skip(item.where, f"{item.id}: a translation of {item.translation_of}, skipped above")
        export.items.remove(item)
    texts: dict[str, str] = {}
    for item in sorted(export.items, key=lambda i: i.translation_of is not None):
        body = plan.finish_links(item, bodies[item.id])
        category = slugs.get(item.category or "") if item.category else None
        if item.id in known:  # keep what an author added since: aliases, a category
            old = known[item.id][1]
            item.aliases = [
                *[str(a) for a in old.get("aliases") or [] if isinstance(a, str)],
                *item.aliases,
            ]
        source_hash = None
        if item.translation_of:
            source_hash = (
                "outdated" if item.outdated else text_hash_of(texts.get(item.translation_of, ""))
            )
            if item.id in known and not item.outdated:
                source_hash = _kept_hash(docs_dir / known[item.id][0], item, body) or source_hash
        meta = front_matter(item, category, source_hash)
        if item.id in known:
            meta = _merged(known[item.id][1], meta)
        text = render(meta, body)
        texts[item.id] = text
        path = docs_dir / item.rel_path
        shown = display_path(path)
        before = path.read_text(encoding="utf-8") if path.is_file() else None
        if before == text:
            result.unchanged += 1
            result.lines.append(f"{item.where}: unchanged: {shown} ({item.id})")
        else:
            if before is None:
                result.added += 1
                verb = "imported"
            else:
                result.updated += 1
                verb = "updated"
            result.lines.append(f"{item.where}: {verb}: {shown} ({item.id})")
            if not dry_run:
                path.parent.mkdir(parents=True, exist_ok=True)
                write_atomic(path, text.encode("utf-8"))
        if item.votes is not None:  # zero too: it replaces what an earlier import stored
            result.votes.append((item.id, item.lang, item.votes[0], item.votes[1], item.voted))
    prefix = f"{export.source}-"
    ids = {i.id for i in export.items}
    for aid, (rel, _) in sorted(known.items()):
        if aid.startswith(prefix) and aid not in ids:
            result.lines.append(
                f"{display_path(docs_dir / rel)}:1: kept: {aid} is not in this export any more; "
                "delete it (and add its URL to another article's aliases) if it is gone for good"
            )
    result.skipped = sum(1 for p in export.problems if ": skipped: " in p)
    result.lines.extend(export.problems)
    result.languages = sorted({i.lang for i in export.items if LANG_RE.match(i.lang)})
    return result, slugs


# what an import writes from the export; every other field an author set is kept on re-import
CONTROLLED = frozenset(
    {"id", "title", "lang", "translation_of", "source_hash", "audience", "status"}
    | {"summary", "tags", "owner", "aliases"}
)


def _merged(old: dict[str, Any], new: dict[str, Any]) -> dict[str, Any]:
    """The new front matter, keeping what an author added: other fields, a category, a later review."""
    out = dict(new)
    for key, value in old.items():
        if key in CONTROLLED or value is None:
            continue
        if key == "reviewed" and "reviewed" in new:
            newer, older = str(new["reviewed"]), str(value)
            out[key] = value if older > newer else new["reviewed"]
        elif key == "category" or key not in out:
            out[key] = value
    return out


def _ours(item: Item, meta: dict[str, Any], source: str) -> bool:
    """True when an existing article with the item's id came from this source's import."""
    if item.id.startswith(f"{source}-"):
        return True
    olds = meta.get("aliases")
    had = (
        {url_key(unquote(a)) for a in olds if isinstance(a, str)}
        if isinstance(olds, list)
        else set()
    )
    return bool(had & {url_key(unquote(a)) for a in item.aliases})


def _claim_ids(export: Export, known: dict[str, tuple[str, dict[str, Any]]]) -> None:
    """An id an article of the KB already has, and not from this import, gets the source prefix."""
    renamed: dict[str, str] = {}
    for item in export.items:
        if (
            item.translation_of
            or item.id not in known
            or _ours(item, known[item.id][1], export.source)
        ):
            continue
        new = f"{export.source}-{item.id}"
        export.note(
            item.where,
            "id",
            f"{item.id} is the id of {known[item.id][0]}, which this export did not make: "
            f"imported as {new}",
        )
        renamed[item.id] = new
        item.id = new
    for item in export.items:
        if item.translation_of in renamed:
            old = item.translation_of
            item.translation_of = renamed[old]
            if item.id == f"{old}-{item.lang}":
                item.id = f"{renamed[old]}-{item.lang}"


def _unique_aliases(export: Export) -> None:
    """Each old URL redirects to one article: the first to claim it, never over a page's own."""
    own = {url_key(i.rel_path.removesuffix(".md").removesuffix("index")): i for i in export.items}
    claimed: dict[str, Item] = {}
    for item in export.items:
        kept = []
        for raw in dict.fromkeys(item.aliases):
            alias, problem = normalise_alias(unquote(raw))  # the path as the server sees it
            if problem:
                export.note(item.where, "aliases", f"old URL {problem}: not redirected")
                continue
            key = url_key(alias)
            other = own.get(key) or claimed.get(key)
            if other is not None and other is not item:
                export.note(
                    item.where,
                    "aliases",
                    f"{alias} is already the address of {other.id}: not redirected here",
                )
                continue
            claimed[key] = item
            kept.append(alias)
        item.aliases = kept


def _kept_hash(path: Path, item: Item, body: str) -> str | None:
    """The source_hash a translation has, when the export did not change its text.

    Its source may have changed since: the translation then stays outdated, as it is.
    """
    try:
        fm = parse(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError):
        return None
    old = fm.meta if isinstance(fm.meta, dict) else {}
    same = (
        str(old.get("title", "")).strip() == item.title
        and str(old.get("summary", "") or "").strip() == (item.summary or "")
        and fm.body.strip() == body.strip()
    )
    value = old.get("source_hash")
    return str(value) if same and isinstance(value, str) and value else None


def categories_config(
    export: Export, slugs: dict[str, str], languages: list[str]
) -> dict[str, dict[str, Any]]:
    """The `categories:` entries for mkdocs.yml of the categories an import made."""
    out: dict[str, dict[str, Any]] = {}
    for key, cat in export.categories.items():
        name = slugs.get(key)
        if not name:
            continue
        titles = {lang: cat.titles.get(lang, cat.title) for lang in languages}
        entry: dict[str, Any] = {"title": titles}
        if cat.description:
            entry["description"] = {lang: cat.description for lang in languages}
        out[name] = entry
    return out
