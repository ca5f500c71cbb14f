"""`kb new`: write a new, valid article from a template built from the schema."""

from __future__ import annotations

import argparse
import datetime as dt
import sys
from pathlib import Path
from typing import Any

from kb.authoring.templates import body_for, front_matter, template_values
from kb.commands import add_config_argument, load_settings
from kb.core.collection import KnowledgeBase
from kb.core.errors import KBError, UsageError, display_path
from kb.core.schema import TYPES
from kb.core.settings import Settings
from kb.core.text import slugify

HELP = "Write a new article (solution, faq, sop, troubleshooting) from a template."


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Declare the options of `kb new`."""
    parser.add_argument("type", nargs="?", choices=TYPES, help="kind of article")
    parser.add_argument("title", nargs="?", help="title of the article")
    parser.add_argument("--lang", help="language (default: the site's default language)")
    parser.add_argument("--category", help="category slug")
    parser.add_argument(
        "--translation-of", metavar="ID", help="start a translation of this article"
    )
    parser.add_argument("--department", help="department (SOPs)")
    parser.add_argument("--id", dest="article_id", help="id to use (default: from the title)")
    parser.add_argument("--from-ticket", metavar="FILE", help="ticket file to draft from")
    parser.add_argument("--ticket", metavar="ID", help="ticket id in --from-ticket")
    parser.add_argument("--from-gap", metavar="ID", help="content-gap cluster to draft from")
    parser.add_argument(
        "--tickets", dest="gap_tickets", metavar="FILE", help="ticket history for --from-gap"
    )
    add_config_argument(parser)


def run(args: argparse.Namespace) -> int:
    """Create the article file and print its path."""
    settings = load_settings(args.config)
    kb = KnowledgeBase.scan(settings)
    draft = _draft_from_source(args, settings, kb)
    kind = args.type or draft.get("type") or "solution"
    title = args.title or draft.get("title")
    if not title:
        raise UsageError('give a title: kb new TYPE "Title"')
    path = write_article(kb, kind, title, args, draft)
    print(display_path(path))
    return 0


def _draft_from_source(
    args: argparse.Namespace, settings: Settings, kb: KnowledgeBase
) -> dict[str, Any]:
    if args.from_ticket:
        if not args.ticket:
            raise UsageError("--from-ticket needs --ticket ID")
        from kb.authoring.drafts import draft_from_ticket

        return draft_from_ticket(Path(args.from_ticket), args.ticket, settings)
    if args.from_gap:
        from kb.authoring.drafts import draft_from_gap

        return draft_from_gap(args.from_gap, args.gap_tickets, settings, kb)
    return {}


def write_article(
    kb: KnowledgeBase, kind: str, title: str, args: argparse.Namespace, draft: dict[str, Any]
) -> Path:
    """Write the new article below the KB's articles folder; refuse to overwrite."""
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
        )
        rel = _translated_path(source.rel_path, source.lang, lang, settings)
    else:
        article_id = args.article_id or _unique(kb, slugify(title) or "article")
        rel = _new_path(settings, lang, extra["category"], slugify(title) or article_id)
    values = template_values(kind, title, article_id, lang, dt.date.today(), **extra)
    values.update({k: v for k, v in draft.get("meta", {}).items()})
    path = settings.docs_dir / rel
    if path.exists():
        raise KBError(f"{display_path(path)} already exists; not overwritten")
    text = front_matter(values, kind) + "\n" + draft.get("body", body_for(kind, lang))
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("x", encoding="utf-8") as fh:
        fh.write(text)
    print(f"kb new: wrote a {kind} draft ({article_id})", file=sys.stderr)
    return path


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
