"""`kb new` as a library: write a valid draft below the articles folder, never over another file."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

from kb.authoring.templates import TRANSLATE_MARK, body_for, front_matter, template_values
from kb.core.collection import KnowledgeBase
from kb.core.errors import KBError, UsageError, display_path
from kb.core.settings import Settings
from kb.core.text import slugify


class ArticleOptions(Protocol):
    """What `kb new` was asked for (its parsed arguments): None where not given."""

    lang: str | None
    category: str | None
    translation_of: str | None
    article_id: str | None
    department: str | None


@dataclass(frozen=True)
class NewArticle:
    """An article `kb new` wrote: where, its id and its type."""

    path: Path
    id: str
    kind: str


def write_article(
    kb: KnowledgeBase, kind: str, title: str, args: ArticleOptions, draft: dict[str, Any]
) -> Path:
    """Write the new article below the KB's articles folder and return its path (see create)."""
    return create_article(kb, kind, title, args, draft).path


def create_article(
    kb: KnowledgeBase, kind: str, title: str, args: ArticleOptions, draft: dict[str, Any]
) -> NewArticle:
    """Write the new article below the KB's articles folder; refuse to overwrite.

    `draft` (from a ticket or a content gap) may give the title, id (else one from the title),
    type, lang, category, tickets, body and extra front-matter values (`meta`); `args` override it.
    """
    settings = kb.settings
    lang = args.lang or draft.get("lang") or settings.default_lang
    if settings.languages and lang not in settings.languages:
        raise UsageError(
            f"--lang {lang!r} is not one of the site's languages: {', '.join(settings.languages)}"
        )
    category = args.category or draft.get("category")
    if category and settings.categories and category not in settings.categories:
        raise UsageError(f"--category {category!r} is not one of: {', '.join(settings.categories)}")
    extra: dict[str, Any] = {"category": category, "tickets": draft.get("tickets")}
    if kind == "sop":
        extra["department"] = args.department or "Customer Support"
    if args.translation_of:
        source = kb.get(args.translation_of)
        if source is None:
            raise KBError(f"--translation-of: no article with id {args.translation_of!r}")
        if source.lang == lang:
            raise UsageError(f"--lang: the source is already in {lang}; name another language")
        article_id = args.article_id or _unique(kb, f"{source.id}-{lang}")
        extra.update(
            translation_of=source.id,
            source_hash=source.text_hash,
            category=category or source.category,
            summary=source.summary or None,
            tags=list(source.tags) or None,
        )
        if "body" not in draft:  # the source's headings and text, to translate in place
            draft = {**draft, "body": translation_body(source.lang, source.body)}
        rel = _translated_path(source.rel_path, source.lang, lang, settings)
    else:
        base = slugify(draft.get("id") or "") or slugify(title) or "article"
        article_id = args.article_id or _unique(kb, base)
        rel = _new_path(
            settings, lang, extra["category"], base if base != "article" else article_id
        )
    values = template_values(kind, title, article_id, lang, dt.date.today(), **extra)
    values.update({k: v for k, v in draft.get("meta", {}).items()})
    path = settings.docs_dir / rel
    if path.exists():
        raise KBError(f"{display_path(path)} already exists; not overwritten")
    text = front_matter(values, kind) + "\n" + draft.get("body", body_for(kind, lang))
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("x", encoding="utf-8") as fh:
        fh.write(text)
    return NewArticle(path, article_id, kind)


def translation_body(source_lang: str, body: str) -> str:
    """A translation draft's body: the source's text under a line that says to translate it."""
    return f"{TRANSLATE_MARK} this text is the {source_lang} source: translate it, then delete this line -->\n\n{body.strip()}\n"


def _unique(kb: KnowledgeBase, base: str) -> str:
    candidate, n = base, 2
    while candidate in kb.by_id:
        candidate, n = f"{base}-{n}", n + 1
    return candidate


def _uses_language_folders(settings: Settings) -> bool:
    return any((settings.docs_dir / lang).is_dir() for lang in settings.languages)


def _new_path(settings: Settings, lang: str, category: str | None, slug: str) -> str:
    parts = [lang] if _uses_language_folders(settings) or lang != settings.default_lang else []
    if category:
        parts.append(category)
    parts.append(f"{slug}.md")
    return "/".join(parts)


def _translated_path(rel: str, source_lang: str, lang: str, settings: Settings) -> str:
    head, _, rest = rel.partition("/")
    if rest and head == source_lang:
        return f"{lang}/{rest}"
    return f"{lang}/{rel}"
