"""Evaluation sets (articles.jsonl + queries.jsonl) as an in-memory KnowledgeBase and queries."""

from __future__ import annotations

import dataclasses
import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from kb.core.article import Article
from kb.core.cache import digest
from kb.core.collection import KnowledgeBase
from kb.core.errors import KBError, display_path
from kb.core.settings import Settings

if TYPE_CHECKING:
    from kb.suggest.suggester import Suggester


@dataclass(frozen=True)
class Query:
    """One evaluation question and the ids of the articles that answer it."""

    id: str
    text: str
    gold: tuple[str, ...]
    lang: str


def _rows(path: Path | str) -> list[tuple[int, dict]]:
    p = Path(path)
    rows = []
    try:
        lines = p.read_text(encoding="utf-8").splitlines()
    except OSError as exc:
        raise KBError(f"{display_path(p)}: cannot read: {exc}") from None
    for number, line in enumerate(lines, 1):
        if not line.strip():
            continue
        try:
            row = json.loads(line)
        except ValueError as exc:
            raise KBError(f"{display_path(p)}:{number}: invalid JSON: {exc}") from None
        if not isinstance(row, dict):
            raise KBError(f"{display_path(p)}:{number}: expected a JSON object")
        rows.append((number, row))
    return rows


def _need(path: Path | str, number: int, row: dict, key: str) -> object:
    if key not in row:
        raise KBError(f"{display_path(Path(path))}:{number}: {key}: missing")
    return row[key]


def load_jsonl_kb(path: Path | str, settings: Settings | None = None) -> KnowledgeBase:
    """Read an articles.jsonl ({id, title, body, lang}) into a KnowledgeBase of public articles."""
    articles = []
    langs: list[str] = []
    for number, row in _rows(path):
        aid = str(_need(path, number, row, "id"))
        lang = str(row.get("lang") or "en")
        title = str(row.get("title") or "")
        body = str(_need(path, number, row, "body"))
        if lang not in langs:
            langs.append(lang)
        meta = {
            "id": aid,
            "title": title,
            "lang": lang,
            "type": "solution",
            "audience": "public",
            "status": "published",
        }
        made_from = digest(f"{title}\n{body}", size=16)
        articles.append(Article(f"{lang}/{aid}.md", meta, body, content_hash=made_from))
    if settings is None:
        root = Path(path).resolve().parent
        settings = Settings(
            root=root,
            docs_dir=root,
            languages=tuple(langs) or ("en",),
            default_lang=langs[0] if langs else "en",
            kb_dir=root / ".kb",
            synonyms_file=root / "synonyms.yml",
            queries_file=root / "queries.yml",
        )
    return KnowledgeBase(settings=settings, articles=articles, files_checked=len(articles))


def load_queries(path: Path | str) -> list[Query]:
    """Read a queries.jsonl ({id, text, gold: [ids], lang}) into Query objects."""
    out = []
    for number, row in _rows(path):
        gold = _need(path, number, row, "gold")
        if isinstance(gold, str):
            gold = [gold]
        if not isinstance(gold, list):
            raise KBError(f"{display_path(Path(path))}:{number}: gold: expected a list of ids")
        out.append(
            Query(
                id=str(row.get("id", number)),
                text=str(_need(path, number, row, "text")),
                gold=tuple(str(g) for g in gold),
                lang=str(row.get("lang") or "en"),
            )
        )
    return out


def eval_settings(config: str | Path, langs: tuple[str, ...]) -> Settings:
    """Settings for an evaluation set: the project's model settings, the set's languages."""
    base = Settings.load(config) if Path(config).exists() else Settings()
    # the set is a KB of its own: the project's model settings apply, its synonyms do not
    return dataclasses.replace(
        base,
        languages=langs,
        default_lang=langs[0],
        synonyms_file=Path(os.devnull),  # no file: no synonyms
        warnings=[],
    )


def open_eval_set(articles: str | Path, config: str | Path) -> Suggester:
    """A suggester over an articles.jsonl, indexed in memory, its vectors cached apart from the KB's."""
    from kb.search.searcher import index_in_memory
    from kb.suggest.suggester import Suggester

    probe = load_jsonl_kb(articles)
    settings = eval_settings(config, probe.settings.languages)
    kb = load_jsonl_kb(articles, settings)
    path = Path(articles).resolve()
    return Suggester.from_settings(
        settings,
        kb=kb,
        internal=False,
        searcher=index_in_memory(kb.articles, settings),
        namespace="eval-" + digest(str(path), size=10),
    )
